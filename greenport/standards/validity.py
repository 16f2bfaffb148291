"""Data validity of ambient statistics (GB 3095-2012 §7 Table 4, HJ 663-2013) and period statistics.

Strategy: every rule is a *named, registered* minimum-count rule (``data/validity_rules.csv``,
:data:`RULES`); a statistic returns its value together with the :class:`Flag` of each rule it
checked. What happens when a rule fails is one parameter, ``on_invalid``: ``"flag"`` (default:
the value is None and the flag says why) or ``"raise"`` (:class:`InsufficientData`), applied by
one helper, :func:`apply_policy`.

Periods follow the local (Asia/Shanghai) calendar; hourly series are 24 values for hours starting
00:00 ... 23:00 (HJ 212 DataTime = start of the period), ``None``/NaN = no valid value.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from greenport.kernel.errors import InvalidInput
from greenport.standards._data import read_rows

Policy = Literal["flag", "raise"]


class InsufficientData(InvalidInput):
    """A statistic whose validity rule failed, under ``on_invalid="raise"``."""


@dataclass(frozen=True, slots=True)
class ValidityRule:
    """A registered minimum-count rule: ``required`` valid values out of ``out_of`` possible."""

    name: str
    statistic: str
    required: int
    out_of: int
    source: str

    def check(self, count: int, *, required: int | None = None) -> Flag:
        need = self.required if required is None else required
        passed = count >= need
        message = (
            "" if passed else f"{self.statistic}: {count} valid value(s), {need} required ({self.source})"
        )
        return Flag(rule=self.name, passed=passed, count=count, required=need, message=message)


@dataclass(frozen=True, slots=True)
class Flag:
    """Outcome of one rule on one statistic."""

    rule: str
    passed: bool
    count: int
    required: int
    message: str = ""


@dataclass(frozen=True, slots=True)
class Statistic:
    """A statistic (None when invalid) with the flags of the rules it checked."""

    value: float | None
    valid: bool
    count: int
    flags: tuple[Flag, ...]


#: The registry of validity rules by name (built-ins from ``data/validity_rules.csv``).
RULES: dict[str, ValidityRule] = {}


def register_rule(rule: ValidityRule) -> ValidityRule:
    """Add a rule to :data:`RULES` (a name can be registered once)."""
    if rule.name in RULES and RULES[rule.name] != rule:
        raise ValueError(f"validity rule {rule.name!r} is already registered")
    RULES[rule.name] = rule
    return rule


for _row in read_rows("validity_rules.csv"):
    register_rule(
        ValidityRule(
            name=_row["name"],
            statistic=_row["statistic"],
            required=int(_row["required"]),
            out_of=int(_row["out_of"]),
            source=_row["source"],
        )
    )


def rule(name: str) -> ValidityRule:
    try:
        return RULES[name]
    except KeyError:
        raise ValueError(f"unknown validity rule {name!r}; registered: {', '.join(sorted(RULES))}") from None


def apply_policy(statistic: Statistic, on_invalid: Policy) -> Statistic:
    """The one place the failure policy is applied."""
    if on_invalid not in ("flag", "raise"):
        raise InvalidInput(f"on_invalid must be 'flag' or 'raise', got {on_invalid!r}", field="on_invalid")
    if on_invalid == "raise" and not statistic.valid:
        failed = [flag for flag in statistic.flags if not flag.passed]
        raise InsufficientData(
            "; ".join(flag.message for flag in failed), field=failed[0].rule if failed else None
        )
    return statistic


def _clean(values: Iterable[float | None]) -> list[float | None]:
    out: list[float | None] = []
    for index, value in enumerate(values):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            out.append(None)
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInput(f"not a number: {value!r}", row=index) from None
        if math.isinf(number):
            raise InvalidInput(f"not a finite number: {value!r}", row=index)
        out.append(number)
    return out


def _mean(values: Sequence[float | None]) -> tuple[float | None, int]:
    present = [v for v in values if v is not None]
    return (sum(present) / len(present) if present else None), len(present)


def daily_mean(hourly: Sequence[float | None], *, on_invalid: Policy = "flag") -> Statistic:
    """24-h mean of one natural day's hourly means (GB 3095-2012 Table 4: >= 20 hourly values).

    Parameters
    ----------
    hourly : sequence of 24 values
        Hourly means, hours 00-23 local. [µg/m³; CO mg/m³]
    """
    values = _clean(hourly)
    if len(values) != 24:
        raise InvalidInput(f"a day has 24 hourly values, got {len(values)}", field="hourly")
    mean, count = _mean(values)
    flag = rule("daily_mean_20_hours").check(count)
    return apply_policy(Statistic(mean if flag.passed else None, flag.passed, count, (flag,)), on_invalid)


def running_8h_means(hourly: Sequence[float | None]) -> list[float | None]:
    """8-h running means of an hourly series: element i is the mean of hours i..i+7 (>= 6 valid).

    GB 3095-2012 Table 4 (8-h mean needs >= 6 hourly values). The result has ``len(hourly) - 7``
    elements; for one day's 24 hours they are the 17 windows ending 08:00 ... 24:00 (HJ 663-2013).
    """
    values = _clean(hourly)
    need = rule("o3_8h_mean_6_hours").required
    out: list[float | None] = []
    for start in range(len(values) - 7):
        mean, count = _mean(values[start : start + 8])
        out.append(mean if count >= need else None)
    return out


def o3_daily_max_8h(
    hourly: Sequence[float | None], *, limit: float | None = None, on_invalid: Policy = "flag"
) -> Statistic:
    """Daily maximum 8-h mean of O3 (HJ 663-2013: >= 14 valid 8-h means ending 08:00-24:00).

    With ``limit`` (e.g. the GB 3095 class-2 limit, 160 µg/m³), a maximum from fewer means that
    already exceeds it is still valid (HJ 663's exception, UNVERIFIED). [µg/m³]
    """
    if len(hourly) != 24:
        raise InvalidInput(f"a day has 24 hourly values, got {len(hourly)}", field="hourly")
    means = [m for m in running_8h_means(hourly) if m is not None]
    best = max(means) if means else None
    flag = rule("o3_daily_max_8h_14_means").check(len(means))
    valid = flag.passed or (limit is not None and best is not None and best > limit)
    return apply_policy(Statistic(best if valid else None, valid, len(means), (flag,)), on_invalid)


def o3_daily_max_1h(hourly: Sequence[float | None], *, on_invalid: Policy = "flag") -> Statistic:
    """Daily maximum 1-h O3 (validity: >= 20 hourly values, a GreenPort assumption). [µg/m³]"""
    values = _clean(hourly)
    if len(values) != 24:
        raise InvalidInput(f"a day has 24 hourly values, got {len(values)}", field="hourly")
    present = [v for v in values if v is not None]
    flag = rule("o3_daily_max_1h_20_hours").check(len(present))
    best = max(present) if present and flag.passed else None
    return apply_policy(Statistic(best, flag.passed, len(present), (flag,)), on_invalid)


@dataclass(frozen=True, slots=True)
class DailyValues:
    """Daily concentrations ready for ``aqi(..., "day")`` plus the statistic of each key."""

    concentrations: dict[str, float | None]
    statistics: dict[str, Statistic]


_DAILY: dict[str, Callable[[Sequence[float | None]], Statistic]] = {
    "so2": daily_mean,
    "no2": daily_mean,
    "co": daily_mean,
    "pm10": daily_mean,
    "pm2_5": daily_mean,
}


def daily_values(hourly: Mapping[str, Sequence[float | None]], *, on_invalid: Policy = "flag") -> DailyValues:
    """Daily AQI inputs from one day's hourly series per pollutant (keys as in ``aqi``).

    ``so2, no2, co, pm10, pm2_5`` -> 24-h means; ``o3`` -> daily max 1-h (``o3``) and daily max 8-h
    (``o3_8h``). Invalid statistics give None (or raise, per ``on_invalid``).
    """
    stats: dict[str, Statistic] = {}
    for key, series in hourly.items():
        if key in _DAILY:
            stats[key] = _DAILY[key](series)
        elif key == "o3":
            stats["o3"] = o3_daily_max_1h(series)
            stats["o3_8h"] = o3_daily_max_8h(series)
        else:
            raise InvalidInput(f"unknown pollutant {key!r}; known: {', '.join([*_DAILY, 'o3'])}", field=key)
    for stat in stats.values():
        apply_policy(stat, on_invalid)
    return DailyValues({key: stat.value for key, stat in stats.items()}, stats)


# --- period statistics --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GoodDayRatio:
    """空气优良天数比例: days with AQI <= 100 over days with a valid daily AQI. [%]"""

    good_days: int
    valid_days: int
    ratio: float | None


def good_air_day_ratio(daily_aqi: Iterable[float | None]) -> GoodDayRatio:
    """Good-air-day ratio over a period (HJ 633 levels 1-2; reference §4.3). ``ratio`` in [%].

    ``None``/NaN entries are days without a valid daily AQI and are left out of the denominator.
    """
    values = [v for v in _clean(daily_aqi) if v is not None]
    good = sum(1 for v in values if v <= 100)
    return GoodDayRatio(good, len(values), 100.0 * good / len(values) if values else None)


def annual_mean(daily: Mapping[date, float | None], year: int, *, on_invalid: Policy = "flag") -> Statistic:
    """Annual mean of daily means (GB 3095-2012 Table 4: >= 324 days, >= 27 per month, Feb >= 25).

    Parameters
    ----------
    daily : mapping date -> daily mean
        Days outside ``year`` are refused. [µg/m³]
    """
    for day in daily:
        if day.year != year:
            raise InvalidInput(f"day {day.isoformat()} is not in {year}", field="daily")
    values = dict(zip(daily.keys(), _clean(daily.values()), strict=True))
    present = [v for v in values.values() if v is not None]
    flags = [rule("annual_mean_324_days").check(len(present))]
    for month in range(1, 13):
        count = sum(1 for d, v in values.items() if d.month == month and v is not None)
        month_rule = rule("february_25_days" if month == 2 else "monthly_27_days")
        flag = month_rule.check(count)
        flags.append(Flag(f"{flag.rule}:{month:02d}", flag.passed, flag.count, flag.required, flag.message))
    valid = all(flag.passed for flag in flags)
    mean = sum(present) / len(present) if present and valid else None
    return apply_policy(Statistic(mean, valid, len(present), tuple(flags)), on_invalid)


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def percentile(values: Iterable[float | None], p: float) -> float | None:
    """The p-th percentile of a concentration series, by the method of HJ 663-2013 Appendix A.

    Sort the n valid values ascending (X_1 <= ... <= X_n); ``k = 1 + (n - 1) p / 100``; ``s`` =
    the integer part of k; ``m_p = X_s + (X_{s+1} - X_s)(k - s)``, and ``m_p = X_n`` when s = n.
    (The same as linear interpolation between closest ranks, numpy's default.) Used for the CO
    95th percentile of 24-h means and the O3 90th percentile of daily maximum 8-h means
    (HJ 663-2013 Table 1; :func:`evaluation_concentration`).

    Parameters
    ----------
    values : iterable of float or None
        The series [any unit; the result has the same unit]. ``None``/NaN are missing values and
        are left out of n.
    p : float
        Percentile, 0-100.

    Returns
    -------
    float or None
        The percentile, unrounded; None when no value is valid.
    """
    if not 0 <= p <= 100:
        raise InvalidInput(f"percentile must be within 0-100, got {p}", field="p")
    data = sorted(v for v in _clean(values) if v is not None)
    if not data:
        return None
    k = 1 + (len(data) - 1) * p / 100
    s = int(k)
    if s >= len(data):
        return data[-1]
    return data[s - 1] + (data[s] - data[s - 1]) * (k - s)


@dataclass(frozen=True, slots=True)
class EvaluationItem:
    """How HJ 663-2013 Table 1 evaluates a pollutant over a period (``data/hj663_evaluation_items.csv``).

    ``daily``: the daily value it is computed from; ``percentile``: None for the arithmetic mean.
    """

    pollutant: str
    daily: str
    percentile: float | None
    unit: str
    name_zh: str


def evaluation_items() -> tuple[EvaluationItem, ...]:
    """The evaluated pollutants in publication order (SO2, NO2, PM10, PM2.5, CO, O3)."""
    return tuple(
        EvaluationItem(
            pollutant=row["pollutant"],
            daily=row["daily"],
            percentile=float(row["percentile"]) if row["percentile"] else None,
            unit=row["unit"],
            name_zh=row["name_zh"],
        )
        for row in read_rows("hj663_evaluation_items.csv")
    )


def evaluation_concentration(pollutant: str, daily: Iterable[float | None]) -> float | None:
    """The concentration by which a period is evaluated (HJ 663-2013 Table 1, Appendix A).

    SO2, NO2, PM10, PM2.5: the arithmetic mean of the period's daily means; CO: the 95th
    percentile of the 24-h means; O3: the 90th percentile of the daily maximum 8-h means
    (:func:`percentile`) — not the mean of the period, which understates the peaks that decide
    compliance.

    Parameters
    ----------
    pollutant : str
        ``so2, no2, pm10, pm2_5, co, o3``.
    daily : iterable of float or None
        The period's daily values of the item's daily statistic (``o3``: the daily maximum 8-h
        means, stored as ``o3_8h``) [µg/m³; CO mg/m³]. ``None``/NaN = a day without a value.

    Returns
    -------
    float or None
        [µg/m³; CO mg/m³], unrounded; None without any valid day. Validity of the period (e.g. the
        27-days-a-month rule of GB 3095 Table 4) is the caller's to judge.
    """
    items = {item.pollutant: item for item in evaluation_items()}
    item = items.get(pollutant)
    if item is None:
        raise InvalidInput(
            f"HJ 663-2013 evaluates no pollutant {pollutant!r}; known: {', '.join(items)}", field="pollutant"
        )
    if item.percentile is not None:
        return percentile(daily, item.percentile)
    return _mean(_clean(daily))[0]
