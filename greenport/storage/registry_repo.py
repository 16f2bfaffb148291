"""Repository of the city's registry: maps registry rows <-> domain dataclasses.

One class serves the ports of ``regions``, ``enterprises`` and ``accounts`` (``uow.registry``).
It flushes after each insert so that ids are known, and never commits (the unit of work does).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import false, func, or_, select, update
from sqlalchemy.orm import Session

from greenport.accounts.model import DISCLOSED_SITE_KINDS, RowScope
from greenport.enterprises.model import Device, Enterprise, EnterpriseYear, Site, SiteKind
from greenport.kernel.time import utcnow
from greenport.regions.model import Division, DivisionLevel, GridCell, GridLevel, GridOfficer, Park
from greenport.storage.base import optional_float
from greenport.storage.registry import (
    DeviceRow,
    DivisionRow,
    EnterpriseRow,
    EnterpriseYearRow,
    GridCellRow,
    GridOfficerRow,
    ParkRow,
    SiteRow,
    UserRow,
)

_YEAR_MONEY = (
    "output_10k_yuan",
    "revenue_10k_yuan",
    "tax_10k_yuan",
    "value_added_10k_yuan",
    "rd_expense_10k_yuan",
    "energy_tce",
    "cod_t",
    "nh3_n_t",
    "so2_t",
    "nox_t",
)


def _rounded_decimal(value: float | None, places: int) -> Decimal | None:
    return None if value is None else round(Decimal(str(value)), places)


def _enterprise_dict(row: EnterpriseRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "credit_code": row.credit_code,
        "name": row.name,
        "industry_code": row.industry_code,
        "industry_group": str(row.industry_group.value),
        "town_code": row.town_code,
        "park_id": row.park_id,
        "land_area_mu": row.land_area_mu,
        "lon": row.lon,
        "lat": row.lat,
        "size_class": str(row.size_class.value),
        "above_scale": row.above_scale,
        "enterprise_id": row.id,
    }


#: Orders ``search_enterprises`` knows (key -> columns; the id breaks ties so pages are stable).
_ENTERPRISE_ORDERS: dict[str, tuple[Any, ...]] = {
    "name": (EnterpriseRow.name,),
    "credit_code": (EnterpriseRow.credit_code,),
    "town": (EnterpriseRow.town_code, EnterpriseRow.name),
    "land": (EnterpriseRow.land_area_mu,),
    "id": (),
}


def _boundary(geojson: str | None) -> dict[str, Any] | None:
    """A stored GeoJSON boundary as the object a map layer takes ([lon, lat] in degree), or None."""
    return json.loads(geojson) if geojson else None


def _site_dict(row: SiteRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "name": row.name,
        "kind": str(row.kind.value),
        "level": str(row.level.value),
        "town_code": row.town_code,
        "enterprise_id": row.enterprise_id,
        "lon": row.lon,
        "lat": row.lat,
        "waterbody": row.waterbody.value if row.waterbody else None,
        "river": row.river,
        "target_class": row.target_class,
        "emission_standard": row.emission_standard,
        "emission_grade": row.emission_grade,
        "process": row.process,
    }


def scope_sites(query: Any, scope: RowScope) -> Any:
    """``query`` (over :class:`SiteRow`) narrowed to the sites ``scope`` may see: the one place
    the site scope is written in SQL (registry reads, alarms)."""
    if scope.disclosed_only:
        query = query.where(SiteRow.kind.in_(DISCLOSED_SITE_KINDS))
    if scope.town_codes is not None:
        query = query.where(SiteRow.town_code.in_(scope.town_codes))
    if scope.enterprise_id is not None:
        query = query.where(SiteRow.enterprise_id == scope.enterprise_id)
    if scope.park_id is not None:
        query = query.where(
            SiteRow.enterprise_id.in_(select(EnterpriseRow.id).where(EnterpriseRow.park_id == scope.park_id))
        )
    return query


class RegistryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._park_ids: dict[str, int] = {}
        self._park_codes: dict[int, str] = {}

    # ===================================================================== divisions
    @staticmethod
    def _division_from_row(row: DivisionRow) -> Division:
        return Division(
            code=row.code,
            name=row.name,
            level=row.level,
            parent_code=row.parent_code,
            boundary_geojson=row.boundary_geojson,
            area_km2=row.area_km2,
            population=row.population,
        )

    def add_division(self, division: Division) -> Division:
        self.session.add(
            DivisionRow(
                code=division.code,
                name=division.name,
                level=division.level,
                parent_code=division.parent_code,
                boundary_geojson=division.boundary_geojson,
                area_km2=division.area_km2,
                population=division.population,
            )
        )
        self.session.flush()
        return division

    def get_division(self, code: str) -> Division | None:
        row = self.session.get(DivisionRow, code)
        return None if row is None else self._division_from_row(row)

    def list_divisions(
        self, *, level: DivisionLevel | Sequence[DivisionLevel] | None = None, parent_code: str | None = None
    ) -> list[Division]:
        query = select(DivisionRow).order_by(DivisionRow.code)
        if level is not None:
            levels = [level] if isinstance(level, DivisionLevel) else list(level)
            query = query.where(DivisionRow.level.in_(levels))
        if parent_code is not None:
            query = query.where(DivisionRow.parent_code == parent_code)
        return [self._division_from_row(r) for r in self.session.scalars(query)]

    def division_level(self, code: str) -> str | None:
        level = self.session.scalar(select(DivisionRow.level).where(DivisionRow.code == code))
        return None if level is None else str(level.value)

    def division_levels(self) -> dict[str, str]:
        return {
            code: str(level.value)
            for code, level in self.session.execute(select(DivisionRow.code, DivisionRow.level))
        }

    # ===================================================================== grid
    def _grid_code(self, cell_id: int | None) -> str | None:
        if cell_id is None:
            return None
        return self.session.scalar(select(GridCellRow.code).where(GridCellRow.id == cell_id))

    def _grid_cell(self, row: GridCellRow) -> GridCell:
        return GridCell(
            id=row.id,
            code=row.code,
            name=row.name,
            level=row.level,
            division_code=row.division_code,
            parent_code=self._grid_code(row.parent_id),
        )

    def add_grid_cell(self, cell: GridCell) -> GridCell:
        parent_id = None
        if cell.parent_code is not None:
            parent_id = self.session.scalar(
                select(GridCellRow.id).where(GridCellRow.code == cell.parent_code)
            )
        row = GridCellRow(
            code=cell.code,
            name=cell.name,
            level=cell.level,
            division_code=cell.division_code,
            parent_id=parent_id,
        )
        self.session.add(row)
        self.session.flush()
        return GridCell(row.id, cell.code, cell.name, cell.level, cell.division_code, cell.parent_code)

    def get_grid_cell(self, code: str) -> GridCell | None:
        row = self.session.scalar(select(GridCellRow).where(GridCellRow.code == code))
        return None if row is None else self._grid_cell(row)

    def list_grid_cells(
        self, *, level: GridLevel | None = None, division_code: str | None = None
    ) -> list[GridCell]:
        parent = GridCellRow.__table__.alias("parent")
        query = (
            select(GridCellRow, parent.c.code)
            .outerjoin(parent, parent.c.id == GridCellRow.parent_id)
            .order_by(GridCellRow.id)
        )
        if level is not None:
            query = query.where(GridCellRow.level == level)
        if division_code is not None:
            query = query.where(GridCellRow.division_code == division_code)
        return [
            GridCell(row.id, row.code, row.name, row.level, row.division_code, parent_code)
            for row, parent_code in self.session.execute(query)
        ]

    def add_grid_officer(self, officer: GridOfficer) -> GridOfficer:
        cell_id = self.session.scalar(
            select(GridCellRow.id).where(GridCellRow.code == officer.grid_cell_code)
        )
        if cell_id is None:
            raise LookupError(f"no grid cell {officer.grid_cell_code}")
        row = GridOfficerRow(
            name=officer.name, phone=officer.phone, grid_cell_id=cell_id, user_id=officer.user_id
        )
        self.session.add(row)
        self.session.flush()
        return GridOfficer(row.id, officer.name, officer.grid_cell_code, officer.phone, officer.user_id)

    def list_grid_officers(self, *, grid_cell_code: str | None = None) -> list[GridOfficer]:
        query = (
            select(GridOfficerRow, GridCellRow.code)
            .join(GridCellRow, GridCellRow.id == GridOfficerRow.grid_cell_id)
            .order_by(GridOfficerRow.id)
        )
        if grid_cell_code is not None:
            query = query.where(GridCellRow.code == grid_cell_code)
        return [
            GridOfficer(row.id, row.name, code, row.phone, row.user_id)
            for row, code in self.session.execute(query)
        ]

    # ===================================================================== parks
    @staticmethod
    def _park_from_row(row: ParkRow) -> Park:
        return Park(row.id, row.code, row.name, row.kind, row.town_code, row.boundary_geojson)

    def add_park(self, park: Park) -> Park:
        row = ParkRow(
            code=park.code,
            name=park.name,
            kind=park.kind,
            town_code=park.town_code,
            boundary_geojson=park.boundary_geojson,
        )
        self.session.add(row)
        self.session.flush()
        return self._park_from_row(row)

    def get_park(self, code: str) -> Park | None:
        row = self.session.scalar(select(ParkRow).where(ParkRow.code == code))
        return None if row is None else self._park_from_row(row)

    def list_parks(self) -> list[Park]:
        """Every park as a dataclass, unscoped (use cases, exports); ``visible_parks`` is the scoped
        read model of pages and the API."""
        return [self._park_from_row(r) for r in self.session.scalars(select(ParkRow).order_by(ParkRow.id))]

    def park_town(self, park_code: str) -> str | None:
        return self.session.scalar(select(ParkRow.town_code).where(ParkRow.code == park_code))

    def park_towns(self) -> dict[str, str]:
        return {key: value for key, value in self.session.execute(select(ParkRow.code, ParkRow.town_code))}

    def _park_id(self, code: str | None) -> int | None:
        if code is None:
            return None
        if code not in self._park_ids:
            park_id = self.session.scalar(select(ParkRow.id).where(ParkRow.code == code))
            if park_id is None:
                raise LookupError(f"no park {code}")
            self._park_ids[code] = park_id
            self._park_codes[park_id] = code
        return self._park_ids[code]

    def _park_code(self, park_id: int | None) -> str | None:
        if park_id is None:
            return None
        if park_id not in self._park_codes:
            code = self.session.scalar(select(ParkRow.code).where(ParkRow.id == park_id))
            if code is None:
                return None
            self._park_codes[park_id] = code
            self._park_ids[code] = park_id
        return self._park_codes[park_id]

    # ===================================================================== enterprises
    def _enterprise_from_row(self, row: EnterpriseRow) -> Enterprise:
        return Enterprise(
            id=row.id,
            credit_code=row.credit_code,
            name=row.name,
            industry_code=row.industry_code,
            industry_group=row.industry_group,
            town_code=row.town_code,
            park_code=self._park_code(row.park_id),
            land_area_mu=row.land_area_mu,
            lon=row.lon,
            lat=row.lat,
            size_class=row.size_class,
            above_scale=row.above_scale,
        )

    def add_enterprise(self, enterprise: Enterprise) -> Enterprise:
        row = EnterpriseRow(
            credit_code=enterprise.credit_code,
            name=enterprise.name,
            industry_code=enterprise.industry_code,
            industry_group=enterprise.industry_group,
            town_code=enterprise.town_code,
            park_id=self._park_id(enterprise.park_code),
            land_area_mu=enterprise.land_area_mu,
            lon=enterprise.lon,
            lat=enterprise.lat,
            size_class=enterprise.size_class,
            above_scale=enterprise.above_scale,
        )
        self.session.add(row)
        self.session.flush()
        return self._enterprise_from_row(row)

    def add_enterprises(self, batch: Sequence[Enterprise]) -> list[Enterprise]:
        """Insert many enterprises with one flush (file imports, the demo city)."""
        rows = [
            EnterpriseRow(
                credit_code=e.credit_code,
                name=e.name,
                industry_code=e.industry_code,
                industry_group=e.industry_group,
                town_code=e.town_code,
                park_id=self._park_id(e.park_code),
                land_area_mu=e.land_area_mu,
                lon=e.lon,
                lat=e.lat,
                size_class=e.size_class,
                above_scale=e.above_scale,
            )
            for e in batch
        ]
        self.session.add_all(rows)
        self.session.flush()
        return [self._enterprise_from_row(row) for row in rows]

    def get_enterprise(self, enterprise_id: int) -> Enterprise | None:
        row = self.session.get(EnterpriseRow, enterprise_id)
        return None if row is None else self._enterprise_from_row(row)

    def get_enterprise_by_credit_code(self, credit_code: str) -> Enterprise | None:
        row = self.session.scalar(select(EnterpriseRow).where(EnterpriseRow.credit_code == credit_code))
        return None if row is None else self._enterprise_from_row(row)

    def list_enterprises(
        self, *, town_code: str | None = None, park_code: str | None = None
    ) -> list[Enterprise]:
        """Every enterprise as a dataclass, unscoped (use cases, exports); ``visible_enterprises``
        is the scoped, paged read model of pages and the API."""
        query = select(EnterpriseRow).order_by(EnterpriseRow.id)
        if town_code is not None:
            query = query.where(EnterpriseRow.town_code == town_code)
        if park_code is not None:
            query = query.where(EnterpriseRow.park_id == self._park_id(park_code))
        return [self._enterprise_from_row(r) for r in self.session.scalars(query)]

    def enterprise_id(self, credit_code: str) -> int | None:
        return self.session.scalar(select(EnterpriseRow.id).where(EnterpriseRow.credit_code == credit_code))

    def enterprise_ids(self) -> dict[str, int]:
        return {
            key: value
            for key, value in self.session.execute(select(EnterpriseRow.credit_code, EnterpriseRow.id))
        }

    def enterprise_town(self, enterprise_id: int) -> str | None:
        return self.session.scalar(select(EnterpriseRow.town_code).where(EnterpriseRow.id == enterprise_id))

    def enterprise_towns(self) -> dict[int, str]:
        return {
            key: value
            for key, value in self.session.execute(select(EnterpriseRow.id, EnterpriseRow.town_code))
        }

    def put_enterprise_year(self, figures: EnterpriseYear) -> None:
        self.put_enterprise_years([figures])

    def put_enterprise_years(self, batch: Sequence[EnterpriseYear]) -> None:
        """Insert or replace the figures of (enterprise, year) pairs, with one flush."""
        if not batch:
            return
        ids = sorted({f.enterprise_id for f in batch})
        existing = {
            (row.enterprise_id, row.year): row
            for row in self.session.scalars(
                select(EnterpriseYearRow).where(EnterpriseYearRow.enterprise_id.in_(ids))
            )
        }
        for figures in batch:
            row = existing.get((figures.enterprise_id, figures.year))
            if row is None:
                row = EnterpriseYearRow(enterprise_id=figures.enterprise_id, year=figures.year)
                self.session.add(row)
                existing[(figures.enterprise_id, figures.year)] = row
            for name in _YEAR_MONEY:
                places = 3 if name.endswith("_t") else 2
                setattr(row, name, _rounded_decimal(getattr(figures, name), places))
            row.employees = figures.employees
        self.session.flush()

    def list_enterprise_years(
        self, *, year: int | None = None, enterprise_id: int | None = None
    ) -> list[EnterpriseYear]:
        query = select(EnterpriseYearRow).order_by(EnterpriseYearRow.enterprise_id, EnterpriseYearRow.year)
        if year is not None:
            query = query.where(EnterpriseYearRow.year == year)
        if enterprise_id is not None:
            query = query.where(EnterpriseYearRow.enterprise_id == enterprise_id)
        return [
            EnterpriseYear(
                enterprise_id=row.enterprise_id,
                year=row.year,
                employees=row.employees,
                **{name: optional_float(getattr(row, name)) for name in _YEAR_MONEY},
            )
            for row in self.session.scalars(query)
        ]

    # ===================================================================== sites
    @staticmethod
    def _site_from_row(row: SiteRow) -> Site:
        return Site(
            id=row.id,
            code=row.code,
            name=row.name,
            kind=row.kind,
            level=row.level,
            town_code=row.town_code,
            lon=row.lon,
            lat=row.lat,
            enterprise_id=row.enterprise_id,
            waterbody=row.waterbody,
            river=row.river,
            target_class=row.target_class,
            emission_standard=row.emission_standard,
            process=row.process,
            emission_grade=row.emission_grade,
        )

    def add_site(self, site: Site) -> Site:
        row = SiteRow(
            code=site.code,
            name=site.name,
            kind=site.kind,
            level=site.level,
            town_code=site.town_code,
            enterprise_id=site.enterprise_id,
            lon=site.lon,
            lat=site.lat,
            waterbody=site.waterbody,
            river=site.river,
            target_class=site.target_class,
            emission_standard=site.emission_standard,
            process=site.process,
            emission_grade=site.emission_grade,
        )
        self.session.add(row)
        self.session.flush()
        return self._site_from_row(row)

    def get_site(self, site_id: int) -> Site | None:
        row = self.session.get(SiteRow, site_id)
        return None if row is None else self._site_from_row(row)

    def get_site_by_code(self, code: str) -> Site | None:
        row = self.session.scalar(select(SiteRow).where(SiteRow.code == code))
        return None if row is None else self._site_from_row(row)

    def site_exists(self, code: str) -> bool:
        return self.session.scalar(select(SiteRow.id).where(SiteRow.code == code)) is not None

    def site_codes(self) -> set[str]:
        return set(self.session.scalars(select(SiteRow.code)))

    def list_sites(self, *, kind: SiteKind | None = None, enterprise_id: int | None = None) -> list[Site]:
        """Every site as a dataclass, unscoped (use cases, exports); ``visible_sites`` is the scoped
        read model of pages and the API."""
        query = select(SiteRow).order_by(SiteRow.id)
        if kind is not None:
            query = query.where(SiteRow.kind == kind)
        if enterprise_id is not None:
            query = query.where(SiteRow.enterprise_id == enterprise_id)
        return [self._site_from_row(r) for r in self.session.scalars(query)]

    # ===================================================================== devices
    @staticmethod
    def _device_from_row(row: DeviceRow) -> Device:
        return Device(
            id=row.id, mn=row.mn, site_id=row.site_id, crc_variant=row.crc_variant, active=row.active
        )

    def add_device(self, device: Device, *, password_hash: str, created_at: datetime | None = None) -> Device:
        row = DeviceRow(
            created_at=created_at or utcnow(),
            mn=device.mn,
            password_hash=password_hash,
            site_id=device.site_id,
            crc_variant=device.crc_variant,
            active=device.active,
        )
        self.session.add(row)
        self.session.flush()
        return self._device_from_row(row)

    def get_device(self, mn: str) -> Device | None:
        row = self.session.scalar(select(DeviceRow).where(DeviceRow.mn == mn))
        return None if row is None else self._device_from_row(row)

    def get_device_credentials(self, mn: str) -> tuple[Device, str] | None:
        row = self.session.scalar(select(DeviceRow).where(DeviceRow.mn == mn))
        return None if row is None else (self._device_from_row(row), row.password_hash)

    def list_devices(self, *, site_id: int | None = None) -> list[Device]:
        query = select(DeviceRow).order_by(DeviceRow.id)
        if site_id is not None:
            query = query.where(DeviceRow.site_id == site_id)
        return [self._device_from_row(r) for r in self.session.scalars(query)]

    # ===================================================================== scoped reads
    # Read models for pages, reports and the API: plain dicts in the shape the JSON and the
    # templates show, each taking a RowScope applied in SQL so that no row outside a caller's
    # region, park or enterprise leaves storage. The domain reads above (``list_sites``,
    # ``list_enterprises``, ...) return dataclasses for the use cases, imports and exports, and
    # know no scope; the two differ in shape and purpose, not in logic.

    @staticmethod
    def _division_summary(row: DivisionRow) -> dict[str, Any]:
        return {
            "code": row.code,
            "name": row.name,
            "level": str(row.level.value),
            "parent_code": row.parent_code,
            "area_km2": row.area_km2,
            "population": row.population,
        }

    def division_summary(self, code: str) -> dict[str, Any] | None:
        """Any division (of every level) by code, or None; no scope: names are not confidential."""
        row = self.session.get(DivisionRow, code)
        return None if row is None else self._division_summary(row)

    def city_summary(self) -> dict[str, Any] | None:
        """The city division (the root of the tree), or None before any division is stored."""
        row = self.session.scalar(select(DivisionRow).where(DivisionRow.level == DivisionLevel.CITY).limit(1))
        return None if row is None else self._division_summary(row)

    def visible_towns(self, scope: RowScope, *, with_boundaries: bool = False) -> list[dict[str, Any]]:
        """Towns and streets in ``scope`` (a firm or park user: the town it lies in), by code."""
        query = (
            select(DivisionRow)
            .where(DivisionRow.level.in_([DivisionLevel.TOWN, DivisionLevel.STREET]))
            .order_by(DivisionRow.code)
        )
        if scope.town_codes is not None:
            query = query.where(DivisionRow.code.in_(scope.town_codes))
        if scope.enterprise_id is not None:
            query = query.where(
                DivisionRow.code.in_(
                    select(EnterpriseRow.town_code).where(EnterpriseRow.id == scope.enterprise_id)
                )
            )
        if scope.park_id is not None:
            query = query.where(
                DivisionRow.code.in_(select(ParkRow.town_code).where(ParkRow.id == scope.park_id))
            )
        out = []
        for row in self.session.scalars(query):
            item: dict[str, Any] = {
                "code": row.code,
                "name": row.name,
                "level": str(row.level.value),
                "town_code": row.code,
                "area_km2": row.area_km2,
                "population": row.population,
            }
            if with_boundaries:
                item["boundary"] = _boundary(row.boundary_geojson)
            out.append(item)
        return out

    def visible_grid_cells(self, scope: RowScope) -> list[dict[str, Any]]:
        """Grid cells in ``scope``, by code; cells are territory: none for the public, a park or a firm."""
        query = select(GridCellRow).order_by(GridCellRow.code)
        if scope.disclosed_only or scope.enterprise_id is not None or scope.park_id is not None:
            query = query.where(false())
        if scope.town_codes is not None:
            # a cell belongs to a town when its division is the town or lies below it (same 9-digit prefix)
            query = query.where(
                or_(false(), *[GridCellRow.division_code.like(code[:9] + "%") for code in scope.town_codes])
            )
        return [
            {
                "id": r.id,
                "code": r.code,
                "name": r.name,
                "level": str(r.level.value),
                "division_code": r.division_code,
                "town_code": r.division_code[:9] + "000",
                "parent_id": r.parent_id,
            }
            for r in self.session.scalars(query)
        ]

    def visible_parks(self, scope: RowScope, *, with_boundaries: bool = True) -> list[dict[str, Any]]:
        """Parks in ``scope`` (a firm user: its own park, if it lies in one), by code."""
        query = select(ParkRow).order_by(ParkRow.code)
        if scope.disclosed_only:
            query = query.where(false())
        if scope.town_codes is not None:
            query = query.where(ParkRow.town_code.in_(scope.town_codes))
        if scope.enterprise_id is not None:
            query = query.where(
                ParkRow.id.in_(select(EnterpriseRow.park_id).where(EnterpriseRow.id == scope.enterprise_id))
            )
        if scope.park_id is not None:
            query = query.where(ParkRow.id == scope.park_id)
        out = []
        for row in self.session.scalars(query):
            item: dict[str, Any] = {
                "id": row.id,
                "code": row.code,
                "name": row.name,
                "kind": str(row.kind.value),
                "town_code": row.town_code,
            }
            if with_boundaries:
                item["boundary"] = _boundary(row.boundary_geojson)
            out.append(item)
        return out

    def _scope_enterprises(self, query: Any, scope: RowScope) -> Any:
        if scope.disclosed_only:
            return query.where(false())
        if scope.town_codes is not None:
            query = query.where(EnterpriseRow.town_code.in_(scope.town_codes))
        if scope.enterprise_id is not None:
            query = query.where(EnterpriseRow.id == scope.enterprise_id)
        if scope.park_id is not None:
            query = query.where(EnterpriseRow.park_id == scope.park_id)
        return query

    def visible_enterprises(
        self, scope: RowScope, *, town_code: str | None = None, limit: int = 500, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the enterprises in ``scope`` (by id) and how many there are in all."""
        query = self._scope_enterprises(select(EnterpriseRow), scope)
        if town_code:
            query = query.where(EnterpriseRow.town_code == town_code)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.scalars(query.order_by(EnterpriseRow.id).limit(limit).offset(offset))
        return [_enterprise_dict(r) for r in rows], int(total)

    def search_enterprises(
        self,
        scope: RowScope,
        *,
        search: str = "",
        town_code: str | None = None,
        park_id: int | None = None,
        industry_group: str | None = None,
        credit_codes: Sequence[str] | None = None,
        order: str = "name",
        descending: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the enterprises in ``scope`` that match every filter given, and how many
        match in all. ``search`` is a case-insensitive substring of the name or the credit code;
        ``credit_codes`` keeps only those firms (e.g. one evaluation class). The scope is applied
        first, in the same SQL statement, so no filter reaches a row outside it."""
        query = self._scope_enterprises(select(EnterpriseRow), scope)
        needle = search.strip()
        if needle:
            query = query.where(
                or_(
                    EnterpriseRow.name.icontains(needle, autoescape=True),
                    EnterpriseRow.credit_code.icontains(needle, autoescape=True),
                )
            )
        if town_code:
            query = query.where(EnterpriseRow.town_code == town_code)
        if park_id is not None:
            query = query.where(EnterpriseRow.park_id == park_id)
        if industry_group:
            query = query.where(EnterpriseRow.industry_group == industry_group)
        if credit_codes is not None:
            query = query.where(EnterpriseRow.credit_code.in_(list(credit_codes)))
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        columns = [c.desc() if descending else c.asc() for c in _ENTERPRISE_ORDERS[order]]
        rows = self.session.scalars(
            query.order_by(*columns, EnterpriseRow.id.desc() if descending else EnterpriseRow.id)
            .limit(limit)
            .offset(offset)
        )
        return [_enterprise_dict(r) for r in rows], int(total)

    def visible_enterprise(self, enterprise_id: int, scope: RowScope) -> dict[str, Any] | None:
        """One enterprise, or None when it does not exist or lies outside ``scope``."""
        query = self._scope_enterprises(select(EnterpriseRow).where(EnterpriseRow.id == enterprise_id), scope)
        row = self.session.scalar(query)
        return _enterprise_dict(row) if row is not None else None

    def _scope_sites(self, query: Any, scope: RowScope) -> Any:
        return scope_sites(query, scope)

    def visible_sites(
        self,
        scope: RowScope,
        *,
        kind: str | None = None,
        enterprise_id: int | None = None,
        town_code: str | None = None,
    ) -> list[dict[str, Any]]:
        """Monitoring sites in ``scope`` (the public: air stations and water sections), by code."""
        query = self._scope_sites(select(SiteRow), scope)
        if kind:
            query = query.where(SiteRow.kind == kind)
        if enterprise_id is not None:
            query = query.where(SiteRow.enterprise_id == enterprise_id)
        if town_code:
            query = query.where(SiteRow.town_code == town_code)
        return [_site_dict(r) for r in self.session.scalars(query.order_by(SiteRow.code))]

    def visible_site(self, site_id: int, scope: RowScope) -> dict[str, Any] | None:
        """One site, or None when it does not exist or lies outside ``scope``."""
        row = self.session.scalar(self._scope_sites(select(SiteRow).where(SiteRow.id == site_id), scope))
        return _site_dict(row) if row is not None else None

    def visible_devices(self, scope: RowScope) -> list[dict[str, Any]]:
        query = self._scope_sites(
            select(DeviceRow, SiteRow).join(SiteRow, DeviceRow.site_id == SiteRow.id), scope
        ).order_by(DeviceRow.mn)
        return [
            {
                "id": d.id,
                "mn": d.mn,
                "site_id": d.site_id,
                "site_code": s.code,
                "site_name": s.name,
                "town_code": s.town_code,
                "enterprise_id": s.enterprise_id,
                "crc_variant": str(d.crc_variant.value),
                "active": d.active,
            }
            for d, s in self.session.execute(query)
        ]

    def device_summary(self, device_id: int) -> dict[str, Any] | None:
        row = self.session.get(DeviceRow, device_id)
        if row is None:
            return None
        return {"id": row.id, "mn": row.mn, "site_id": row.site_id, "active": row.active}

    def set_device_active(self, device_id: int, active: bool) -> None:
        self.session.execute(update(DeviceRow).where(DeviceRow.id == device_id).values(active=active))

    # ===================================================================== counts
    def count(self, table: str) -> int:
        """Number of rows of a registry table (``divisions``, ``enterprises``, ...)."""
        rows = {
            "divisions": DivisionRow,
            "grid_cells": GridCellRow,
            "grid_officers": GridOfficerRow,
            "parks": ParkRow,
            "enterprises": EnterpriseRow,
            "enterprise_years": EnterpriseYearRow,
            "sites": SiteRow,
            "devices": DeviceRow,
            "users": UserRow,
        }
        if table not in rows:
            raise KeyError(f"unknown registry table {table!r}; known: {', '.join(rows)}")
        return int(self.session.scalar(select(func.count()).select_from(rows[table])) or 0)
