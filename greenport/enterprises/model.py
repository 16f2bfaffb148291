"""Enterprises, their annual figures, monitoring sites and devices (frozen dataclasses and enums)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class SizeClass(enum.StrEnum):
    """Enterprise size (统计上大中小微型企业划分办法, 国统字〔2017〕213号)."""

    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"


class IndustryGroup(enum.StrEnum):
    """The groups in which the city publishes its industrial output shares (seed 000, S0-121..123).

    A GB/T 4754-2017 class code maps to a group through ``enterprises/data/industry_groups.csv``.
    """

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


#: Site kinds that are an enterprise's discharge outlet (排放口).
OUTLET_KINDS: frozenset[SiteKind] = frozenset({SiteKind.GAS_OUTLET, SiteKind.WATER_OUTLET})


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
    """An enterprise as registered (工商登记 + 统计名录).

    ``land_area_mu`` in [mu] (亩, 1 mu = 666.67 m²); ``lon``/``lat`` in [degree] (WGS 84 / CGCS2000).
    """

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
class EnterpriseYear:
    """Annual economic, energy and emission figures of one enterprise (统计年报, 亩均效益评价数据).

    Money in [10^4 yuan] (万元), energy in [tce] (吨标准煤, GB/T 2589-2020), emissions in [t].
    """

    enterprise_id: int
    year: int
    output_10k_yuan: float | None = None  # 工业总产值
    revenue_10k_yuan: float | None = None  # 营业收入
    tax_10k_yuan: float | None = None  # 税收实际贡献
    value_added_10k_yuan: float | None = None  # 工业增加值
    rd_expense_10k_yuan: float | None = None  # 研发经费支出
    energy_tce: float | None = None  # 综合能源消费量
    employees: int | None = None  # 年平均职工人数
    cod_t: float | None = None
    nh3_n_t: float | None = None
    so2_t: float | None = None
    nox_t: float | None = None


@dataclass(frozen=True, slots=True)
class Site:
    """A monitoring site: ambient air station, surface-water section, or an enterprise outlet.

    ``lon``/``lat`` in [degree]; ``target_class`` is the GB 3838-2002 class (1-5 = I-V) a section
    must meet. An outlet's limits are ``greenport.standards.emission.emission_limit(
    emission_standard, process, pollutant, grade=emission_grade)``: ``emission_standard`` is a
    standard key of ``standards/data/emission_limits.csv`` (``steel_ultra_low``, ``gb8978_1996``,
    ...), ``process`` its process (``sintering_head``, ``other``, ...) and ``emission_grade`` the
    discharge grade of a graded standard (GB 8978-1996: 1, 2 or 3).
    """

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
    river: str | None = None
    target_class: int | None = None
    emission_standard: str | None = None
    process: str | None = None
    emission_grade: str | None = None


@dataclass(frozen=True, slots=True)
class Device:
    """A data logger (数采仪) speaking HJ 212, identified by its MN (HJ 212-2017 §6.3.2)."""

    id: int | None
    mn: str
    site_id: int
    crc_variant: CrcVariantSetting = CrcVariantSetting.HJ212
    active: bool = True
