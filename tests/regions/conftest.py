"""A small registry (city, two towns, a street, villages, a park) on each engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from greenport.regions import service as regions
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
