"""Enterprises, monitoring sites and devices (frozen dataclasses and enums)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class SizeClass(enum.StrEnum):
    """Enterprise size (统计上大中小微型企业划分办法)."""

    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"


class IndustryGroup(enum.StrEnum):
    """The groups in which the city publishes its industrial output shares."""

    METALLURGY = "metallurgy"
    MACHINERY_ELECTRICAL = "machinery_electrical"
    CHEMICALS = "chemicals"
    TEXTILES = "textiles"
    OTHER = "other"


class SiteKind(enum.StrEnum):
    AIR_STATION = "air_station"
    WATER_SECTION = "water_section"
    GAS_OUTLET = "gas_outlet"
    WATER_OUTLET = "water_outlet"


class SiteLevel(enum.StrEnum):
    """Administrative level of a site: air stations and sections are national/provincial/town;
    tributary sections are the Yangtze tributaries; outlets are enterprise outlets."""

    NATIONAL = "national"
    PROVINCIAL = "provincial"
    TOWN = "town"
    TRIBUTARY = "tributary"
    ENTERPRISE = "enterprise"


class Waterbody(enum.StrEnum):
    RIVER = "river"
    LAKE = "lake"


class CrcVariantSetting(enum.StrEnum):
    """Which CRC a device may send (HJ 212-2017 App. A, or the field's byte-swapped Modbus CRC16)."""

    HJ212 = "hj212"
    MODBUS_SWAPPED = "modbus_swapped"


@dataclass(frozen=True, slots=True)
class Enterprise:
    id: int | None
    credit_code: str
    name: str
    industry_code: str
    industry_group: IndustryGroup
    town_code: str
    park_code: str | None
    land_area_mu: float
    lon: float
    lat: float
    size_class: SizeClass
    above_scale: bool = True


@dataclass(frozen=True, slots=True)
class Site:
    id: int | None
    code: str
    name: str
    kind: SiteKind
    level: SiteLevel
    town_code: str
    lon: float
    lat: float
    enterprise_id: int | None = None
    waterbody: Waterbody | None = None
    target_class: int | None = None
    emission_standard: str | None = None
    process: str | None = None


@dataclass(frozen=True, slots=True)
class Device:
    id: int | None
    mn: str
    site_id: int
    crc_variant: CrcVariantSetting = CrcVariantSetting.HJ212
    active: bool = True
