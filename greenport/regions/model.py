"""Administrative divisions, grid cells and officers, and parks (frozen dataclasses and enums)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class DivisionLevel(enum.StrEnum):
    """Levels of the city's tree (statistical division codes, 12 digits)."""

    CITY = "city"  # county-level city (县级市)
    TOWN = "town"  # 镇 / 区 (towns, and zones run as town-level units)
    STREET = "street"  # 街道
    VILLAGE = "village"  # 行政村
    COMMUNITY = "community"  # 社区


#: Town-level (乡级) division levels: where parks, enterprises and sites are placed.
TOWN_LEVELS: frozenset[DivisionLevel] = frozenset({DivisionLevel.TOWN, DivisionLevel.STREET})
#: Village-level (村级) division levels.
VILLAGE_LEVELS: frozenset[DivisionLevel] = frozenset({DivisionLevel.VILLAGE, DivisionLevel.COMMUNITY})


class GridLevel(enum.StrEnum):
    """The three levels of grid-based supervision (市 / 镇 / 村)."""

    CITY = "city"
    TOWN = "town"
    VILLAGE = "village"


class ParkKind(enum.StrEnum):
    NATIONAL_DEVELOPMENT_ZONE = "national_development_zone"  # 国家级开发区
    BONDED_ZONE = "bonded_zone"  # 保税区
    PROVINCIAL_HIGH_TECH_ZONE = "provincial_high_tech_zone"  # 省级高新区
    PROVINCIAL_METALLURGY_PARK = "provincial_metallurgy_park"  # 省级冶金园
    CHEMICAL_PARK = "chemical_park"  # 化工园区


@dataclass(frozen=True, slots=True)
class Division:
    """A node of the administrative tree. ``area_km2`` in [km²]; ``boundary_geojson`` is a GeoJSON
    Polygon/MultiPolygon geometry (lon/lat, [degree]) as text."""

    code: str
    name: str
    level: DivisionLevel
    parent_code: str | None = None
    boundary_geojson: str | None = None
    area_km2: float | None = None
    population: int | None = None


@dataclass(frozen=True, slots=True)
class GridCell:
    """A cell of grid-based supervision (网格), tied to one division; ``parent_code`` is the code
    of the enclosing cell one level up (None for the city cell)."""

    id: int | None
    code: str
    name: str
    level: GridLevel
    division_code: str
    parent_code: str | None = None


@dataclass(frozen=True, slots=True)
class GridOfficer:
    """A grid officer (网格员) in charge of one cell."""

    id: int | None
    name: str
    grid_cell_code: str
    phone: str | None = None
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class Park:
    id: int | None
    code: str
    name: str
    kind: ParkKind
    town_code: str
    boundary_geojson: str | None = None
