"""Enterprise and site services and file imports on SQLite and PostgreSQL: export -> import round
trip into an empty database; a file with bad rows reports each row and column and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from greenport.enterprises import service as enterprises
from greenport.enterprises.model import IndustryGroup, SiteKind
from greenport.kernel.errors import Conflict, InvalidInput, InvalidRows, NotFound
from greenport.regions import service as regions
from greenport.standards.ids import make_credit_code
from greenport.storage.db import Database
from greenport.storage.migrate import upgrade
from greenport.storage.uow import UnitOfWork
from tests.regions.conftest import TOWN, TOWN_2, seed_small_registry

CODES = [make_credit_code("320582", sequence=n) for n in range(1, 6)]


def firm_row(n: int, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "credit_code": CODES[n],
        "name": f"企业{n}",
        "industry_code": ["3120", "2614", "1713", "3670", "1331"][n],
        "town_code": TOWN,
        "park_code": "P1" if n % 2 == 0 else "",
        "land_area_mu": 10 * (n + 1),
        "lon": 120.45 + n / 100,
        "lat": 31.95,
        "size_class": "medium",
        "above_scale": "1",
    }
    row.update(changes)
    return row


@pytest.fixture
def filled(db: Database) -> Database:
    seed_small_registry(db)
    with UnitOfWork(db) as uow:
        enterprises.import_enterprises(uow, [(n + 2, firm_row(n)) for n in range(5)])
        enterprises.import_sites(
            uow,
            [
                (
                    2,
                    {
                        "code": "AIR-1",
                        "name": "空气站",
                        "kind": "air_station",
                        "level": "national",
                        "town_code": TOWN,
                        "lon": 120.5,
                        "lat": 31.95,
                    },
                ),
                (
                    3,
                    {
                        "code": "WS-1",
                        "name": "断面",
                        "kind": "water_section",
                        "level": "tributary",
                        "town_code": TOWN,
                        "lon": 120.5,
                        "lat": 31.95,
                        "waterbody": "river",
                        "river": "一干河",
                        "target_class": "3",
                    },
                ),
                (
                    4,
                    {
                        "code": "DA001",
                        "name": "烧结",
                        "kind": "gas_outlet",
                        "town_code": TOWN,
                        "lon": 120.5,
                        "lat": 31.95,
                        "enterprise_credit_code": CODES[0],
                        "emission_standard": "steel_ultra_low",
                        "process": "sintering_head",
                    },
                ),
                (
                    5,
                    {
                        "code": "DW001",
                        "name": "废水",
                        "kind": "water_outlet",
                        "town_code": TOWN,
                        "lon": 120.5,
                        "lat": 31.95,
                        "enterprise_credit_code": CODES[1],
                        "emission_standard": "gb8978_1996",
                        "process": "other",
                        "emission_grade": 1,
                    },
                ),
            ],
        )
    return db


def test_register_and_read_enterprises(filled: Database) -> None:
    with UnitOfWork(filled) as uow:
        listed = enterprises.list_enterprises(uow)
        assert [e.credit_code for e in listed] == CODES
        assert [e.industry_group for e in listed] == [
            IndustryGroup.METALLURGY,
            IndustryGroup.CHEMICALS,
            IndustryGroup.TEXTILES,
            IndustryGroup.MACHINERY_ELECTRICAL,
            IndustryGroup.OTHER,
        ]
        assert [e.park_code for e in listed] == ["P1", None, "P1", None, "P1"]
        assert len(enterprises.list_enterprises(uow, park_code="P1")) == 3
        one = enterprises.get_enterprise(uow, credit_code=CODES[0].lower())
        assert one.name == "企业0"
        outlets = enterprises.list_sites(uow, enterprise_id=one.id)
        assert [s.code for s in outlets] == ["DA001"] and outlets[0].kind == SiteKind.GAS_OUTLET
    with pytest.raises(NotFound), UnitOfWork(filled) as uow:
        enterprises.get_enterprise(uow, enterprise_id=999)


def test_register_enterprise_errors(filled: Database) -> None:
    with pytest.raises(Conflict) as conflict, UnitOfWork(filled) as uow:
        enterprises.register_enterprise(uow, **{k: v for k, v in firm_row(0).items() if k != "above_scale"})
    assert conflict.value.field == "credit_code"
    bad = firm_row(0, credit_code=CODES[0][:17] + "0" if CODES[0][17] != "0" else CODES[0][:17] + "1")
    bad.pop("above_scale")
    with pytest.raises(InvalidInput) as invalid, UnitOfWork(filled) as uow:
        enterprises.register_enterprise(uow, **bad)
    assert invalid.value.field == "credit_code" and "position 18" in str(invalid.value)


def test_enterprise_years(filled: Database) -> None:
    with UnitOfWork(filled) as uow:
        first = enterprises.list_enterprises(uow)[0]
        assert first.id is not None
        enterprises.record_enterprise_year(
            uow, enterprise_id=first.id, year=2022, output_10k_yuan=1234.5, employees=50, so2_t=1.234
        )
        enterprises.record_enterprise_year(uow, enterprise_id=first.id, year=2022, output_10k_yuan=2000)
        stored = uow.registry.list_enterprise_years(enterprise_id=first.id)
        assert len(stored) == 1 and stored[0].output_10k_yuan == 2000 and stored[0].employees is None
    with pytest.raises(InvalidInput) as caught, UnitOfWork(filled) as uow:
        enterprises.record_enterprise_year(uow, enterprise_id=first.id, year=2022, tax_10k_yuan=-1)
    assert caught.value.field == "tax_10k_yuan"
    with pytest.raises(InvalidInput) as unknown, UnitOfWork(filled) as uow:
        enterprises.record_enterprise_year(uow, enterprise_id=first.id, year=2022, profit=1)
    assert unknown.value.field == "profit"
    with pytest.raises(NotFound), UnitOfWork(filled) as uow:
        enterprises.record_enterprise_year(uow, enterprise_id=999, year=2022)


def test_export_then_import_into_an_empty_database(filled: Database, tmp_path: Any) -> None:
    with UnitOfWork(filled) as uow:
        divisions = regions.export_divisions(uow)
        parks = regions.export_parks(uow)
        firms = enterprises.export_enterprises(uow)
        sites = enterprises.export_sites(uow)
        original = (
            regions.list_divisions(uow),
            regions.list_parks(uow),
            enterprises.list_enterprises(uow),
            enterprises.list_sites(uow),
        )
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade(url)
    empty = Database.from_url(url)
    try:
        with UnitOfWork(empty) as uow:
            # Children before parents on purpose: the import orders the tree itself.
            regions.import_divisions(uow, [(i + 2, r) for i, r in enumerate(reversed(divisions))])
            regions.import_parks(uow, [(i + 2, r) for i, r in enumerate(parks)])
            enterprises.import_enterprises(uow, [(i + 2, r) for i, r in enumerate(firms)])
            enterprises.import_sites(uow, [(i + 2, r) for i, r in enumerate(sites)])
        with UnitOfWork(empty) as uow:
            copied = (
                regions.list_divisions(uow),
                regions.list_parks(uow),
                enterprises.list_enterprises(uow),
                enterprises.list_sites(uow),
            )
            assert enterprises.export_enterprises(uow) == firms
            assert enterprises.export_sites(uow) == sites
    finally:
        empty.dispose()
    assert copied == original


def test_bad_file_reports_every_row_and_column_and_changes_nothing(filled: Database) -> None:
    rows = [
        (2, firm_row(0, credit_code=make_credit_code("320582", sequence=50), name="新企业")),  # valid
        (3, firm_row(1, credit_code=CODES[1])),  # duplicate of the database
        (4, firm_row(2, credit_code="91320582MA1X2Y3Z4", lon="x", size_class="giant")),
        (
            5,
            firm_row(
                3, credit_code=make_credit_code("320582", sequence=50), town_code=TOWN_2, park_code="P1"
            ),
        ),
        (
            6,
            firm_row(
                4, credit_code=make_credit_code("320582", sequence=51), industry_code="", land_area_mu=-5
            ),
        ),
    ]
    with UnitOfWork(filled) as uow:
        before = {t: uow.registry.count(t) for t in ("enterprises", "sites", "divisions")}
    with pytest.raises(InvalidRows) as caught, UnitOfWork(filled) as uow:
        enterprises.import_enterprises(uow, rows, source="firms.xlsx")
    got = [(e.row, e.column) for e in caught.value.errors]
    assert got == [
        (3, "credit_code"),
        (4, "credit_code"),
        (4, "lon"),
        (4, "size_class"),
        (5, "credit_code"),
        (5, "park_code"),
        (6, "industry_code"),
        (6, "land_area_mu"),
    ]
    assert "firms.xlsx" in caught.value.message
    with UnitOfWork(filled) as uow:
        assert {t: uow.registry.count(t) for t in before} == before
    with UnitOfWork(filled) as uow:
        outcome = enterprises.import_enterprises(uow, rows, skip_invalid=True)
    assert (outcome.written, outcome.invalid_rows) == (1, 4)
    with UnitOfWork(filled) as uow:
        assert uow.registry.count("enterprises") == before["enterprises"] + 1


def test_header_missing_a_required_column(filled: Database) -> None:
    with pytest.raises(InvalidRows) as caught, UnitOfWork(filled) as uow:
        enterprises.import_sites(uow, [], headers=["code", "name", "kind"])
    assert {(e.row, e.column) for e in caught.value.errors} == {(1, "town_code"), (1, "lon"), (1, "lat")}


def test_enterprise_years_import_and_export(filled: Database) -> None:
    rows = [
        (
            2,
            {
                "credit_code": CODES[0],
                "year": "2022",
                "output_10k_yuan": "1,234.5",
                "employees": "80",
                "so2_t": 1.5,
            },
        ),
        (3, {"credit_code": CODES[1].lower(), "year": 2021.0, "tax_10k_yuan": "12"}),
    ]
    with UnitOfWork(filled) as uow:
        outcome = enterprises.import_enterprise_years(uow, rows)
        assert outcome.written == 2
        exported = enterprises.export_enterprise_years(uow)
    assert [(r["credit_code"], r["year"], r["output_10k_yuan"]) for r in exported] == [
        (CODES[0], 2022, 1234.5),
        (CODES[1], 2021, ""),
    ]
    bad = [
        (2, {"credit_code": CODES[0], "year": 2022}),  # stored already
        (3, {"credit_code": "91320582MA00000000", "year": 2022}),
        (4, {"credit_code": CODES[2], "year": 1900, "energy_tce": -1}),
        (5, {"credit_code": CODES[3], "year": 2022, "employees": 2.5}),
        (6, {"credit_code": CODES[3], "year": 2022}),
    ]
    with pytest.raises(InvalidRows) as caught, UnitOfWork(filled) as uow:
        enterprises.import_enterprise_years(uow, bad)
    assert [(e.row, e.column) for e in caught.value.errors] == [
        (2, "year"),
        (3, "credit_code"),
        (4, "year"),
        (4, "energy_tce"),
        (5, "employees"),
        (6, "year"),
    ]
    with UnitOfWork(filled) as uow:
        assert len(uow.registry.list_enterprise_years()) == 2
