from __future__ import annotations

import pytest

from greenport.accounts.passwords import verify_password
from greenport.enterprises import service
from greenport.enterprises.model import CrcVariantSetting, Site, SiteKind, SiteLevel
from greenport.enterprises.validation import validate_mn
from greenport.kernel.errors import Conflict, InvalidInput, NotFound
from greenport.regions.model import Division, DivisionLevel
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork


@pytest.fixture
def site_id(db: Database) -> int:
    with UnitOfWork(db) as uow:
        uow.registry.add_division(Division("320582000000", "港城市", DivisionLevel.CITY))
        uow.registry.add_division(Division("320582100000", "东港镇", DivisionLevel.TOWN, "320582000000"))
        site = uow.registry.add_site(
            Site(None, "AIR-1", "东港站", SiteKind.AIR_STATION, SiteLevel.TOWN, "320582100000", 120.5, 31.9)
        )
        assert site.id is not None
        return site.id


def test_register_and_read_credentials(db: Database, site_id: int) -> None:
    with UnitOfWork(db) as uow:
        device = service.register_device(
            uow, mn="010000A8900016F000169DC0", password="123456", site_code="AIR-1"
        )
    assert device.id is not None and device.site_id == site_id
    with UnitOfWork(db) as uow:
        found = service.get_device_credentials(uow, "010000A8900016F000169DC0")
        assert found is not None
        stored, password_hash = found
        assert stored == device
        assert password_hash != "123456" and verify_password(password_hash, "123456")
        assert service.get_device_credentials(uow, "UNKNOWN") is None
        assert [d.mn for d in service.list_devices(uow)] == ["010000A8900016F000169DC0"]


def test_duplicate_mn_is_a_conflict_and_writes_nothing(db: Database, site_id: int) -> None:
    with UnitOfWork(db) as uow:
        service.register_device(uow, mn="LD130133000015", password="pw1", site_id=site_id)
    with pytest.raises(Conflict) as caught, UnitOfWork(db) as uow:
        service.register_device(
            uow, mn="LD130133000015", password="pw2", site_id=site_id, crc_variant="modbus_swapped"
        )
    assert caught.value.field == "mn"
    with UnitOfWork(db) as uow:
        devices = service.list_devices(uow)
    assert len(devices) == 1 and devices[0].crc_variant == CrcVariantSetting.HJ212


def test_unknown_site_and_bad_inputs(db: Database, site_id: int) -> None:
    with pytest.raises(NotFound) as caught, UnitOfWork(db) as uow:
        service.register_device(uow, mn="M1", password="pw", site_code="NOPE")
    assert caught.value.field == "site_code"
    with pytest.raises(InvalidInput) as bad, UnitOfWork(db) as uow:
        service.register_device(uow, mn="M1", password="pw", site_id=site_id, crc_variant="crc32")
    assert bad.value.field == "crc_variant"
    with pytest.raises(InvalidInput) as bad, UnitOfWork(db) as uow:
        service.register_device(uow, mn="M1", password="p;w", site_id=site_id)
    assert bad.value.field == "password"


@pytest.mark.parametrize(
    "mn", ["010000A8900016F000169DC0", "LD130133000015", "JLYP01_AIR01_0001", "Z13401000010301"]
)
def test_mn_accepts_real_identifiers(mn: str) -> None:
    assert validate_mn(f" {mn} ") == mn


@pytest.mark.parametrize(
    ("mn", "reason"),
    [("", "required"), ("0" * 25, "at most 24"), ("AB;CD", "';'"), ("AB CD", "' '"), ("MN=1", "'='")],
)
def test_mn_refuses_bad_identifiers(mn: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason) as caught:
        validate_mn(mn)
    assert caught.value.field == "mn"
