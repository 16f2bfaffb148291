"""Site status: which limit applies to a site and parameter on a date, is the newest value within
it, and is the site normal, over its limit or offline.

Pure: no I/O. The service (:func:`greenport.monitoring.service.site_states`) reads the newest
values and passes them in; the rules here are the room where alarm rules will later live.

Which limit applies
    * an **air station**: the GB 3095 class 2 limit (GB 3095-2012 Table 1, §4.1: class 2 zones
      are residential, commercial and industrial areas) of the averaging period, in the edition
      and stage in force on the data's date (:func:`greenport.standards.ambient.ambient_limit`);
    * an **outlet** (flue gas or wastewater): the limit of its emission standard for its process
      and grade in force on the data's date (:func:`greenport.standards.emission.emission_limit`,
      ``standards/data/emission_limits.csv``): a flue-gas limit refers to a reference O2 and is an
      hourly mean (环大气〔2019〕35号, 发改能源〔2014〕2093号); a wastewater limit (GB 8978-1996
      Table 4) is judged on the daily mean of the online monitor;
    * a **water section**: the GB 3838-2002 Table 1 limit of its target class.

    A parameter without a published limit gets none (``None`` or no line): never an error.

When a site is over its limit
    * an air station whose newest hourly AQI is above :data:`AIR_OVER_LIMIT_AQI`;
    * a water section whose newest daily class fails its target class;
    * an outlet with at least one :class:`Exceedance`.

When a site is offline
    Its newest observation is older than :data:`OFFLINE_AFTER`, or it has none: a site without
    data never reads as normal.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from greenport.kernel.errors import DomainError
from greenport.kernel.time import PeriodKind
from greenport.monitoring.model import LATE_AFTER, PERIOD_LENGTH
from greenport.standards import water
from greenport.standards.ambient import ambient_limit
from greenport.standards.emission import EmissionLimit, correct_to_reference_o2, emission_limit

#: A site with no observation for this long is offline: its hourly report (HJ 212-2017 CN 2061,
#: DataTime = start of the hour) is due at the hour's end and counts as on time for
#: ``LATE_AFTER[hour]`` more (:mod:`greenport.monitoring.model`), so after 1 h + 1 h it is missing.
OFFLINE_AFTER: timedelta = PERIOD_LENGTH[PeriodKind.HOUR] + LATE_AFTER[PeriodKind.HOUR]

#: An hourly AQI above this is over limit: HJ 633-2012 Table 2 levels 1-2 (AQI 0-100, excellent
#: and good) meet the standard, level 3 (101-150, light pollution) and worse do not; the same
#: threshold makes a good-air day (:func:`greenport.standards.validity.good_air_day_ratio`).
AIR_OVER_LIMIT_AQI = 100

#: The GB 3095 zone class of the city's air stations (GB 3095-2012 §4.1, class 2: residential,
#: commercial, industrial and rural areas).
AIR_ZONE_CLASS = 2

AIR_STATION = "air_station"
WATER_SECTION = "water_section"
#: Site kinds judged against an emission standard.
OUTLET_KINDS = ("gas_outlet", "water_outlet")
#: The measured flue-gas O2 content [%] (``kernel/data/parameters.csv``).
FLUE_O2 = "flue_o2"
#: The water-class index label of a section worse than its target class
#: (:func:`greenport.monitoring.aggregation.daily_water_class`).
FAILS_TARGET = "fails"


class SiteState(enum.StrEnum):
    NORMAL = "normal"
    OVER_LIMIT = "over_limit"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class MonitoredSite:
    """What the status rules need to know of a site.

    ``emission_standard``, ``process`` and ``emission_grade`` say which limits an outlet must
    meet (keys of ``standards/data/emission_limits.csv``); ``target_class`` (1-5) and
    ``waterbody`` (``river`` or ``lake``) those of a water section.
    """

    kind: str
    emission_standard: str | None = None
    process: str | None = None
    emission_grade: str | None = None
    target_class: int | None = None
    waterbody: str | None = None

    @classmethod
    def of(cls, site: Mapping[str, Any]) -> MonitoredSite:
        """From a registry read model (a site as a dict)."""
        grade = site.get("emission_grade")
        target = site.get("target_class")
        return cls(
            kind=str(site["kind"]),
            emission_standard=site.get("emission_standard") or None,
            process=site.get("process") or None,
            emission_grade=None if grade in (None, "") else str(grade),
            target_class=None if target in (None, "") else int(target),
            waterbody=site.get("waterbody") or None,
        )

    @property
    def is_judged_outlet(self) -> bool:
        """An outlet with an emission standard (an outlet without one is never over)."""
        return self.kind in OUTLET_KINDS and self.emission_standard is not None


@dataclass(frozen=True, slots=True)
class Limit:
    """The limit a value of one parameter is compared with.

    ``value`` is the upper limit and ``low`` the lower one (pH), both in the parameter's canonical
    unit; ``averaging`` the period of the mean it is judged on (``hour`` or ``day``);
    ``reference_o2`` [%] the reference O2 a flue-gas limit refers to; ``label`` names the
    standard and edition; ``standard`` is an emission standard's key (its name for people is in
    the ``emission_standard`` label table), None for ambient and surface-water limits.
    """

    label: str
    value: float
    low: float | None = None
    averaging: str = "hour"
    reference_o2: float | None = None
    standard: str | None = None


@dataclass(frozen=True, slots=True)
class Exceedance:
    """An outlet's newest mean over its emission limit.

    ``value`` is the mean as compared: referred to the limit's reference O2 when the measured O2
    mean of the same period is known (``o2_corrected``), else as stored [canonical unit].
    """

    parameter: str
    value: float
    limit: float
    limit_low: float | None
    unit: str
    averaging: str
    period_start: datetime
    standard: str
    o2_corrected: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameter": self.parameter,
            "value": round(self.value, 3),
            "limit": self.limit,
            "limit_low": self.limit_low,
            "unit": self.unit,
            "averaging": self.averaging,
            "period_start": self.period_start.isoformat(),
            "standard": self.standard,
        }


#: Newest means of one site: {parameter: (period start, mean)}.
LatestMeans = Mapping[str, tuple[datetime, float]]


@dataclass(frozen=True, slots=True)
class LatestValues:
    """What the service read of one site: its newest observation time, newest hourly AQI and
    daily water class (index read models: ``value``, ``label``, ``detail``), newest valid hourly
    and daily means."""

    last_seen: datetime | None = None
    aqi: Mapping[str, Any] | None = None
    water_class: Mapping[str, Any] | None = None
    hourly: LatestMeans = field(default_factory=dict)
    daily: LatestMeans = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SiteStatus:
    state: SiteState
    exceedances: tuple[Exceedance, ...] = ()


# --- which limit applies ------------------------------------------------------------------------


def _emission_rule(site: MonitoredSite, parameter: str, on: date | datetime) -> EmissionLimit | None:
    if not site.is_judged_outlet:
        return None
    assert site.emission_standard is not None
    try:
        return emission_limit(
            site.emission_standard, site.process or "all", parameter, grade=site.emission_grade, on=on
        )
    except (DomainError, ValueError, KeyError):  # no limit for it, or none in force on that date
        return None


def applicable_limit(
    site: MonitoredSite, parameter: str, *, period: str = "hour", on: date | datetime
) -> Limit | None:
    """The limit ``parameter`` of ``site`` is compared with on date ``on``, or ``None``.

    Parameters
    ----------
    site : MonitoredSite
    parameter : str
        Canonical parameter code (``pm2_5``, ``flue_so2``, ``cod``, ...).
    period : {'hour', 'day'}
        The averaging period of the values shown; it chooses the GB 3095 limit of an air station
        (1-h or 24-h mean, GB 3095-2012 Table 1). An outlet's limit has its own averaging.
    on : date or datetime
        Date of the data: the edition (and stage) in force then applies.
    """
    try:
        if site.kind == AIR_STATION:
            found = ambient_limit(
                parameter, "hour" if period == "hour" else "day", zone_class=AIR_ZONE_CLASS, on=on
            )
            return Limit(
                label=f"{found.edition} class {AIR_ZONE_CLASS}",
                value=float(found.value),
                averaging="hour" if period == "hour" else "day",
            )
        if site.kind in OUTLET_KINDS:
            rule = _emission_rule(site, parameter, on)
            if rule is None:
                return None
            o2 = f", O2 {rule.reference_o2:g}%" if rule.reference_o2 is not None else ""
            return Limit(
                label=f"{rule.standard}{o2}",
                value=float(rule.limit),
                low=None if rule.limit_low is None else float(rule.limit_low),
                averaging="hour" if rule.averaging == "hour" else "day",
                reference_o2=rule.reference_o2,
                standard=rule.standard,
            )
        if site.kind == WATER_SECTION and site.target_class is not None:
            factor = water.factor_limits(parameter, "lake" if site.waterbody == "lake" else "river")
            return Limit(
                label=f"GB 3838 class {site.target_class}",
                value=float(factor.limit_for(site.target_class)),
                averaging="day",
            )
    except (DomainError, ValueError, KeyError):  # a parameter the tables do not cover
        return None
    return None


def limit_lines(
    site: MonitoredSite, parameter: str, *, period: str, on: date | datetime
) -> list[tuple[str, float]]:
    """(label, value) of the lines a chart of ``parameter`` draws: the upper limit and, where the
    standard sets one (pH), the lower limit; none without a published limit."""
    limit = applicable_limit(site, parameter, period=period, on=on)
    if limit is None:
        return []
    lines = [(limit.label, limit.value)]
    if limit.low is not None:
        lines.append((f"{limit.label} (low)", limit.low))
    return lines


# --- is the newest value within it -------------------------------------------------------------


def _referred_to_o2(
    value: float, reference_o2: float | None, o2_mean: tuple[datetime, float] | None, start: datetime
) -> tuple[float, bool] | None:
    """The mean referred to the limit's reference O2 (HJ 212-2017 App. D eq. 26:
    ``C × (21 − O2_ref) / (21 − O2_meas)``) with the measured O2 mean of the same period, and
    whether it was; as stored when no O2 of that period is known (the device may send values
    already referred, ZsRtd). ``None`` when the measured O2 makes the correction undefined
    (O2 >= 21 %: the stack carries air, e.g. a shutdown): such a mean is not judged."""
    if reference_o2 is None or o2_mean is None or o2_mean[0] != start:
        return value, False
    try:
        return float(correct_to_reference_o2(value, o2_mean[1], reference_o2)), True
    except DomainError:
        return None


def outlet_exceedances(site: MonitoredSite, *, hourly: LatestMeans, daily: LatestMeans) -> list[Exceedance]:
    """The pollutants of an outlet whose newest mean is over its emission limit.

    ``hourly`` / ``daily``: {parameter: (period start, mean)} of the newest valid aggregates.
    A limit averaged over an hour (the ultra-low emission limits, 环大气〔2019〕35号, 发改能源
    〔2014〕2093号) is judged on the newest hourly mean; any other (GB 8978-1996 Table 4, grab
    samples) on the newest daily mean of the online monitor. The limit is the one in force on the
    mean's date; an outlet without a standard, or a pollutant without a limit, is never over.
    Where the limit refers to a reference O2, the mean is referred to it with the measured O2
    (``flue_o2``) mean of the same period when there is one (:func:`_referred_to_o2`).
    """
    if not site.is_judged_outlet:
        return []
    out = []
    for parameter in sorted((set(hourly) | set(daily)) - {FLUE_O2}):
        probe = hourly.get(parameter) or daily[parameter]
        rule = _emission_rule(site, parameter, probe[0])
        if rule is None:
            continue
        hourly_rule = rule.averaging == "hour"
        mean = hourly.get(parameter) if hourly_rule else daily.get(parameter)
        if mean is None or not rule.in_force(mean[0].date()) or math.isnan(mean[1]):
            continue
        o2 = (hourly if hourly_rule else daily).get(FLUE_O2)
        compared = _referred_to_o2(mean[1], rule.reference_o2, o2, mean[0])
        if compared is None:
            continue
        value, corrected = compared
        if rule.exceeded_by(value):
            out.append(
                Exceedance(
                    parameter=parameter,
                    value=value,
                    limit=rule.limit,
                    limit_low=rule.limit_low,
                    unit=rule.unit,
                    averaging="hour" if hourly_rule else "day",
                    period_start=mean[0],
                    standard=rule.standard,
                    o2_corrected=corrected,
                )
            )
    return out


# --- is this site normal, over limit or offline --------------------------------------------------


def is_offline(last_seen: datetime | None, *, now: datetime) -> bool:
    """No observation, or none for longer than :data:`OFFLINE_AFTER` before ``now``."""
    return last_seen is None or now - last_seen > OFFLINE_AFTER


def site_state(site: MonitoredSite, latest: LatestValues, *, now: datetime) -> SiteStatus:
    """Normal, over limit or offline (offline wins: a silent site's old values say nothing of now)."""
    exceedances = tuple(outlet_exceedances(site, hourly=latest.hourly, daily=latest.daily))
    if is_offline(latest.last_seen, now=now):
        return SiteStatus(SiteState.OFFLINE, exceedances)
    aqi = latest.aqi.get("value") if latest.aqi is not None else None
    over = (
        (aqi is not None and aqi > AIR_OVER_LIMIT_AQI)
        or (latest.water_class is not None and latest.water_class.get("label") == FAILS_TARGET)
        or bool(exceedances)
    )
    return SiteStatus(SiteState.OVER_LIMIT if over else SiteState.NORMAL, exceedances)
