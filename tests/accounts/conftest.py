"""People for the accounts tests: a small registry with a town officer, a park user and a city
admin, on each engine."""

from __future__ import annotations

import pytest

from greenport.accounts import service as accounts
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.regions.conftest import TOWN, seed_small_registry

PASSWORD = "correct horse battery staple"
#: A department user tied to park P1 (a park management committee).
PARK_USER = "park_department"


@pytest.fixture
def people(db: Database) -> Database:
    seed_small_registry(db)
    with UnitOfWork(db) as uow:
        accounts.create_user(uow, username="city_admin", password=PASSWORD, role="city_admin")
        accounts.create_user(
            uow, username="town_officer", password=PASSWORD, role="town_officer", division_code=TOWN
        )
        accounts.create_user(uow, username=PARK_USER, password=PASSWORD, role="department", park_code="P1")
    return db
