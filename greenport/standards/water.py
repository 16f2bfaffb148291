"""Surface water class per GB 3838-2002 Table 1, evaluated per 环办〔2011〕22号 (single-factor method).

Each factor gets the best class whose limit it meets, limits *inclusive* as the standard writes them
("≤ limit" for most factors, "≥ limit" for dissolved oxygen, 6 ≤ pH ≤ 9 for every class); a factor
meeting no class V limit is class 6 = 劣V. A section's class is the worst class of its assessed
factors. Water temperature, total nitrogen and faecal coliforms are not assessed (TN of lakes and
reservoirs is evaluated separately: ``assess_tn=True`` counts it). Exceedance multiple (超标倍数) =
(C − limit) / limit; pH and DO get none (环办〔2011〕22号).

Canonical factor keys (kernel parameter registry), concentrations in [mg/L]: ``ph, do, codmn, cod,
bod5, nh3_n, tp, tn, cu, zn, f, se, as, hg, cd, cr6, pb, cn, phenol, oil, las, sulfide,
fecal_coliform`` (the last in [个/L]).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Literal

from greenport.kernel.errors import InvalidInput
from greenport.standards._data import read_rows
from greenport.standards.editions import EditionLike, resolve_edition

Waterbody = Literal["river", "lake"]

#: Class numbers to labels; 6 = 劣V (worse than class V).
CLASS_LABELS = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "劣V"}
#: Qualitative status of a class (环办〔2011〕22号 Table 2).
CLASS_STATUS_ZH = {1: "优", 2: "优", 3: "良好", 4: "轻度污染", 5: "中度污染", 6: "重度污染"}


@dataclass(frozen=True, slots=True)
class FactorLimits:
    factor: str
    waterbody: str
    direction: str  # max, min, range
    limits: tuple[tuple[float, float], ...]  # per class 1..5: (low, high)
    unit: str
    assessed: bool

    def class_of(self, value: float) -> int:
        for number, (low, high) in enumerate(self.limits, start=1):
            if low <= value <= high:
                return number
        return 6

    def limit_for(self, klass: int) -> float:
        low, high = self.limits[klass - 1]
        return low if self.direction == "min" else high


@dataclass(frozen=True, slots=True)
class Exceedance:
    """A factor worse than the target class; ``multiple`` = (C − limit)/limit (None for pH and DO)."""

    factor: str
    value: float
    limit: float | tuple[float, float]
    factor_class: int
    multiple: float | None


@dataclass(frozen=True, slots=True)
class WaterClassResult:
    """Class of one section (1-5, 6 = 劣V; None if no factor was assessed)."""

    water_class: int | None
    label: str | None
    status_zh: str | None
    factor_classes: Mapping[str, int]
    determining: tuple[str, ...]
    not_assessed: Mapping[str, int]
    waterbody: str
    edition: str

    @property
    def overall(self) -> int | None:
        """Alias of ``water_class``: the section class (6 = 劣V)."""
        return self.water_class

    def to_dict(self) -> dict[str, object]:
        return {
            "class": self.water_class,
            "label": self.label,
            "status_zh": self.status_zh,
            "factor_classes": dict(self.factor_classes),
            "determining": list(self.determining),
            "not_assessed": dict(self.not_assessed),
            "waterbody": self.waterbody,
            "edition": self.edition,
        }


def _parse_limit(direction: str, text: str) -> tuple[float, float]:
    if direction == "range":
        low, high = text.split("-")
        return float(low), float(high)
    if direction == "min":
        return float(text), math.inf
    return -math.inf, float(text)


@cache
def _table() -> dict[tuple[str, str], FactorLimits]:
    out = {}
    for row in read_rows("gb3838_2002_table1.csv"):
        direction = row["direction"]
        out[(row["factor"], row["waterbody"])] = FactorLimits(
            factor=row["factor"],
            waterbody=row["waterbody"],
            direction=direction,
            limits=tuple(_parse_limit(direction, row[f"class{i}"]) for i in range(1, 6)),
            unit=row["unit"],
            assessed=row["assessed"] == "yes",
        )
    return out


def factors() -> tuple[str, ...]:
    """Factors of GB 3838-2002 Table 1 known to GreenPort."""
    return tuple(dict.fromkeys(key[0] for key in _table()))


def factor_limits(factor: str, waterbody: Waterbody = "river") -> FactorLimits:
    """Limits of one factor for a water body (TP differs for lakes and reservoirs)."""
    if waterbody not in ("river", "lake"):
        raise InvalidInput(f"waterbody must be 'river' or 'lake', got {waterbody!r}", field="waterbody")
    table = _table()
    found = table.get((factor, waterbody)) or table.get((factor, "all"))
    if found is None:
        raise InvalidInput(f"unknown factor {factor!r}; known: {', '.join(factors())}", field=factor)
    return found


def _value(factor: str, value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None  # not measured (an empty CSV cell counts as not measured)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(f"{factor}: not a number: {value!r}", field=factor) from None
    if math.isnan(number):
        return None
    if math.isinf(number) or (number < 0):
        raise InvalidInput(f"{factor}: must be finite and >= 0, got {number}", field=factor)
    if factor == "ph" and number > 14:
        raise InvalidInput(f"ph: must be within 0-14, got {number}", field=factor)
    return number


def factor_class(
    factor: str,
    value: float,
    waterbody: Waterbody = "river",
    *,
    on: date | datetime | str | None = None,
    edition: EditionLike | None = None,
) -> int:
    """Class (1-5, 6 = 劣V) of one factor's value [mg/L; pH; 个/L], limits inclusive."""
    resolve_edition("water", on=on, edition=edition)
    number = _value(factor, value)
    if number is None:
        raise InvalidInput(f"{factor}: a value is required", field=factor)
    return factor_limits(factor, waterbody).class_of(number)


def water_class(
    measurements: Mapping[str, float | None],
    waterbody: Waterbody = "river",
    *,
    on: date | datetime | str | None = None,
    edition: EditionLike | None = None,
    assess_tn: bool = False,
) -> WaterClassResult:
    """Class of a section from its measurements (GB 3838-2002 Table 1; 环办〔2011〕22号 §3).

    Parameters
    ----------
    measurements : mapping
        Factor key -> value [mg/L; pH dimensionless; fecal_coliform 个/L]; None/NaN = not measured.
    waterbody : {"river", "lake"}
        Rivers, or lakes and reservoirs (TP limits differ).
    assess_tn : bool
        Count TN in the section class (for lakes and reservoirs when evaluated together).
    """
    used = resolve_edition("water", on=on, edition=edition)
    classes: dict[str, int] = {}
    separate: dict[str, int] = {}
    for factor, raw in measurements.items():
        limits = factor_limits(factor, waterbody)
        number = _value(factor, raw)
        if number is None:
            continue
        klass = limits.class_of(number)
        if limits.assessed or (assess_tn and factor == "tn"):
            classes[factor] = klass
        else:
            separate[factor] = klass
    if not classes:
        return WaterClassResult(None, None, None, classes, (), separate, waterbody, used.code)
    worst = max(classes.values())
    determining = tuple(f for f, k in classes.items() if k == worst)
    return WaterClassResult(
        worst,
        CLASS_LABELS[worst],
        CLASS_STATUS_ZH[worst],
        classes,
        determining,
        separate,
        waterbody,
        used.code,
    )


def exceedances(
    measurements: Mapping[str, float | None],
    target_class: int,
    waterbody: Waterbody = "river",
    *,
    on: date | datetime | str | None = None,
    edition: EditionLike | None = None,
    assess_tn: bool = False,
) -> tuple[Exceedance, ...]:
    """Factors worse than ``target_class`` (1-5) with their 超标倍数 (环办〔2011〕22号 §3.3).

    ``multiple = (C − C_limit) / C_limit`` with the target class's limit; pH and DO are listed
    without a multiple. Returns them worst multiple first (pH/DO last).
    """
    if target_class not in (1, 2, 3, 4, 5):
        raise InvalidInput(f"target class must be 1-5, got {target_class!r}", field="target_class")
    result = water_class(measurements, waterbody, on=on, edition=edition, assess_tn=assess_tn)
    out: list[Exceedance] = []
    for factor, klass in result.factor_classes.items():
        if klass <= target_class:
            continue
        limits = factor_limits(factor, waterbody)
        value = _value(factor, measurements[factor])
        assert value is not None
        if limits.direction == "range":
            out.append(Exceedance(factor, value, limits.limits[target_class - 1], klass, None))
            continue
        limit = limits.limit_for(target_class)
        multiple = None if limits.direction == "min" else (value - limit) / limit
        out.append(Exceedance(factor, value, limit, klass, multiple))
    out.sort(key=lambda e: -1.0 if e.multiple is None else e.multiple, reverse=True)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class SectionShare:
    """Share of sections at class III or better, and of 劣V, over the assessed sections. [%]"""

    good: int
    worse_than_v: int
    assessed: int
    ratio_iii_or_better: float | None
    ratio_worse_than_v: float | None
    status_zh: str | None


def share_class_iii_or_better(classes: Iterable[int | None]) -> SectionShare:
    """达到或优于III类水质断面比例 over sections (None = not assessed) (环办〔2011〕22号 §4).

    ``status_zh`` applies the basin rule for >= 5 sections: ≥90 % 优; 75-90 % 良好; below 75 %:
    劣V < 20 % 轻度污染, 20-40 % 中度污染, ≥ 40 % 重度污染 (None for fewer than 5 sections).
    """
    values = [c for c in classes if c is not None]
    for c in values:
        if c not in CLASS_LABELS:
            raise InvalidInput(f"section class must be 1-6, got {c!r}", field="classes")
    if not values:
        return SectionShare(0, 0, 0, None, None, None)
    good = sum(1 for c in values if c <= 3)
    bad = sum(1 for c in values if c == 6)
    ratio = 100.0 * good / len(values)
    worse = 100.0 * bad / len(values)
    status: str | None = None
    if len(values) >= 5:
        if ratio >= 90:
            status = "优"
        elif ratio >= 75:
            status = "良好"
        elif worse < 20:
            status = "轻度污染"
        elif worse < 40:
            status = "中度污染"
        else:
            status = "重度污染"
    return SectionShare(good, bad, len(values), ratio, worse, status)
