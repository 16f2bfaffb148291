"""Each rule kind on a hand-worked series (response-workflow.md §2): what breaches, with the O2
correction of HJ 212-2017 App. D eq. 26 and the limit in force on each value's date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from greenport.alarms.conditions import Series, SiteData, conditions, referred_values
from greenport.alarms.lifecycle import Condition, fold, to_micros
from greenport.alarms.model import Rule, RuleKind, Severity
from greenport.alarms.rules import KIND_PARAMETERS, KIND_SITE_KINDS
from greenport.monitoring.status import MonitoredSite
from greenport.standards.emission import limits, register_limits

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 Beijing time
MINUTE = timedelta(minutes=1)
COAL = MonitoredSite(kind="gas_outlet", emission_standard="coal_power_ultra_low", process="coal_fired_unit")


def rule(kind: RuleKind, *, hold: int = 1, recovery: int = 1, **params: Any) -> Rule:
    defaults = {name: spec.default for name, spec in KIND_PARAMETERS[kind].items()}
    return Rule(
        id=f"test-{kind.value}",
        kind=kind,
        severity=Severity.MAJOR,
        name_zh="测试",
        name_en="test",
        site_kinds=KIND_SITE_KINDS[kind],
        hold=hold,
        recovery=recovery,
        params={**defaults, **params},
    )


def series(
    values: list[float],
    *,
    start: datetime = T0,
    step: timedelta = MINUTE,
    zs: list[float] | None = None,
    flags: str | None = None,
) -> Series:
    n = len(values)
    return Series(
        np.array([to_micros(start + i * step) for i in range(n)], np.int64),
        np.array(values, np.float64),
        np.array(zs if zs is not None else [np.nan] * n, np.float64),
        np.array(list(flags) if flags is not None else ["N"] * n, dtype="<U1"),
    )


def only(rule_: Rule, data: SiteData, *, now: datetime = T0) -> tuple[str, Condition]:
    [found] = list(conditions(rule_, data, now=to_micros(now)))
    return found


def outlet(**raw: Series) -> SiteData:
    return SiteData(site_id=1, site=COAL, raw=raw)


def test_realtime_exceedance_refers_flue_values_to_the_reference_o2() -> None:
    # coal-fired unit: SO2 35 mg/m³ at 6 % O2. Measured 30 mg/m³ at 9 % O2 is 30 × 15/12 = 37.5: over.
    so2 = series([30.0, 30.0, 30.0])
    o2 = series([9.0, 6.0, 3.0])
    parameter, cond = only(rule(RuleKind.REALTIME_EXCEEDANCE), outlet(flue_so2=so2, flue_o2=o2))
    assert parameter == "flue_so2"
    assert cond.values.tolist() == pytest.approx([37.5, 30.0, 25.0])
    assert cond.breach.tolist() == [True, False, False]
    assert cond.limits.tolist() == [35.0, 35.0, 35.0]


def test_a_value_the_device_sent_already_referred_is_taken_as_sent() -> None:
    so2 = series([30.0, 30.0], zs=[36.0, np.nan])
    _, cond = only(rule(RuleKind.REALTIME_EXCEEDANCE), outlet(flue_so2=so2, flue_o2=series([9.0, 6.0])))
    assert cond.values.tolist() == [36.0, 30.0] and cond.breach.tolist() == [True, False]
    # at 21 % O2 the stack carries air: the correction is undefined, the value is not judged
    assert np.isnan(
        referred_values(np.array([5.0]), np.array([np.nan]), np.array([21.0]), np.array([6.0]))[0]
    )


def test_flagged_values_are_not_compared_with_the_limit() -> None:
    _, cond = only(
        rule(RuleKind.REALTIME_EXCEEDANCE), outlet(flue_so2=series([90.0, 90.0, 90.0], flags="NDC"))
    )
    assert cond.breach.tolist() == [True] and len(cond) == 1


LOCAL = "test_local_edition"


@pytest.fixture(scope="module", autouse=True)
def _local_standard_with_two_editions() -> None:
    """A local standard whose SO2 limit tightens from 100 to 35 mg/m³ on 2026-07-01 (Beijing)."""
    if not limits(LOCAL):
        base = {
            "standard": LOCAL,
            "process": "all",
            "pollutant": "flue_so2",
            "grade": "",
            "limit_low": "",
            "unit": "mg/m³",
            "reference_o2": "6",
            "averaging": "hour",
            "status": "",
            "source": "test",
        }
        register_limits(
            [
                {**base, "limit": "100", "effective_from": "2020-01-01", "effective_to": "2026-06-30"},
                {**base, "limit": "35", "effective_from": "2026-07-01", "effective_to": ""},
            ],
            source="test",
        )


def test_the_limit_is_the_one_in_force_on_each_values_beijing_date() -> None:
    site = MonitoredSite(kind="gas_outlet", emission_standard=LOCAL, process="any")
    # 30 June 23:58 and 23:59 Beijing (15:58, 15:59 UTC), then 1 July 00:00 and 00:01 Beijing
    start = datetime(2026, 6, 30, 15, 58, tzinfo=UTC)
    data = SiteData(site_id=1, site=site, raw={"flue_so2": series([50.0] * 4, start=start)})
    _, cond = only(rule(RuleKind.REALTIME_EXCEEDANCE), data)
    assert cond.limits.tolist() == [100.0, 100.0, 35.0, 35.0]
    assert cond.breach.tolist() == [False, False, True, True]
    assert date(2026, 7, 1) == (start + timedelta(minutes=2, hours=8)).date()


def test_mean_exceedance_uses_the_limits_own_averaging() -> None:
    water = MonitoredSite(
        kind="water_outlet", emission_standard="gb8978_1996", process="other", emission_grade="1"
    )
    day = timedelta(days=1)
    data = SiteData(
        site_id=2,
        site=water,
        hourly={"cod": series([500.0], step=day)},  # an hourly COD over 100 does not count ...
        daily={"cod": series([90.0, 120.0], step=day)},  # ... the daily mean does (GB 8978 grade 1: 100)
    )
    _, cond = only(rule(RuleKind.MEAN_EXCEEDANCE), data)
    assert cond.values.tolist() == [90.0, 120.0] and cond.breach.tolist() == [False, True]


def test_sustained_exceedance_needs_its_hours_in_a_row() -> None:
    hour = timedelta(hours=1)
    data = SiteData(
        site_id=1, site=COAL, hourly={"flue_nox": series([60, 60, 40, 60, 60, 60, 60], step=hour)}
    )
    found = rule(RuleKind.SUSTAINED_EXCEEDANCE, hold=4)
    _, cond = only(found, data)
    [short, sustained] = fold(cond, hold=found.hold, recovery=found.recovery)
    assert short.fired_at is None and sustained.fired_at == T0 + 6 * hour


def test_rate_of_change_is_a_jump_larger_than_the_limit_between_close_values() -> None:
    # NOx limit 50: 20 -> 80 (+60 > 50) jumps; 80 -> 85 does not; 85 -> 10 after 30 minutes is not compared
    nox = Series(
        np.array([to_micros(T0 + m * MINUTE) for m in (0, 1, 2, 32)], np.int64),
        np.array([20.0, 80.0, 85.0, 10.0]),
        np.full(4, np.nan),
        np.array(["N"] * 4, dtype="<U1"),
    )
    _, cond = only(rule(RuleKind.RATE_OF_CHANGE), outlet(flue_nox=nox))
    assert cond.breach.tolist() == [True, False]


def test_flat_line_counts_unchanged_intervals_and_leaves_zeros_alone() -> None:
    found = rule(RuleKind.FLAT_LINE, hold=3)
    _, cond = only(found, outlet(flue_so2=series([12.0, 12.0, 12.0, 12.0, 13.0, 0.0, 0.0, 0.0, 0.0])))
    assert cond.breach.tolist() == [True, True, True, False, False, False, False, False]
    [episode] = fold(cond, hold=found.hold, recovery=found.recovery)
    assert episode.fired_at == T0 + 3 * MINUTE  # the fourth identical value


def test_zero_while_the_flow_says_running() -> None:
    data = outlet(
        flue_so2=series([0.0, 0.0, 5.0, 0.0]), flue_flow=series([50_000.0, 200.0, 50_000.0, 50_000.0])
    )
    _, cond = only(rule(RuleKind.ZERO_WHILE_RUNNING, running_flow=1000.0), data)
    assert cond.breach.tolist() == [True, False, False, True]


def test_concentration_reported_from_a_stopped_stack_is_a_mismatch() -> None:
    # SO2 limit 35: 10 % of it is 3.5. Flow 0 with 20 mg/m³ is a mismatch; with 1 mg/m³ it is not.
    data = outlet(flue_so2=series([20.0, 1.0, 20.0]), flue_flow=series([0.0, 0.0, 60_000.0]))
    _, cond = only(rule(RuleKind.FLOW_MISMATCH, stopped_flow=100.0), data)
    assert cond.breach.tolist() == [True, False, False]


def test_near_limit_is_between_the_share_and_the_limit() -> None:
    hour = timedelta(hours=1)
    data = SiteData(
        site_id=1, site=COAL, hourly={"flue_so2": series([31.0, 32.0, 35.0, 36.0, 20.0], step=hour)}
    )
    _, cond = only(rule(RuleKind.NEAR_LIMIT, low_ratio=0.9), data)
    assert cond.breach.tolist() == [False, True, True, False, False]  # 31.5 <= v <= 35


def test_device_flags_make_one_site_level_condition() -> None:
    data = outlet(
        flue_so2=series([1.0, 1.0, 1.0], flags="NDN"), flue_nox=series([1.0, 1.0, 1.0], flags="NNB")
    )
    parameter, cond = only(rule(RuleKind.DEVICE_FLAG, flags=["B", "D"]), data)
    assert parameter == "" and cond.breach.tolist() == [False, True, True]


def test_air_quality_level_five_and_six() -> None:
    air = SiteData(
        site_id=3, site=MonitoredSite(kind="air_station"), aqi=series([180.0, 201.0, 300.0, 301.0])
    )
    _, heavy = only(rule(RuleKind.AIR_QUALITY_LEVEL, min_level=5), air)
    _, severe = only(rule(RuleKind.AIR_QUALITY_LEVEL, min_level=6), air)
    assert heavy.breach.tolist() == [False, True, True, True]
    assert severe.breach.tolist() == [False, False, False, True]


def test_a_section_worse_than_its_target_for_days() -> None:
    section = SiteData(
        site_id=4,
        site=MonitoredSite(kind="water_section", target_class=3),
        water_fails=series([1.0, 1.0, 0.0, 1.0, 1.0, 1.0], step=timedelta(days=1)),
    )
    found = rule(RuleKind.WATER_BELOW_TARGET, hold=3)
    _, cond = only(found, section)
    [first, second] = fold(cond, hold=3, recovery=1)
    assert first.fired_at is None and second.fired_at == T0 + timedelta(days=5)


def test_offline_fires_on_the_clock_and_clears_at_the_next_reception() -> None:
    received = np.array([to_micros(T0 + m * MINUTE) for m in (0, 1, 2, 40, 41)], np.int64)
    data = SiteData(site_id=1, site=COAL, received=received)
    found = rule(RuleKind.OFFLINE, after_minutes=10)
    _, cond = only(found, data, now=T0 + 70 * MINUTE)
    [gap, silence] = fold(cond, hold=1, recovery=1)
    assert (gap.first_breach_at, gap.resolved_at) == (T0 + 12 * MINUTE, T0 + 40 * MINUTE)
    assert silence.first_breach_at == T0 + 51 * MINUTE and silence.resolved_at is None
    # before the clock passes 41 + 10 minutes, the second silence is not a breach yet
    _, early = only(found, data, now=T0 + 50 * MINUTE)
    assert len(fold(early, hold=1, recovery=1)) == 1


def test_a_rule_judges_only_its_scope_and_effective_period() -> None:
    found = rule(RuleKind.REALTIME_EXCEEDANCE)
    scoped = Rule(**{**{f: getattr(found, f) for f in found.__slots__}, "towns": frozenset({"320582100000"})})  # type: ignore[attr-defined]
    data = outlet(flue_so2=series([90.0]))
    assert list(conditions(scoped, data, now=0)) == []
    later = Rule(**{**{f: getattr(found, f) for f in found.__slots__}, "effective_from": date(2026, 6, 2)})  # type: ignore[attr-defined]
    [(_, cond)] = list(conditions(later, data, now=0))
    assert len(cond) == 0
