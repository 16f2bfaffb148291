"""Sites and devices as a caller sees them, and switching a device on or off with its audit
entry, on both engines."""

from __future__ import annotations

import pytest

from greenport.accounts import service as accounts
from greenport.accounts.model import CITY, Principal, Role, RowScope
from greenport.enterprises import service as enterprises
from greenport.kernel.errors import NotFound, PermissionDenied
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.ingest.conftest import populate

#: A town the fixture's sites are not in.
OTHER_TOWN = RowScope(town_codes=frozenset({"320582100000"}))
ADMIN = Principal(user_id=None, username="admin", display_name="Admin", role=Role.CITY_ADMIN, via="token")


def test_a_site_outside_the_scope_is_refused_and_a_missing_one_not_found(db: Database) -> None:
    devices = populate(db)
    _, site_id, _ = devices["GPAIR01"]
    with UnitOfWork(db) as uow:
        assert enterprises.visible_site(uow, scope=CITY, site_id=site_id)["code"] == "AIR01"
        with pytest.raises(PermissionDenied):
            enterprises.visible_site(uow, scope=OTHER_TOWN, site_id=site_id)
        with pytest.raises(NotFound):
            enterprises.visible_site(uow, scope=CITY, site_id=999999)
        assert [s["code"] for s in enterprises.visible_sites(uow, scope=CITY, kind="air_station")] == [
            "AIR01",
            "AIR02",
        ]
        assert enterprises.visible_sites(uow, scope=OTHER_TOWN) == []


def test_visible_devices_of_a_site_and_of_the_scope(db: Database) -> None:
    devices = populate(db)
    _, site_id, _ = devices["GPSEC01"]
    with UnitOfWork(db) as uow:
        assert [d["mn"] for d in enterprises.visible_devices(uow, scope=CITY, site_id=site_id)] == ["GPSEC01"]
        assert len(enterprises.visible_devices(uow, scope=CITY)) == 5
        assert enterprises.visible_devices(uow, scope=OTHER_TOWN) == []


def test_set_device_active_writes_the_change_and_its_audit_entry(db: Database) -> None:
    devices = populate(db)
    device_id, site_id, _ = devices["GPGAS01"]
    with UnitOfWork(db) as uow:
        after = enterprises.set_device_active(
            uow, principal=ADMIN, device_id=device_id, active=False, ip="10.1.2.3"
        )
    assert after == {"id": device_id, "mn": "GPGAS01", "site_id": site_id, "active": False}
    with UnitOfWork(db) as uow:
        assert enterprises.device_summary(uow, device_id=device_id)["active"] is False
        (entry,) = accounts.audit_entries(uow, limit=5)
    assert (entry["action"], entry["entity"], entry["entity_id"], entry["ip"]) == (
        "set_active",
        "device",
        str(device_id),
        "10.1.2.3",
    )
    assert entry["detail"] == {"mn": "GPGAS01", "from": True, "to": False} and entry["username"] == "admin"


def test_switching_a_missing_device_writes_nothing(db: Database) -> None:
    populate(db)
    with UnitOfWork(db) as uow, pytest.raises(NotFound):
        enterprises.set_device_active(uow, principal=ADMIN, device_id=999999, active=False)
    with UnitOfWork(db) as uow:
        assert accounts.audit_entries(uow) == []
