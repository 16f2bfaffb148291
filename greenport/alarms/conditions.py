"""What breaks a rule: each rule kind turned into a :class:`~greenport.alarms.lifecycle.Condition`
per parameter of a site, vectorised with numpy. Pure: the service loads the series.

Which limit a value is compared with is :func:`greenport.monitoring.status.applicable_limit`
(the limit of the outlet's standard, process and grade in force on the value's date, Beijing
time); a flue-gas value is referred to the limit's reference O2 (HJ 212-2017 App. D eq. 26) with
the O2 measured at the same instant, unless the device sent it already referred (``ZsRtd``,
HJ 212-2017 §6.6.2). Values flagged other than N (HJ 212-2017 Table 8) are not compared with a
limit: they say the instrument is not measuring, which the device-flag rule reports.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from greenport.alarms.lifecycle import Condition, Floats, Micros
from greenport.alarms.model import Rule, RuleKind
from greenport.monitoring.status import FLUE_O2, Limit, MonitoredSite, applicable_limit
from greenport.standards.aqi import levels

_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000
#: Beijing time (UTC+8, no daylight saving): the date whose limit is in force.
_BEIJING_OFFSET_US = 8 * _HOUR_US
_EPOCH_DAY = datetime(1970, 1, 1, tzinfo=UTC)
#: The flow that says whether an outlet runs (kernel/data/parameters.csv).
FLOW_OF_KIND = {"gas_outlet": "flue_flow", "water_outlet": "water_flow"}
_FLOWS = frozenset(FLOW_OF_KIND.values())
#: Parameters no rule of a limit judges (they describe the gas, not the pollution).
_CONDITIONS_OF_FLUE = frozenset(
    {"flue_o2", "flue_flow", "flue_temp", "flue_pressure", "flue_moisture", "flue_velocity"}
)


@dataclass(frozen=True, slots=True)
class Series:
    """One parameter's values at one site, in time order: ``times`` [epoch µs], ``values`` and
    ``zs`` (the O2-referred value the device sent, NaN when none) [canonical unit], ``flags``
    (HJ 212 flag letters, ``N`` when normal)."""

    times: Micros
    values: Floats
    zs: Floats
    flags: npt.NDArray[np.str_]

    @classmethod
    def empty(cls) -> Series:
        return cls(np.empty(0, np.int64), np.empty(0), np.empty(0), np.empty(0, "<U1"))

    def __len__(self) -> int:
        return int(self.times.shape[0])


@dataclass(frozen=True, slots=True)
class SiteData:
    """What the rules read of one site over a window.

    ``raw``: real-time values (HJ 212 CN 2011) per parameter; ``hourly`` / ``daily``: valid means
    per parameter (flags all N); ``aqi``: hourly AQI of an air station; ``water_fails``: per day
    1.0 when the section's class is worse than its target, else 0.0; ``received``: when readings
    arrived [epoch µs, sorted] (offline is about reception, so a back-filled gap stays a gap).
    """

    site_id: int
    site: MonitoredSite
    town_code: str | None = None
    park_code: str | None = None
    enterprise_id: int | None = None
    raw: Mapping[str, Series] = field(default_factory=dict)
    hourly: Mapping[str, Series] = field(default_factory=dict)
    daily: Mapping[str, Series] = field(default_factory=dict)
    aqi: Series = field(default_factory=Series.empty)
    water_fails: Series = field(default_factory=Series.empty)
    received: Micros = field(default_factory=lambda: np.empty(0, np.int64))


def rule_applies(rule: Rule, data: SiteData) -> bool:
    """The rule's scope covers the site (kind, town, park, enterprise)."""
    return (
        data.site.kind in rule.site_kinds
        and (rule.towns is None or (data.town_code or "") in rule.towns)
        and (rule.parks is None or (data.park_code or "") in rule.parks)
        and (rule.enterprises is None or data.enterprise_id in rule.enterprises)
    )


@lru_cache(maxsize=65536)
def _limit_on(site: MonitoredSite, parameter: str, period: str, day_index: int) -> Limit | None:
    day = (_EPOCH_DAY + timedelta(days=day_index)).date()
    return applicable_limit(site, parameter, period=period, on=day)


def _local_days(times: Micros) -> npt.NDArray[np.int64]:
    return (times + _BEIJING_OFFSET_US) // _DAY_US


def limits_for(
    site: MonitoredSite, parameter: str, times: Micros, *, period: str = "hour"
) -> tuple[Floats, Floats, Floats]:
    """The upper limit, lower limit and reference O2 [%] in force at each instant (NaN: none)."""
    n = times.shape[0]
    upper, lower, ref = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    if n == 0:
        return upper, lower, ref
    days = _local_days(times)
    if days[0] == days[-1]:  # the common case: one day, one limit
        unique, inverse = days[:1], np.zeros(n, np.intp)
    else:
        unique, inverse = np.unique(days, return_inverse=True)
    for i, day in enumerate(unique.tolist()):
        limit = _limit_on(site, parameter, period, day)
        if limit is None:
            continue
        mask = inverse == i
        upper[mask] = limit.value
        if limit.low is not None:
            lower[mask] = limit.low
        if limit.reference_o2 is not None:
            ref[mask] = limit.reference_o2
    return upper, lower, ref


def _matching(times: Micros, other: Series) -> Floats:
    """``other``'s values at exactly ``times`` (NaN where it has none, or where not flagged N)."""
    out = np.full(times.shape[0], np.nan)
    if len(other) == 0 or times.shape[0] == 0:
        return out
    index = np.searchsorted(other.times, times)
    index[index >= len(other)] = len(other) - 1
    hit = (other.times[index] == times) & (other.flags[index] == "N")
    out[hit] = other.values[index[hit]]
    return out


def referred_values(values: Floats, zs: Floats, o2: Floats, reference_o2: Floats) -> Floats:
    """Values referred to the limit's reference O2 [mg/m³]: the device's own ``ZsRtd`` where sent,
    else ``C × (21 − O2_ref) / (21 − O2_meas)`` (HJ 212-2017 App. D eq. 26) where the O2 of the same
    instant is known and below 21 %, else as measured. NaN where the correction is undefined
    (O2 >= 21 %: the stack carries air, e.g. a shutdown): such a value is not judged."""
    out = values.copy()
    needs = ~np.isnan(reference_o2) & np.isnan(zs)
    with np.errstate(divide="ignore", invalid="ignore"):
        corrected = values * (21.0 - reference_o2) / (21.0 - o2)
    known_o2 = needs & ~np.isnan(o2)
    out[known_o2] = np.where(o2[known_o2] < 21.0, corrected[known_o2], np.nan)
    sent = ~np.isnan(zs)
    out[sent] = zs[sent]
    return out


def _limit_condition(
    times: Micros,
    values: Floats,
    upper: Floats,
    lower: Floats,
    *,
    judged: npt.NDArray[np.bool_] | None = None,
) -> Condition:
    """Points over the upper limit (or under the lower one); NaN values and points without a
    limit are dropped (a value not judged is not a point: it neither breaches nor clears)."""
    keep = ~np.isnan(values) & ~np.isnan(upper)
    if judged is not None:
        keep &= judged
    t, v, up, low = times[keep], values[keep], upper[keep], lower[keep]
    over = v - up
    under = np.where(np.isnan(low), -np.inf, low - v)
    with np.errstate(invalid="ignore"):
        excess = np.maximum(over / up, np.where(np.isnan(low), -np.inf, under / np.abs(low)))
    breach = (over > 0) | (under > 0)
    return Condition(t, breach, v, np.where(under > 0, low, up), excess)


def _no_condition() -> Condition:
    empty = np.empty(0)
    return Condition(np.empty(0, np.int64), np.empty(0, np.bool_), empty, empty, empty)


def _judged_parameters(rule: Rule, series: Mapping[str, Series]) -> Iterator[str]:
    for parameter in sorted(series):
        if parameter in _CONDITIONS_OF_FLUE or parameter in _FLOWS:
            continue
        if rule.parameters is not None and parameter not in rule.parameters:
            continue
        yield parameter


def _realtime_values(
    data: SiteData, parameter: str, series: Series, o2_series: Series | None
) -> tuple[Floats, Floats, Floats, npt.NDArray[np.bool_]]:
    upper, lower, ref = limits_for(data.site, parameter, series.times)
    o2 = _matching(series.times, o2_series) if o2_series is not None else np.full(len(series), np.nan)
    values = referred_values(series.values, series.zs, o2, ref)
    return values, upper, lower, series.flags == "N"


def realtime_exceedance(rule: Rule, data: SiteData) -> Iterator[tuple[str, Condition]]:
    """实时超标: each real-time value (O2-referred) against the limit in force on its date."""
    o2_series = data.raw.get(FLUE_O2)
    for parameter in _judged_parameters(rule, data.raw):
        series = data.raw[parameter]
        values, upper, lower, normal = _realtime_values(data, parameter, series, o2_series)
        yield parameter, _limit_condition(series.times, values, upper, lower, judged=normal)


def _mean_condition(data: SiteData, parameter: str, means: Mapping[str, Series], period: str) -> Condition:
    series = means[parameter]
    upper, lower, ref = limits_for(data.site, parameter, series.times, period=period)
    o2_series = means.get(FLUE_O2)
    o2 = _matching(series.times, o2_series) if o2_series is not None else np.full(len(series), np.nan)
    values = referred_values(series.values, series.zs, o2, ref)
    return _limit_condition(series.times, values, upper, lower)


def _averaging_of(data: SiteData, parameter: str, series: Series) -> str | None:
    if len(series) == 0:
        return None
    limit = _limit_on(data.site, parameter, "hour", int(_local_days(series.times[-1:])[0]))
    return None if limit is None else limit.averaging


def mean_exceedance(rule: Rule, data: SiteData) -> Iterator[tuple[str, Condition]]:
    """小时/日均值超标: the valid hourly or daily mean against the limit (the one of law:
    a flue-gas limit is an hourly mean, GB 8978 a daily mean of the online monitor)."""
    wanted = rule.params.get("period", "auto")
    for parameter in sorted(
        set(_judged_parameters(rule, data.hourly)) | set(_judged_parameters(rule, data.daily))
    ):
        averaging = wanted
        if wanted == "auto":
            probe = data.hourly.get(parameter) or data.daily.get(parameter)
            averaging = _averaging_of(data, parameter, probe) if probe is not None else None
        means = data.hourly if averaging == "hour" else data.daily if averaging == "day" else None
        if means is None or parameter not in means:
            continue
        yield parameter, _mean_condition(data, parameter, means, averaging)


def sustained_exceedance(rule: Rule, data: SiteData) -> Iterator[tuple[str, Condition]]:
    """持续超标: hourly means over the limit; the rule's ``hold`` says for how many hours."""
    for parameter in _judged_parameters(rule, data.hourly):
        yield parameter, _mean_condition(data, parameter, data.hourly, "hour")


def rate_of_change(rule: Rule, data: SiteData) -> Iterator[tuple[str, Condition]]:
    """突变: a change between consecutive normal real-time values larger than
    ``max_step_of_limit`` × the limit, when the two are at most ``max_gap_minutes`` apart."""
    share = float(rule.params["max_step_of_limit"])
    gap = float(rule.params["max_gap_minutes"]) * 60_000_000
    o2_series = data.raw.get(FLUE_O2)
    for parameter in _judged_parameters(rule, data.raw):
        series = data.raw[parameter]
        values, upper, _, normal = _realtime_values(data, parameter, series, o2_series)
        keep = normal & ~np.isnan(values) & ~np.isnan(upper)
        t, v, up = series.times[keep], values[keep], upper[keep]
        if t.shape[0] < 2:
            continue
        step = np.abs(np.diff(v))
        close = np.diff(t) <= gap
        allowed = share * up[1:]
        t1, s1, a1 = t[1:][close], step[close], allowed[close]
        yield parameter, Condition(t1, s1 > a1, v[1:][close], a1, s1 / np.where(a1 > 0, a1, 1.0))


def flat_line(rule: Rule, data: SiteData) -> Iterator[tuple[str, Condition]]:
    """恒值: a normal real-time value (or, with ``period: hour``, an hourly mean) equal within
    ``tolerance`` to the one before; the rule's ``hold`` is how many unchanged intervals make the
    alarm (a classic sign of falsified data)."""
    tolerance = float(rule.params["tolerance"])
    ignore_zero = bool(rule.params["ignore_zero"])
    source = data.hourly if rule.params.get("period") == "hour" else data.raw
    for parameter in _judged_parameters(rule, source):
        series = source[parameter]
        keep = series.flags == "N"
        t, v = series.times[keep], series.values[keep]
        if t.shape[0] < 2:
            continue
        same = np.abs(np.diff(v)) <= tolerance
        if ignore_zero:
            same &= v[1:] != 0
        yield parameter, Condition(t[1:], same, v[1:], np.full(t.shape[0] - 1, np.nan), v[1:])


def _flow_and(data: SiteData, parameter: str) -> tuple[Series, Floats] | None:
    flow_code = FLOW_OF_KIND.get(data.site.kind)
    flow = data.raw.get(flow_code) if flow_code else None
    if flow is None:
        return None
    series = data.raw[parameter]
    return series, _matching(series.times, flow)


def zero_while_running(rule: Rule, data: SiteData) -> Iterator[tuple[str, Condition]]:
    """零值: a concentration at or below ``zero_at`` while the flow (``flue_flow`` or
    ``water_flow``) at the same instant is at least ``running_flow``."""
    zero_at, running = float(rule.params["zero_at"]), float(rule.params["running_flow"])
    for parameter in _judged_parameters(rule, data.raw):
        both = _flow_and(data, parameter)
        if both is None:
            continue
        series, flow = both
        keep = (series.flags == "N") & ~np.isnan(flow)
        t, v, f = series.times[keep], series.values[keep], flow[keep]
        yield parameter, Condition(t, (v <= zero_at) & (f >= running), v, np.full(t.shape[0], np.nan), f)


def flow_mismatch(rule: Rule, data: SiteData) -> Iterator[tuple[str, Condition]]:
    """流量浓度不匹配: a concentration of at least ``min_ratio_of_limit`` × the limit reported while
    the flow at the same instant is at or below ``stopped_flow`` (a stopped stack emits nothing)."""
    stopped, share = float(rule.params["stopped_flow"]), float(rule.params["min_ratio_of_limit"])
    for parameter in _judged_parameters(rule, data.raw):
        both = _flow_and(data, parameter)
        if both is None:
            continue
        series, flow = both
        upper, _, _ = limits_for(data.site, parameter, series.times)
        keep = (series.flags == "N") & ~np.isnan(flow) & ~np.isnan(upper)
        t, v, f, up = series.times[keep], series.values[keep], flow[keep], upper[keep]
        yield parameter, Condition(t, (f <= stopped) & (v >= share * up), v, up, v / up)


def near_limit(rule: Rule, data: SiteData) -> Iterator[tuple[str, Condition]]:
    """临界值: hourly means between ``low_ratio`` × the limit and the limit, held for ``hold``
    hours: emissions steered to just under the limit (a falsified-data screen)."""
    low_ratio = float(rule.params["low_ratio"])
    for parameter in _judged_parameters(rule, data.hourly):
        series = data.hourly[parameter]
        upper, _, ref = limits_for(data.site, parameter, series.times)
        o2_series = data.hourly.get(FLUE_O2)
        o2 = _matching(series.times, o2_series) if o2_series is not None else np.full(len(series), np.nan)
        values = referred_values(series.values, series.zs, o2, ref)
        keep = ~np.isnan(values) & ~np.isnan(upper)
        t, v, up = series.times[keep], values[keep], upper[keep]
        yield parameter, Condition(t, (v >= low_ratio * up) & (v <= up), v, up, v / up)


def device_flag(rule: Rule, data: SiteData) -> Iterator[tuple[str, Condition]]:
    """设备标记: a reading whose value of any parameter carries one of ``flags`` (HJ 212-2017
    Table 8: D fault, C calibration, M maintenance, F stopped, T over range, B communication).
    One alarm per site (parameter ``""``): a fault flags every parameter at once."""
    wanted = np.array(sorted(rule.params["flags"]), dtype="<U1")
    times: list[Micros] = []
    flagged: list[npt.NDArray[np.bool_]] = []
    for parameter, series in data.raw.items():
        if rule.parameters is not None and parameter not in rule.parameters:
            continue
        times.append(series.times)
        flagged.append(np.isin(series.flags, wanted))
    if not times:
        return
    all_times = np.concatenate(times)
    all_flags = np.concatenate(flagged)
    unique, inverse = np.unique(all_times, return_inverse=True)
    breach = np.zeros(unique.shape[0], np.bool_)
    np.logical_or.at(breach, inverse, all_flags)
    nan = np.full(unique.shape[0], np.nan)
    yield "", Condition(unique, breach, nan, nan, breach.astype(np.float64))


@lru_cache(maxsize=8)
def _aqi_floor(level: int) -> int:
    """The lowest AQI of HJ 633-2012 Table 2 level ``level`` (5 -> 201, 6 -> 301)."""
    return next(item.aqi_low for item in levels() if item.level == level)


def air_quality_level(rule: Rule, data: SiteData) -> Iterator[tuple[str, Condition]]:
    """重污染: an air station's hourly AQI (or, for the city, its daily AQI from the city's daily
    concentrations, HJ 663-2013 §4) at level ``min_level`` or worse (HJ 633-2012 Table 2)."""
    series = data.aqi
    if len(series) == 0:
        return
    floor = float(_aqi_floor(int(rule.params["min_level"])))
    limits = np.full(len(series), floor)
    yield "aqi", Condition(series.times, series.values >= floor, series.values, limits, series.values / floor)


def water_below_target(rule: Rule, data: SiteData) -> Iterator[tuple[str, Condition]]:
    """断面超标: a day on which a water section's class is worse than its target class
    (GB 3838-2002; the "one section, one plan" early warning); ``hold`` days in a row fire."""
    series = data.water_fails
    if len(series) == 0:
        return
    nan = np.full(len(series), np.nan)
    yield "water_class", Condition(series.times, series.values > 0, series.values, nan, series.values)


def offline(rule: Rule, data: SiteData, *, now: int) -> Iterator[tuple[str, Condition]]:
    """离线: no reading received for ``after_minutes``, as points of a condition: each gap longer
    than that is a breach at its start + ``after_minutes`` and clears at the next reception; the
    clock (``now`` [epoch µs]) adds the breach of the gap still open. One alarm per site."""
    after = int(float(rule.params["after_minutes"]) * 60_000_000)
    received = data.received
    times: list[int] = []
    breach: list[bool] = []
    if received.shape[0]:
        gaps = np.diff(received)
        for index in np.flatnonzero(gaps > after).tolist():
            times.extend((int(received[index]) + after, int(received[index + 1])))
            breach.extend((True, False))
        last = int(received[-1])
        if now - last > after:
            times.append(last + after)
            breach.append(True)
    t = np.array(times, np.int64)
    nan = np.full(t.shape[0], np.nan)
    yield "", Condition(t, np.array(breach, np.bool_), nan, nan, np.zeros(t.shape[0]))


#: The condition of each data-driven kind (offline, driven by the clock, takes ``now``).
CONDITIONS = {
    RuleKind.REALTIME_EXCEEDANCE: realtime_exceedance,
    RuleKind.MEAN_EXCEEDANCE: mean_exceedance,
    RuleKind.SUSTAINED_EXCEEDANCE: sustained_exceedance,
    RuleKind.RATE_OF_CHANGE: rate_of_change,
    RuleKind.FLAT_LINE: flat_line,
    RuleKind.ZERO_WHILE_RUNNING: zero_while_running,
    RuleKind.NEAR_LIMIT: near_limit,
    RuleKind.DEVICE_FLAG: device_flag,
    RuleKind.FLOW_MISMATCH: flow_mismatch,
    RuleKind.AIR_QUALITY_LEVEL: air_quality_level,
    RuleKind.WATER_BELOW_TARGET: water_below_target,
}


def conditions(rule: Rule, data: SiteData, *, now: int) -> Iterator[tuple[str, Condition]]:
    """(parameter, condition) of ``rule`` at the site of ``data``; none outside the rule's scope.
    Points outside the rule's effective period are left out."""
    if not rule_applies(rule, data):
        return
    found = (
        offline(rule, data, now=now) if rule.kind is RuleKind.OFFLINE else CONDITIONS[rule.kind](rule, data)
    )
    for parameter, cond in found:
        if rule.effective_from is not None or rule.effective_to is not None:
            days = _local_days(cond.times)
            keep = np.ones(len(cond), np.bool_)
            if rule.effective_from is not None:
                keep &= days >= (rule.effective_from - _EPOCH_DAY.date()).days
            if rule.effective_to is not None:
                keep &= days <= (rule.effective_to - _EPOCH_DAY.date()).days
            cond = Condition(
                cond.times[keep], cond.breach[keep], cond.values[keep], cond.limits[keep], cond.excess[keep]
            )
        yield parameter, cond


#: Kinds whose points are real-time values (their look-back is counted in real-time intervals).
REALTIME_KINDS = frozenset(
    {
        RuleKind.REALTIME_EXCEEDANCE,
        RuleKind.RATE_OF_CHANGE,
        RuleKind.FLAT_LINE,
        RuleKind.ZERO_WHILE_RUNNING,
        RuleKind.DEVICE_FLAG,
        RuleKind.FLOW_MISMATCH,
    }
)
#: Kinds judged on hourly points, and on daily ones.
HOURLY_KINDS = frozenset({RuleKind.SUSTAINED_EXCEEDANCE, RuleKind.NEAR_LIMIT, RuleKind.AIR_QUALITY_LEVEL})
DAILY_KINDS = frozenset({RuleKind.WATER_BELOW_TARGET})
