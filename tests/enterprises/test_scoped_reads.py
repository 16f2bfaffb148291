"""Scoped reads of firms and sites on SQLite and PostgreSQL: a town officer sees the town's firms
and sites, an enterprise user its firm and outlets, a park user its park's firms and outlets, the
public only the disclosed air stations and water sections; a row outside the scope is refused
(PermissionDenied), a missing one is not found (NotFound)."""

from __future__ import annotations

import pytest

from greenport.accounts.model import CITY, DISCLOSED, Role, RowScope
from greenport.enterprises import service as enterprises
from greenport.enterprises.model import SiteKind
from greenport.kernel.errors import NotFound, PermissionDenied
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.regions.conftest import TOWN, TOWN_2, ScopedRegistry, scope_of, seed_scoped_registry


@pytest.fixture
def scoped_registry(db: Database) -> ScopedRegistry:
    return seed_scoped_registry(db)


def seen(registry: ScopedRegistry, scope: RowScope) -> tuple[list[int], int, list[str]]:
    """Ids of the firms, their total, and codes of the sites ``scope`` sees."""
    with UnitOfWork(registry.db) as uow:
        firms, total = enterprises.visible_enterprises(uow, scope=scope)
        sites = enterprises.visible_sites(uow, scope=scope)
    return [f["id"] for f in firms], total, [s["code"] for s in sites]


def test_the_city_sees_every_firm_and_site(scoped_registry: ScopedRegistry) -> None:
    r = scoped_registry
    assert seen(r, CITY) == (
        [r.in_park, r.outside_park, r.other_town],
        3,
        ["AIR-1", "DA-A", "DA-C", "DW-B", "WS-2"],
    )


def test_a_town_officer_sees_only_the_towns_firms_and_sites(scoped_registry: ScopedRegistry) -> None:
    r = scoped_registry
    officer = scope_of(Role.TOWN_OFFICER, division_code=TOWN)
    assert seen(r, officer) == ([r.in_park, r.outside_park], 2, ["AIR-1", "DA-A", "DW-B"])
    with UnitOfWork(r.db) as uow:
        assert (
            enterprises.visible_enterprise(uow, enterprise_id=r.in_park, scope=officer)["town_code"] == TOWN
        )
        with pytest.raises(PermissionDenied) as firm:
            enterprises.visible_enterprise(uow, enterprise_id=r.other_town, scope=officer)
        assert firm.value.field == "enterprise_id"
        with pytest.raises(PermissionDenied) as site:
            enterprises.visible_site(uow, site_id=r.sites["WS-2"], scope=officer)
        assert site.value.field == "site_id"


def test_an_enterprise_user_sees_only_its_firm_and_outlets(scoped_registry: ScopedRegistry) -> None:
    r = scoped_registry
    firm = scope_of(Role.ENTERPRISE, enterprise_id=r.outside_park)
    assert seen(r, firm) == ([r.outside_park], 1, ["DW-B"])
    with UnitOfWork(r.db) as uow:
        outlet = enterprises.visible_site(uow, site_id=r.sites["DW-B"], scope=firm)
        assert (outlet["kind"], outlet["enterprise_id"]) == ("water_outlet", r.outside_park)
        for other_site in ("DA-A", "AIR-1"):  # a neighbour's outlet; the town's air station
            with pytest.raises(PermissionDenied):
                enterprises.visible_site(uow, site_id=r.sites[other_site], scope=firm)
        with pytest.raises(PermissionDenied):
            enterprises.visible_enterprise(uow, enterprise_id=r.in_park, scope=firm)


def test_a_park_user_sees_only_the_parks_firms_and_outlets(scoped_registry: ScopedRegistry) -> None:
    r = scoped_registry
    assert seen(r, scope_of(Role.DEPARTMENT, park_id=r.park)) == ([r.in_park], 1, ["DA-A"])
    committee = scope_of(Role.DEPARTMENT, park_id=r.park_2)
    assert seen(r, committee) == ([r.other_town], 1, ["DA-C"])
    with UnitOfWork(r.db) as uow, pytest.raises(PermissionDenied):
        enterprises.visible_enterprise(uow, enterprise_id=r.outside_park, scope=committee)


def test_the_public_sees_only_disclosed_sites_and_no_firm(scoped_registry: ScopedRegistry) -> None:
    r = scoped_registry
    assert seen(r, scope_of(Role.PUBLIC)) == ([], 0, ["AIR-1", "WS-2"])
    with UnitOfWork(r.db) as uow:
        air = enterprises.visible_sites(uow, scope=DISCLOSED, kind=SiteKind.AIR_STATION)
        assert [s["code"] for s in air] == ["AIR-1"]
        with pytest.raises(PermissionDenied):
            enterprises.visible_site(uow, site_id=r.sites["DA-A"], scope=DISCLOSED)
        with pytest.raises(PermissionDenied):
            enterprises.visible_enterprise(uow, enterprise_id=r.in_park, scope=DISCLOSED)


def test_a_missing_firm_or_site_is_not_found_in_every_scope(scoped_registry: ScopedRegistry) -> None:
    with UnitOfWork(scoped_registry.db) as uow:
        for scope in (CITY, DISCLOSED, scope_of(Role.TOWN_OFFICER, division_code=TOWN)):
            with pytest.raises(NotFound) as firm:
                enterprises.visible_enterprise(uow, enterprise_id=999_999, scope=scope)
            assert firm.value.field == "enterprise_id"
            with pytest.raises(NotFound) as site:
                enterprises.visible_site(uow, site_id=999_999, scope=scope)
            assert site.value.field == "site_id"


def test_pages_filters_and_the_total(scoped_registry: ScopedRegistry) -> None:
    r = scoped_registry
    with UnitOfWork(r.db) as uow:
        page, total = enterprises.visible_enterprises(uow, scope=CITY, limit=1, offset=1)
        assert ([f["id"] for f in page], total) == ([r.outside_park], 3)
        in_town_2, total_2 = enterprises.visible_enterprises(uow, scope=CITY, town_code=TOWN_2)
        assert ([f["id"] for f in in_town_2], total_2) == ([r.other_town], 1)
        outlets = enterprises.visible_sites(uow, scope=CITY, enterprise_id=r.in_park)
        assert [s["code"] for s in outlets] == ["DA-A"]
        in_town = enterprises.visible_sites(uow, scope=CITY, town_code=TOWN_2)
        assert [s["code"] for s in in_town] == ["DA-C", "WS-2"]


def test_the_registry_workbook_holds_the_callers_scope(scoped_registry: ScopedRegistry) -> None:
    r = scoped_registry
    with UnitOfWork(r.db) as uow:
        workbook = enterprises.registry_workbook(uow, scope=scope_of(Role.TOWN_OFFICER, division_code=TOWN))
    assert list(workbook) == ["towns", "parks", "enterprises", "sites"]
    assert [t["code"] for t in workbook["towns"]] == [TOWN]
    assert [p["code"] for p in workbook["parks"]] == ["P1"]
    assert "boundary" not in workbook["parks"][0]
    assert [f["id"] for f in workbook["enterprises"]] == [r.in_park, r.outside_park]
    assert [s["code"] for s in workbook["sites"]] == ["AIR-1", "DA-A", "DW-B"]


def test_registry_counts(scoped_registry: ScopedRegistry) -> None:
    with UnitOfWork(scoped_registry.db) as uow:
        counts = enterprises.registry_counts(uow)
    assert list(counts) == list(enterprises.REGISTRY_TABLES)
    assert {
        k: counts[k] for k in ("divisions", "grid_cells", "parks", "enterprises", "sites", "devices")
    } == {
        "divisions": 6,
        "grid_cells": 4,
        "parks": 2,
        "enterprises": 3,
        "sites": 5,
        "devices": 0,
    }
