"""Regions services on SQLite and PostgreSQL: divisions, grid, officers, parks; bad input names
the field and writes nothing."""

from __future__ import annotations

import pytest

from greenport.kernel.errors import Conflict, InvalidInput, InvalidRows, NotFound
from greenport.regions import service as regions
from greenport.regions.model import DivisionLevel, GridLevel, ParkKind
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.regions.conftest import CITY, COMMUNITY, STREET, TOWN, TOWN_2, VILLAGE


def test_tree_and_boundary_round_trip(registry_db: Database) -> None:
    with UnitOfWork(registry_db) as uow:
        towns = regions.list_divisions(uow, parent_code=CITY)
        assert [d.code for d in towns] == [STREET, TOWN, TOWN_2]
        assert {d.level for d in towns} == {DivisionLevel.TOWN, DivisionLevel.STREET}
        town = regions.get_division(uow, code=TOWN)
        assert town.boundary_geojson is not None and '"Polygon"' in town.boundary_geojson
        assert [d.code for d in regions.list_divisions(uow, parent_code=TOWN)] == [COMMUNITY, VILLAGE]


def test_duplicate_division_is_a_conflict_and_nothing_is_written(registry_db: Database) -> None:
    with pytest.raises(Conflict) as caught, UnitOfWork(registry_db) as uow:
        regions.register_division(uow, code="320582102000", name="新镇")  # written, then rolled back
        regions.register_division(uow, code=TOWN, name="again")
    assert caught.value.field == "code"
    with UnitOfWork(registry_db) as uow, pytest.raises(NotFound):
        regions.get_division(uow, code="320582102000")


def test_bad_division_names_every_field(registry_db: Database) -> None:
    with pytest.raises(InvalidInput) as caught, UnitOfWork(registry_db) as uow:
        regions.register_division(uow, code="320582103201", name="", area_km2=-3)
    fields = [p["field"] for p in caught.value.details["problems"]]
    assert fields == ["name", "parent_code", "area_km2"]
    assert caught.value.field == "name"


def test_grid_cells_follow_the_tree_and_officers_are_counted(registry_db: Database) -> None:
    with UnitOfWork(registry_db) as uow:
        city = regions.add_grid_cell(uow, division_code=CITY)
        town = regions.add_grid_cell(uow, division_code=TOWN)
        village = regions.add_grid_cell(uow, division_code=VILLAGE)
        assert (city.level, town.level, village.level) == (GridLevel.CITY, GridLevel.TOWN, GridLevel.VILLAGE)
        assert town.parent_code == city.code and village.parent_code == town.code
        regions.add_grid_officer(uow, grid_cell_code=village.code, name="王芳", phone="13912345678")
        regions.add_grid_officer(uow, grid_cell_code=village.code, name="李强", phone="0512-58681234")
    with UnitOfWork(registry_db) as uow:
        assert [o.name for o in regions.list_grid_officers(uow, grid_cell_code=village.code)] == [
            "王芳",
            "李强",
        ]
        assert [c.code for c in regions.list_grid_cells(uow, level=GridLevel.VILLAGE)] == [village.code]


def test_grid_rules(registry_db: Database) -> None:
    with UnitOfWork(registry_db) as uow:
        regions.add_grid_cell(uow, division_code=CITY)
    # A village cell needs its town's cell first.
    with pytest.raises(InvalidInput) as caught, UnitOfWork(registry_db) as uow:
        regions.add_grid_cell(uow, division_code=VILLAGE)
    assert caught.value.field == "parent_code"
    with pytest.raises(InvalidInput) as caught, UnitOfWork(registry_db) as uow:
        regions.add_grid_cell(uow, division_code=TOWN, parent_code="G" + CITY, code="X")
        regions.add_grid_cell(uow, division_code=VILLAGE, parent_code="G" + CITY)
    assert caught.value.field == "parent_code" and "town cell" in caught.value.message
    with pytest.raises(NotFound) as missing, UnitOfWork(registry_db) as uow:
        regions.add_grid_cell(uow, division_code="320582109000")
    assert missing.value.field == "division_code"
    with pytest.raises(InvalidInput) as bad_phone, UnitOfWork(registry_db) as uow:
        regions.add_grid_officer(uow, grid_cell_code="G" + CITY, name="王芳", phone="12345")
    assert bad_phone.value.field == "phone"
    with pytest.raises(NotFound) as no_cell, UnitOfWork(registry_db) as uow:
        regions.add_grid_officer(uow, grid_cell_code="NOPE", name="王芳")
    assert no_cell.value.field == "grid_cell_code"


def test_parks(registry_db: Database) -> None:
    with UnitOfWork(registry_db) as uow:
        park = regions.register_park(
            uow, code="P2", name="化工园", kind=ParkKind.CHEMICAL_PARK, town_code=TOWN_2
        )
        assert park.id is not None and park.town_code == TOWN_2
        assert [p.code for p in regions.list_parks(uow)] == ["P1", "P2"]
    with pytest.raises(Conflict), UnitOfWork(registry_db) as uow:
        regions.register_park(uow, code="P2", name="again", kind="chemical_park", town_code=TOWN_2)
    with pytest.raises(InvalidInput) as caught, UnitOfWork(registry_db) as uow:
        regions.register_park(uow, code="P3", name="园", kind="chemical_park", town_code=VILLAGE)
    assert caught.value.field == "town_code"


def test_division_import_with_in_file_parents_and_every_error(registry_db: Database) -> None:
    rows = [
        (2, {"code": "320582102201", "name": "后村"}),  # its town is defined later in the file
        (3, {"code": "320582102000", "name": "新镇"}),
        (4, {"code": "320582103000", "name": "坏镇", "level": "street", "area_km2": "-1"}),
        (5, {"code": "320582103201", "name": "坏镇的村"}),  # parent row 4 is invalid
        (6, {"code": "320582102000", "name": "重复"}),
        (7, {"code": TOWN, "name": "已有"}),
    ]
    with UnitOfWork(registry_db) as uow:
        before = uow.registry.count("divisions")
    with pytest.raises(InvalidRows) as caught, UnitOfWork(registry_db) as uow:
        regions.import_divisions(uow, rows, source="divisions.csv")
    got = [(e.row, e.column) for e in caught.value.errors]
    assert got == [(4, "level"), (4, "area_km2"), (5, "parent_code"), (6, "code"), (7, "code")]
    messages = {(e.row, e.column): e.message for e in caught.value.errors}
    assert "row 4" in messages[(5, "parent_code")] and "row 3" in messages[(6, "code")]
    with UnitOfWork(registry_db) as uow:
        assert uow.registry.count("divisions") == before
    with UnitOfWork(registry_db) as uow:
        outcome = regions.import_divisions(uow, rows, skip_invalid=True)
    assert (outcome.rows_read, outcome.written, outcome.invalid_rows) == (6, 2, 4)
    with UnitOfWork(registry_db) as uow:
        assert uow.registry.count("divisions") == before + 2
        assert regions.get_division(uow, code="320582102201").parent_code == "320582102000"
