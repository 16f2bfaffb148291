"""A small registry (city, two towns, a street, villages, a park) on each engine."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from greenport.accounts.model import Principal, Role, RowScope
from greenport.enterprises import service as enterprises
from greenport.regions import service as regions
from greenport.standards.ids import make_credit_code
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork

CITY = "320582000000"
TOWN = "320582100000"
TOWN_2 = "320582101000"
STREET = "320582001000"
VILLAGE = "320582100201"
COMMUNITY = "320582100001"

#: A square around (120.5 E, 31.95 N), [lon, lat] in degree.
SQUARE = (
    '{"type":"Polygon","coordinates":[[[120.4,31.9],[120.6,31.9],[120.6,32.0],[120.4,32.0],[120.4,31.9]]]}'
)


def seed_small_registry(db: Database) -> None:
    with UnitOfWork(db) as uow:
        regions.register_division(uow, code=CITY, name="港城市")
        regions.register_division(uow, code=TOWN, name="沙洲镇", boundary_geojson=SQUARE)
        regions.register_division(uow, code=TOWN_2, name="江港镇")
        regions.register_division(uow, code=STREET, name="城东街道")
        regions.register_division(uow, code=VILLAGE, name="东村")
        regions.register_division(uow, code=COMMUNITY, name="东社区")
        regions.register_park(uow, code="P1", name="开发区", kind="national_development_zone", town_code=TOWN)


@pytest.fixture
def registry_db(db: Database) -> Iterator[Database]:
    seed_small_registry(db)
    yield db


# --- a registry with firms, outlets and grid cells in two towns, for the scoped reads ------------

#: The second park, in the second town.
PARK_2 = "P2"


@dataclass(frozen=True)
class ScopedRegistry:
    """Ids of what :func:`seed_scoped_registry` stores.

    ``TOWN``: park P1 with firm ``in_park`` (gas outlet DA-A), firm ``outside_park`` (water
    outlet DW-B), air station AIR-1, grid cells of the town and its village. ``TOWN_2``: park P2
    with firm ``other_town`` (gas outlet DA-C), water section WS-2, the town's grid cell.
    """

    db: Database
    park: int
    park_2: int
    in_park: int
    outside_park: int
    other_town: int
    sites: dict[str, int]


def _firm(uow: UnitOfWork, n: int, *, town_code: str, park_code: str | None) -> int:
    firm = enterprises.register_enterprise(
        uow,
        credit_code=make_credit_code("320582", sequence=n),
        name=f"企业{n}",
        industry_code="2614",
        town_code=town_code,
        park_code=park_code,
        land_area_mu=50,
        lon=120.5,
        lat=31.95,
        size_class="medium",
    )
    assert firm.id is not None
    return firm.id


def _site(uow: UnitOfWork, code: str, kind: str, town_code: str, **details: Any) -> int:
    site = enterprises.register_site(
        uow, code=code, name=code, kind=kind, town_code=town_code, lon=120.5, lat=31.95, **details
    )
    assert site.id is not None
    return site.id


def seed_scoped_registry(db: Database) -> ScopedRegistry:
    seed_small_registry(db)
    with UnitOfWork(db) as uow:
        park_2 = regions.register_park(
            uow, code=PARK_2, name="江港园", kind="chemical_park", town_code=TOWN_2
        )
        for division in (CITY, TOWN, TOWN_2, VILLAGE):
            regions.add_grid_cell(uow, division_code=division)
        in_park = _firm(uow, 1, town_code=TOWN, park_code="P1")
        outside_park = _firm(uow, 2, town_code=TOWN, park_code=None)
        other_town = _firm(uow, 3, town_code=TOWN_2, park_code=PARK_2)
        outlet = {"emission_standard": "steel_ultra_low", "process": "sintering_head"}
        sites = {
            "AIR-1": _site(uow, "AIR-1", "air_station", TOWN, level="national"),
            "WS-2": _site(
                uow,
                "WS-2",
                "water_section",
                TOWN_2,
                level="tributary",
                waterbody="river",
                river="一干河",
                target_class=3,
            ),
            "DA-A": _site(uow, "DA-A", "gas_outlet", TOWN, enterprise_id=in_park, **outlet),
            "DW-B": _site(
                uow,
                "DW-B",
                "water_outlet",
                TOWN,
                enterprise_id=outside_park,
                emission_standard="gb8978_1996",
                process="other",
                emission_grade=1,
            ),
            "DA-C": _site(uow, "DA-C", "gas_outlet", TOWN_2, enterprise_id=other_town, **outlet),
        }
        park = regions.get_park(uow, code="P1")
    assert park.id is not None and park_2.id is not None
    return ScopedRegistry(db, park.id, park_2.id, in_park, outside_park, other_town, sites)


@pytest.fixture
def scoped_registry(db: Database) -> ScopedRegistry:
    return seed_scoped_registry(db)


def scope_of(role: Role, **identity: Any) -> RowScope:
    """The scope a signed-in user of ``role`` gets (``division_code``, ``enterprise_id``, ``park_id``)."""
    return Principal(user_id=1, username="u", display_name="u", role=role, **identity).scope
