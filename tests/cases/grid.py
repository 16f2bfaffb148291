"""A small grid for the case tests: a city, two towns with boundaries, two villages of the first
town with boundaries (west and east halves), grid cells at every level, officers with accounts,
a town officer, a department user and three sites (all through the services, as a deployment
would set them up)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from greenport.accounts import service as accounts
from greenport.accounts.model import Principal
from greenport.enterprises.model import IndustryGroup, SiteKind, SiteLevel, SizeClass
from greenport.regions import service as regions
from greenport.storage.db import Database
from greenport.storage.registry import EnterpriseRow, SiteRow
from greenport.storage.uow import UnitOfWork

CITY = "320582000000"
TOWN = "320582100000"
OTHER_TOWN = "320582101000"
WEST = "320582100201"
EAST = "320582100202"
OTHER_VILLAGE = "320582101201"
PASSWORD = "a-long-test-password-1"
#: 2025-03-03 09:00 Beijing time, a Monday and a working day
MONDAY = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)


def _box(x0: float, y0: float, x1: float, y1: float) -> str:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


@dataclass(frozen=True)
class Grid:
    db: Database
    sites: dict[str, int]

    def principal(self, username: str) -> Principal:
        with UnitOfWork(self.db) as uow:
            user = accounts.get_user(uow, username=username)
            return accounts.principal_of(uow, user)


def make_grid(db: Database) -> Grid:
    with UnitOfWork(db) as uow:
        regions.register_division(
            uow, code=CITY, name="港城市", level="city", boundary_geojson=_box(120.0, 31.0, 122.0, 32.0)
        )
        regions.register_division(
            uow, code=TOWN, name="金港镇", parent_code=CITY, boundary_geojson=_box(120.0, 31.0, 121.0, 32.0)
        )
        regions.register_division(
            uow,
            code=OTHER_TOWN,
            name="杨舍镇",
            parent_code=CITY,
            boundary_geojson=_box(121.0, 31.0, 122.0, 32.0),
        )
        regions.register_division(
            uow, code=WEST, name="西村", parent_code=TOWN, boundary_geojson=_box(120.0, 31.0, 120.5, 32.0)
        )
        regions.register_division(
            uow, code=EAST, name="东村", parent_code=TOWN, boundary_geojson=_box(120.5, 31.0, 121.0, 32.0)
        )
        regions.register_division(
            uow,
            code=OTHER_VILLAGE,
            name="南村",
            parent_code=OTHER_TOWN,
            boundary_geojson=_box(121.0, 31.0, 122.0, 32.0),
        )
        regions.add_grid_cell(uow, division_code=CITY)
        for code in (TOWN, OTHER_TOWN, WEST, EAST, OTHER_VILLAGE):
            regions.add_grid_cell(uow, division_code=code)
        users = {
            "west1": ("grid_officer", WEST, f"G{WEST}"),
            "west2": ("grid_officer", WEST, f"G{WEST}"),
            "east1": ("grid_officer", EAST, f"G{EAST}"),
            "south1": ("grid_officer", OTHER_VILLAGE, f"G{OTHER_VILLAGE}"),
            "townofficer": ("town_officer", TOWN, None),
            "othertown": ("town_officer", OTHER_TOWN, None),
            "admin": ("city_admin", None, None),
            "eco": ("department", None, None),
            "housing": ("department", None, None),
            "firm": ("public", None, None),
        }
        for username, (role, division, cell) in users.items():
            department = {"eco": "市生态环境局", "housing": "市住房和城乡建设局"}.get(username)
            user = accounts.create_user(
                uow,
                username=username,
                password=PASSWORD,
                role=role,
                division_code=division,
                department=department,
            )
            if cell is not None:
                regions.add_grid_officer(uow, grid_cell_code=cell, name=username, user_id=user.id)
        firm = EnterpriseRow(
            credit_code="91320582MA1TEST01X",
            name="港城电厂",
            town_code=TOWN,
            industry_code="4411",
            industry_group=IndustryGroup.OTHER,
            land_area_mu=100.0,
            size_class=SizeClass.LARGE,
            lon=120.7,
            lat=31.5,
        )
        uow.session.add(firm)
        uow.session.flush()
        sites = {}
        for code, kind, town, lon in (
            ("GAS01", SiteKind.GAS_OUTLET, TOWN, 120.7),
            ("WAT01", SiteKind.WATER_OUTLET, TOWN, 120.2),
            ("GAS02", SiteKind.GAS_OUTLET, OTHER_TOWN, 121.5),
        ):
            site = SiteRow(
                code=code,
                name=f"站点{code}",
                kind=kind,
                level=SiteLevel.ENTERPRISE,
                town_code=town,
                enterprise_id=firm.id,
                lon=lon,
                lat=31.5,
            )
            uow.session.add(site)
            uow.session.flush()
            sites[code] = site.id
    return Grid(db, sites)
