"""Administrative divisions, grid cells and parks (frozen dataclasses and enums)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class DivisionLevel(enum.StrEnum):
    """Levels of the city's tree (statistical division codes, 12 digits)."""

    CITY = "city"  # county-level city (县级市)
    TOWN = "town"  # 镇 / 区
    STREET = "street"  # 街道
    VILLAGE = "village"  # 行政村
    COMMUNITY = "community"  # 社区


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
    code: str
    name: str
    level: DivisionLevel
    parent_code: str | None = None


@dataclass(frozen=True, slots=True)
class Park:
    id: int | None
    code: str
    name: str
    kind: ParkKind
    town_code: str
