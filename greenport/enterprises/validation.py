"""Rules an enterprise, a monitoring site and a device must meet before they are stored (pure).

Every parser takes a raw record ``{field: value}`` (from a form, an API body or a spreadsheet
row) and :class:`~greenport.enterprises.ports.RegistryLookups` to check references, and returns
the domain object (or None) with *all* the problems found, each naming its field.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from greenport.enterprises.model import (
    OUTLET_KINDS,
    CrcVariantSetting,
    Enterprise,
    IndustryGroup,
    Site,
    SiteKind,
    SiteLevel,
    SizeClass,
    Waterbody,
)
from greenport.enterprises.ports import RegistryLookups
from greenport.kernel.errors import InvalidInput
from greenport.kernel.fields import Fields, Problem
from greenport.kernel.labels import accepted, label
from greenport.standards.emission import limits
from greenport.standards.ids import InvalidCreditCode, validate_credit_code

#: Extreme points of China's territory [degree]: west 73°29′ E (Pamirs), east 135°05′ E
#: (Heilongjiang-Wusuli confluence), south 3°51′ N (Zengmu Ansha), north 53°33′ N (Mohe).
#: Source: 中国地理之最 (National Geomatics Center of China). Coordinates outside are refused.
CHINA_BOUNDS = {"lon_min": 73.48, "lon_max": 135.09, "lat_min": 3.85, "lat_max": 53.56}

#: HJ 212-2017 §6.3.2 (Table 4, field ``MN``): the device's unique identifier, at most 24
#: characters (24 hex characters when coded as EPC-96). Field MNs are often 14 digits or free
#: text such as ``JLYP01_AIR01_0001`` (reference §1.2), so letters, digits, ``_`` and ``-`` are
#: accepted; the protocol's separators ``; = , &`` and spaces never are.
MN_PATTERN = re.compile(r"^[0-9A-Za-z_-]{1,24}$")

#: Town-level division levels where enterprises, parks and sites are placed.
TOWN_LEVEL_VALUES = frozenset({"town", "street"})

#: Levels allowed per site kind (the issue: air stations national/provincial/town; sections
#: national/provincial/tributary (or town); outlets belong to an enterprise).
#: The codes of the ``water_class`` label table a water section's target may take: GB 3838-2002
#: §4 sets limits for Ⅰ-Ⅴ类 only (劣Ⅴ类, code 6, is a state a section can be in, not a target).
TARGET_CLASSES: tuple[str, ...] = ("1", "2", "3", "4", "5")

SITE_LEVELS: dict[SiteKind, frozenset[SiteLevel]] = {
    SiteKind.AIR_STATION: frozenset({SiteLevel.NATIONAL, SiteLevel.PROVINCIAL, SiteLevel.TOWN}),
    SiteKind.WATER_SECTION: frozenset(
        {SiteLevel.NATIONAL, SiteLevel.PROVINCIAL, SiteLevel.TRIBUTARY, SiteLevel.TOWN}
    ),
    SiteKind.GAS_OUTLET: frozenset({SiteLevel.ENTERPRISE}),
    SiteKind.WATER_OUTLET: frozenset({SiteLevel.ENTERPRISE}),
}


#: Figures of :class:`~greenport.enterprises.model.EnterpriseYear` with their unit (all >= 0).
YEAR_FIGURES: dict[str, str] = {
    "output_10k_yuan": "10k yuan",
    "revenue_10k_yuan": "10k yuan",
    "tax_10k_yuan": "10k yuan",
    "value_added_10k_yuan": "10k yuan",
    "rd_expense_10k_yuan": "10k yuan",
    "energy_tce": "tce",
    "cod_t": "t",
    "nh3_n_t": "t",
    "so2_t": "t",
    "nox_t": "t",
}


@dataclass(frozen=True, slots=True)
class IndustryDivision:
    """A GB/T 4754-2017 division (大类) and the output group the city reports it in."""

    code: str
    name_zh: str
    section: str
    group: IndustryGroup


@cache
def industry_divisions() -> dict[str, IndustryDivision]:
    """GB/T 4754-2017 divisions by 2-digit code (``enterprises/data/industry_groups.csv``)."""
    text = resources.files("greenport.enterprises").joinpath("data/industry_groups.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return {
        row["division"]: IndustryDivision(
            row["division"], row["name_zh"], row["section"], IndustryGroup(row["group"])
        )
        for row in csv.DictReader(io.StringIO("\n".join(lines)))
    }


def industry_group(industry_code: str) -> IndustryGroup:
    """The output group of a GB/T 4754-2017 4-digit class code (``3110`` -> metallurgy).

    Raises
    ------
    InvalidInput
        ``field="industry_code"`` when the code is not 4 digits of a known division.
    """
    code = normalise_industry_code(industry_code)
    return industry_divisions()[code[:2]].group


def normalise_industry_code(value: Any) -> str:
    """A GB/T 4754-2017 class code as 4 digits (an Excel number ``610`` becomes ``0610``)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        text = str(int(value)).zfill(4)
    else:
        text = str(value).strip()
    if not re.fullmatch(r"\d{4}", text):
        raise InvalidInput(
            f"industry code {text!r} must be a GB/T 4754-2017 class code of 4 digits", field="industry_code"
        )
    if text[:2] not in industry_divisions():
        raise InvalidInput(
            f"industry code {text!r}: {text[:2]!r} is not a GB/T 4754-2017 division (01-97)",
            field="industry_code",
        )
    return text


def validate_mn(mn: Any) -> str:
    """Validate a device MN (HJ 212-2017 §6.3.2) and return it stripped.

    Raises
    ------
    InvalidInput
        ``field="mn"``: empty, longer than 24 characters, or characters other than letters,
        digits, ``_`` and ``-``.
    """
    text = "" if mn is None else str(mn).strip()
    if not text:
        raise InvalidInput("MN is required", field="mn")
    if len(text) > 24:
        raise InvalidInput(
            f"MN {text!r} has {len(text)} characters; HJ 212-2017 allows at most 24", field="mn"
        )
    if not MN_PATTERN.match(text):
        bad = next(ch for ch in text if not re.match(r"[0-9A-Za-z_-]", ch))
        raise InvalidInput(
            f"MN {text!r} contains {bad!r}; only letters, digits, '_' and '-' are allowed", field="mn"
        )
    return text


def validate_device_password(password: Any) -> str:
    """A device password (``PW=``, HJ 212-2017 §6.3.2: 6 characters by default; longer seen in the
    field): 1-64 characters without the protocol's separators ``; = , &`` or spaces."""
    text = "" if password is None else str(password)
    if not text:
        raise InvalidInput("device password is required", field="password")
    if len(text) > 64:
        raise InvalidInput("device password is longer than 64 characters", field="password")
    if re.search(r"[;=,&\s]", text):
        raise InvalidInput(
            "device password may not contain ';', '=', ',', '&' or spaces (HJ 212 separators)",
            field="password",
        )
    return text


def _check_location(fields: Fields) -> tuple[float | None, float | None]:
    lon = fields.number("lon", minimum=-180, maximum=180, unit="degree")
    lat = fields.number("lat", minimum=-90, maximum=90, unit="degree")
    bounds = CHINA_BOUNDS
    if lon is not None and not bounds["lon_min"] <= lon <= bounds["lon_max"]:
        fields.add("lon", f"{lon:g} is outside China ({bounds['lon_min']}-{bounds['lon_max']} E)", lon)
        lon = None
    if lat is not None and not bounds["lat_min"] <= lat <= bounds["lat_max"]:
        fields.add("lat", f"{lat:g} is outside China ({bounds['lat_min']}-{bounds['lat_max']} N)", lat)
        lat = None
    return lon, lat


def _check_town(fields: Fields, lookups: RegistryLookups, field: str = "town_code") -> str | None:
    town = fields.text(field, max_length=12)
    if town is None:
        return None
    level = lookups.division_level(town)
    if level is None:
        fields.add(field, f"no division with code {town}", town)
        return None
    if level not in TOWN_LEVEL_VALUES:
        fields.add(field, f"division {town} is a {level}, not a town or street", town)
        return None
    return town


def parse_enterprise(
    raw: Mapping[str, Any], lookups: RegistryLookups
) -> tuple[Enterprise | None, list[Problem]]:
    """Check one enterprise record; return it (None if any problem) and every problem found.

    Fields: ``credit_code`` (GB 32100-2015, the position of an error is named), ``name``,
    ``industry_code`` (GB/T 4754-2017 class, 4 digits), ``town_code`` (a stored town or street),
    ``park_code`` (optional; a park in that same town), ``land_area_mu`` [mu] >= 0, ``lon`` /
    ``lat`` [degree] inside China, ``size_class`` (large/medium/small/micro), ``above_scale``
    (规模以上, default true).
    """
    fields = Fields(raw)
    credit_code = fields.text("credit_code")
    if credit_code is not None:
        try:
            credit_code = validate_credit_code(credit_code)
        except InvalidCreditCode as exc:
            fields.add("credit_code", exc.message, credit_code)
            credit_code = None
        else:
            if lookups.enterprise_id(credit_code) is not None:
                fields.add(
                    "credit_code",
                    f"an enterprise with credit code {credit_code} exists",
                    credit_code,
                    conflict=True,
                )
    name = fields.text("name", max_length=200)
    industry_code: str | None = None
    raw_industry = fields.get("industry_code")
    if raw_industry is None:
        fields.add("industry_code", "is required")
    else:
        try:
            industry_code = normalise_industry_code(raw_industry)
        except InvalidInput as exc:
            fields.add("industry_code", exc.message, raw_industry)
    town = _check_town(fields, lookups)
    park = fields.text("park_code", required=False, max_length=40)
    if park is not None:
        park_town = lookups.park_town(park)
        if park_town is None:
            fields.add("park_code", f"no park with code {park}", park)
        elif town is not None and park_town != town:
            fields.add("park_code", f"park {park} lies in town {park_town}, not in {town}", park)
    land = fields.number("land_area_mu", minimum=0, unit="mu")
    lon, lat = _check_location(fields)
    size = fields.choice("size_class", SizeClass)
    above_scale = fields.boolean("above_scale", default=True)
    if fields.problems:
        return None, fields.problems
    assert credit_code and name and industry_code and town and land is not None and size is not None
    assert lon is not None and lat is not None
    enterprise = Enterprise(
        id=None,
        credit_code=credit_code,
        name=name,
        industry_code=industry_code,
        industry_group=industry_group(industry_code),
        town_code=town,
        park_code=park,
        land_area_mu=land,
        lon=lon,
        lat=lat,
        size_class=size,
        above_scale=bool(above_scale),
    )
    return enterprise, []


def parse_site(raw: Mapping[str, Any], lookups: RegistryLookups) -> tuple[Site | None, list[Problem]]:
    """Check one monitoring-site record; return it (None if any problem) and every problem found.

    Common fields: ``code`` (unique), ``name``, ``kind``, ``level`` (allowed per kind:
    :data:`SITE_LEVELS`), ``town_code``, ``lon``/``lat`` [degree]. Kind rules:

    * ``water_section``: ``waterbody`` (river/lake) and ``target_class`` (GB 3838-2002 class
      1-5) required; ``river`` optional; no enterprise, no emission standard;
    * ``gas_outlet`` / ``water_outlet``: ``enterprise_id`` (or ``enterprise_credit_code``) of a
      stored enterprise in the same town, and ``emission_standard`` (a standard key of the
      emission-limit tables) required, with a ``process`` of that standard (when it sets limits
      per process) and ``emission_grade`` for a graded standard (GB 8978-1996: 1/2/3);
      no waterbody or target class;
    * ``air_station``: no enterprise, waterbody, target class or emission standard.
    """
    fields = Fields(raw)
    code = fields.text("code", max_length=40)
    if code is not None and lookups.site_exists(code):
        fields.add("code", f"a site with code {code} exists", code, conflict=True)
    name = fields.text("name", max_length=200)
    kind = fields.choice("kind", SiteKind)
    level: SiteLevel | None
    if kind in OUTLET_KINDS and fields.get("level") is None:
        level = SiteLevel.ENTERPRISE
    elif kind is not None:
        level = fields.choice("level", SiteLevel, allowed=sorted(SITE_LEVELS[kind]))
    else:
        level = fields.choice("level", SiteLevel)
    town = _check_town(fields, lookups)
    lon, lat = _check_location(fields)
    enterprise_id: int | None = None
    waterbody: Waterbody | None = None
    target_class: int | None = None
    standard: str | None = None
    river = fields.text("river", required=False, max_length=100)
    grade: str | None = None
    process: str | None = None
    if kind in OUTLET_KINDS:
        enterprise_id = _check_enterprise(fields, lookups, town)
        standard, process, grade = _check_standard(fields)
        fields.forbid("waterbody", f"for a {kind.value}")
        fields.forbid("target_class", f"for a {kind.value}")
    elif kind == SiteKind.WATER_SECTION:
        waterbody = fields.choice("waterbody", Waterbody)
        # Ⅰ类…Ⅴ类 (or I-V, 1-5); 劣Ⅴ类 names a state, not a target: GB 3838-2002 sets no limits for it
        target = fields.named("target_class", "water_class", allowed=TARGET_CLASSES)
        target_class = None if target is None else int(target)
        for forbidden in ("enterprise_id", "enterprise_credit_code", "emission_standard", "emission_grade"):
            fields.forbid(forbidden, "for a water section")
    elif kind == SiteKind.AIR_STATION:
        for forbidden in (
            "enterprise_id",
            "enterprise_credit_code",
            "waterbody",
            "target_class",
            "emission_standard",
            "emission_grade",
        ):
            fields.forbid(forbidden, "for an air station")
    if fields.problems:
        return None, fields.problems
    assert code and name and kind and level and town and lon is not None and lat is not None
    site = Site(
        id=None,
        code=code,
        name=name,
        kind=kind,
        level=level,
        town_code=town,
        lon=lon,
        lat=lat,
        enterprise_id=enterprise_id,
        waterbody=waterbody,
        river=river,
        target_class=target_class,
        emission_standard=standard,
        process=process,
        emission_grade=grade,
    )
    return site, []


def emission_standards() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """Registered emission standards: key -> (processes, grades), from
    :func:`greenport.standards.emission.limits` (``standards/data/emission_limits.csv``)."""
    table: dict[str, tuple[set[str], set[str]]] = {}
    for item in limits():
        processes, grades = table.setdefault(item.standard, (set(), set()))
        processes.add(item.process)
        if item.grade:
            grades.add(item.grade)
    return {key: (frozenset(p), frozenset(g)) for key, (p, g) in table.items()}


def _check_standard(fields: Fields) -> tuple[str | None, str | None, str | None]:
    """An outlet's standard, process and grade as codes, checked against the emission-limit tables.

    Each may be written by its code, its name or an alternative of its label table
    (``emission_standard``: ``GB 8978-1996`` or 污水综合排放标准; ``process``; ``emission_grade``:
    一级); a value naming none of the standard's entries is a problem listing the accepted names.
    """
    known = emission_standards()
    standard = fields.named("emission_standard", "emission_standard", allowed=sorted(known))
    if standard is None:  # missing or unknown (a problem is recorded): nothing more to check against
        return None, None, None
    processes, grades = known[standard]
    name = label("emission_standard", standard)
    specific = sorted(processes - {"all"})
    process = fields.text("process", required=False, max_length=80)
    if specific and process is None:
        fields.add("process", f"{name} sets limits per process; give one of: {accepted('process', specific)}")
    elif specific:
        process = fields.named("process", "process", allowed=specific)
    grade = fields.text("emission_grade", required=False, max_length=8)
    if grades and grade is None:
        fields.add(
            "emission_grade", f"{name} is graded; give one of: {accepted('emission_grade', sorted(grades))}"
        )
    elif grade is not None and not grades:
        fields.add("emission_grade", f"must be empty: {name} has no grades", grade)
    elif grades:
        grade = fields.named("emission_grade", "emission_grade", allowed=sorted(grades))
    return standard, process, grade


def _check_enterprise(fields: Fields, lookups: RegistryLookups, town: str | None) -> int | None:
    enterprise_id: int | None = None
    if fields.get("enterprise_id") is not None:
        enterprise_id = fields.integer("enterprise_id", minimum=1)
        field = "enterprise_id"
        if enterprise_id is not None and lookups.enterprise_town(enterprise_id) is None:
            fields.add(field, f"no enterprise with id {enterprise_id}", enterprise_id)
            return None
    else:
        field = "enterprise_credit_code"
        credit_code = fields.text(field)
        if credit_code is None:
            return None
        enterprise_id = lookups.enterprise_id(credit_code.upper())
        if enterprise_id is None:
            fields.add(field, f"no enterprise with credit code {credit_code}", credit_code)
            return None
    if enterprise_id is None:
        return None
    enterprise_town = lookups.enterprise_town(enterprise_id)
    if town is not None and enterprise_town is not None and enterprise_town != town:
        fields.add("town_code", f"the outlet's enterprise is in town {enterprise_town}, not {town}", town)
    return enterprise_id


def parse_crc_variant(value: Any) -> CrcVariantSetting:
    fields = Fields({"crc_variant": value})
    member = fields.choice("crc_variant", CrcVariantSetting)
    if member is None:
        raise InvalidInput(fields.problems[0].message, field="crc_variant")
    return member
