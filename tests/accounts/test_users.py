"""Users: role and scope must fit; passwords hashed; authentication."""

from __future__ import annotations

from typing import Any

import pytest

from greenport.accounts import service as accounts
from greenport.accounts.errors import NotAuthenticated
from greenport.accounts.model import Principal, Role
from greenport.enterprises import service as enterprises
from greenport.kernel.errors import Conflict, InvalidInput
from greenport.standards.ids import make_credit_code
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.regions.conftest import CITY, TOWN, VILLAGE, seed_small_registry

PASSWORD = "correct horse"


@pytest.fixture
def scoped(db: Database) -> tuple[Database, int]:
    seed_small_registry(db)
    with UnitOfWork(db) as uow:
        firm = enterprises.register_enterprise(
            uow,
            credit_code=make_credit_code("320582", sequence=9),
            name="企业",
            industry_code="3120",
            town_code=TOWN,
            land_area_mu=1,
            lon=120.5,
            lat=31.95,
            size_class="small",
        )
    assert firm.id is not None
    return db, firm.id


def test_one_user_per_role_with_its_scope(scoped: tuple[Database, int]) -> None:
    db, firm_id = scoped
    specs: list[dict[str, Any]] = [
        {"role": "city_admin"},
        {"role": "bureau_analyst", "division_code": CITY},
        {"role": "town_officer", "division_code": TOWN},
        {"role": "grid_officer", "division_code": VILLAGE},
        {"role": "department", "park_code": "P1"},
        {"role": "enterprise", "enterprise_id": firm_id},
        {"role": "public"},
    ]
    with UnitOfWork(db) as uow:
        for spec in specs:
            accounts.create_user(uow, username=spec["role"], password=PASSWORD, **spec)
    with UnitOfWork(db) as uow:
        users = accounts.list_users(uow)
        assert [u.role for u in users] == list(Role)
        assert accounts.get_user(uow, username="department").park_code == "P1"
    assert _log_in(db, "town_officer", PASSWORD) is not None
    assert _log_in(db, "town_officer", "wrong password") is None
    assert _log_in(db, "nobody", PASSWORD) is None


def _log_in(db: Database, username: str, password: str) -> Principal | None:
    """:func:`accounts.log_in` from one address; None when it is refused."""
    with UnitOfWork(db) as uow:
        try:
            return accounts.log_in(
                uow, username=username, password=password, ip="192.0.2.1", demo_logins=True
            )
        except NotAuthenticated:
            return None


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        ({"role": "town_officer"}, "division_code", "needs a division"),
        ({"role": "town_officer", "division_code": VILLAGE}, "division_code", "not a village"),
        ({"role": "town_officer", "division_code": "320582109000"}, "division_code", "no division"),
        ({"role": "grid_officer"}, "division_code", "needs a division"),
        ({"role": "city_admin", "division_code": TOWN}, "division_code", "not a town"),
        ({"role": "enterprise"}, "enterprise_id", "needs the enterprise"),
        ({"role": "enterprise", "enterprise_id": 999}, "enterprise_id", "no enterprise"),
        ({"role": "public", "division_code": CITY}, "division_code", "must be empty"),
        (
            {"role": "town_officer", "division_code": TOWN, "enterprise_id": 1},
            "enterprise_id",
            "must be empty",
        ),
        ({"role": "public", "park_code": "P1"}, "park_code", "must be empty"),
        ({"role": "department", "park_code": "P9"}, "park_code", "no park"),
        ({"role": "mayor"}, "role", "one of"),
        ({"role": "public", "username": "a b"}, "username", "letters"),
    ],
)
def test_scope_rules_name_the_field(
    scoped: tuple[Database, int], spec: dict[str, Any], field: str, message: str
) -> None:
    db, _ = scoped
    spec = {"username": "someone", **spec}
    with pytest.raises(InvalidInput) as caught, UnitOfWork(db) as uow:
        accounts.create_user(uow, password=PASSWORD, **spec)
    assert caught.value.field == field and message in caught.value.message
    with UnitOfWork(db) as uow:
        assert accounts.list_users(uow) == []


def test_duplicate_username_and_short_password(scoped: tuple[Database, int]) -> None:
    db, _ = scoped
    with UnitOfWork(db) as uow:
        accounts.create_user(uow, username="public1", password=PASSWORD, role="public")
    with pytest.raises(Conflict), UnitOfWork(db) as uow:
        accounts.create_user(uow, username="public1", password=PASSWORD, role="public")
    with pytest.raises(InvalidInput) as caught, UnitOfWork(db) as uow:
        accounts.create_user(uow, username="public2", password="short", role="public")
    assert caught.value.field == "password"
