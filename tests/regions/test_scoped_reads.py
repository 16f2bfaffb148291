"""Scoped reads of the territory on SQLite and PostgreSQL: each caller sees the towns, grid cells
and parks of its own scope and no other (the scope is applied in SQL by the repository)."""

from __future__ import annotations

import pytest

from greenport.accounts.model import CITY, DISCLOSED, Role, RowScope
from greenport.kernel.errors import NotFound, PermissionDenied
from greenport.regions import service as regions
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.regions.conftest import CITY as CITY_CODE
from tests.regions.conftest import (
    PARK_2,
    STREET,
    TOWN,
    TOWN_2,
    VILLAGE,
    ScopedRegistry,
    scope_of,
)


def territory(registry: ScopedRegistry, scope: RowScope) -> tuple[list[str], list[str], list[str]]:
    """Codes of the towns, grid cells and parks ``scope`` sees."""
    with UnitOfWork(registry.db) as uow:
        return (
            [t["code"] for t in regions.visible_towns(uow, scope=scope)],
            [c["code"] for c in regions.visible_grid_cells(uow, scope=scope)],
            [p["code"] for p in regions.visible_parks(uow, scope=scope)],
        )


def test_the_city_sees_every_town_cell_and_park(scoped_registry: ScopedRegistry) -> None:
    towns, cells, parks = territory(scoped_registry, CITY)
    assert towns == [STREET, TOWN, TOWN_2]
    assert cells == ["G" + code for code in (CITY_CODE, TOWN, VILLAGE, TOWN_2)]  # by code
    assert parks == ["P1", PARK_2]


def test_a_town_officer_sees_only_the_town(scoped_registry: ScopedRegistry) -> None:
    officer = scope_of(Role.TOWN_OFFICER, division_code=TOWN)
    assert territory(scoped_registry, officer) == ([TOWN], ["G" + TOWN, "G" + VILLAGE], ["P1"])
    grid_officer = scope_of(Role.GRID_OFFICER, division_code=VILLAGE)  # a village's officer: its town
    assert territory(scoped_registry, grid_officer) == ([TOWN], ["G" + TOWN, "G" + VILLAGE], ["P1"])


def test_an_enterprise_user_sees_its_town_and_park_and_no_grid(scoped_registry: ScopedRegistry) -> None:
    in_park = scope_of(Role.ENTERPRISE, enterprise_id=scoped_registry.other_town)
    assert territory(scoped_registry, in_park) == ([TOWN_2], [], [PARK_2])
    outside_park = scope_of(Role.ENTERPRISE, enterprise_id=scoped_registry.outside_park)
    assert territory(scoped_registry, outside_park) == ([TOWN], [], [])


def test_a_park_user_sees_its_park_and_town_and_no_grid(scoped_registry: ScopedRegistry) -> None:
    committee = scope_of(Role.DEPARTMENT, park_id=scoped_registry.park_2)
    assert territory(scoped_registry, committee) == ([TOWN_2], [], [PARK_2])


def test_the_public_sees_town_names_but_no_grid_and_no_park(scoped_registry: ScopedRegistry) -> None:
    assert territory(scoped_registry, scope_of(Role.PUBLIC)) == ([STREET, TOWN, TOWN_2], [], [])
    assert territory(scoped_registry, DISCLOSED) == ([STREET, TOWN, TOWN_2], [], [])


def test_boundaries_only_on_request(scoped_registry: ScopedRegistry) -> None:
    with UnitOfWork(scoped_registry.db) as uow:
        plain = regions.visible_towns(uow, scope=CITY)
        shaped = regions.visible_towns(uow, scope=CITY, with_boundaries=True)
        parks = regions.visible_parks(uow, scope=CITY)
        parks_shaped = regions.visible_parks(uow, scope=CITY, with_boundaries=True)
    assert all("boundary" not in t for t in plain) and all("boundary" not in p for p in parks)
    by_code = {t["code"]: t["boundary"] for t in shaped}
    assert by_code[TOWN]["type"] == "Polygon" and by_code[TOWN_2] is None
    assert [p["boundary"] for p in parks_shaped] == [None, None]


def test_one_town_outside_the_scope_is_refused_and_a_missing_one_not_found(
    scoped_registry: ScopedRegistry,
) -> None:
    officer = scope_of(Role.TOWN_OFFICER, division_code=TOWN)
    with UnitOfWork(scoped_registry.db) as uow:
        town = regions.visible_town(uow, code=TOWN, scope=officer)
        assert (town["code"], town["name"]) == (TOWN, "沙洲镇")
        with pytest.raises(PermissionDenied) as outside:
            regions.visible_town(uow, code=TOWN_2, scope=officer)
        assert outside.value.field == "code"
        with pytest.raises(PermissionDenied):  # a division that is no town is never "a town"
            regions.visible_town(uow, code=VILLAGE, scope=CITY)
        with pytest.raises(NotFound) as missing:
            regions.visible_town(uow, code="320582199000", scope=CITY)
        assert missing.value.field == "code"


def test_city_summary(scoped_registry: ScopedRegistry) -> None:
    with UnitOfWork(scoped_registry.db) as uow:
        city = regions.city_summary(uow)
    assert city is not None and (city["code"], city["name"], city["level"]) == (CITY_CODE, "港城市", "city")


def test_no_city_summary_before_the_tree_exists(db: Database) -> None:
    with UnitOfWork(db) as uow:
        assert regions.city_summary(uow) is None
