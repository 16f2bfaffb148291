"""Site status, worked by hand from the standards' own numbers.

* 环大气〔2019〕35号, sintering machine head: SO2 35 mg/m³, hourly mean, at 16 % O2.
* 发改能源〔2014〕2093号, coal-fired unit: SO2 35 mg/m³, hourly mean, at 6 % O2.
* GB 8978-1996 Table 4, COD of "other" dischargers, grade 1: 100 mg/L (grab samples: judged on
  the online monitor's daily mean).
* HJ 212-2017 App. D eq. 26: C_ref = C × (21 − O2_ref) / (21 − O2_meas).
* HJ 633-2012 Table 2: AQI 101 is level 3 (light pollution), 100 still level 2 (good).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from greenport.monitoring.status import (
    OFFLINE_AFTER,
    LatestValues,
    MonitoredSite,
    SiteState,
    applicable_limit,
    outlet_exceedances,
    site_state,
)
from greenport.standards import emission

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
HOUR = NOW - timedelta(hours=1)  # start of the newest complete hour
DAY = datetime(2024, 6, 13, 16, 0, tzinfo=UTC)  # start of a local day (Asia/Shanghai)

SINTER = MonitoredSite(kind="gas_outlet", emission_standard="steel_ultra_low", process="sintering_head")
COAL_UNIT = MonitoredSite(
    kind="gas_outlet", emission_standard="coal_power_ultra_low", process="coal_fired_unit"
)
EFFLUENT = MonitoredSite(
    kind="water_outlet", emission_standard="gb8978_1996", process="other", emission_grade="1"
)
STATION = MonitoredSite(kind="air_station")


def seen_just_now(**kwargs: object) -> LatestValues:
    return LatestValues(last_seen=NOW - timedelta(minutes=5), **kwargs)  # type: ignore[arg-type]


def test_outlet_over_its_limit_on_the_hourly_mean() -> None:
    """41 > 35 mg/m³ on the newest hourly mean; the older hour (20) does not count, nor the daily mean."""
    latest = seen_just_now(hourly={"flue_so2": (HOUR, 41.0)}, daily={"flue_so2": (DAY, 20.0)})
    judged = site_state(SINTER, latest, now=NOW)
    assert judged.state is SiteState.OVER_LIMIT
    (over,) = judged.exceedances
    assert (over.parameter, over.value, over.limit, over.averaging) == ("flue_so2", 41.0, 35.0, "hour")
    assert over.period_start == HOUR and not over.o2_corrected
    assert (
        site_state(SINTER, seen_just_now(hourly={"flue_so2": (HOUR, 35.0)}), now=NOW).state
        is SiteState.NORMAL
    )


def test_wastewater_outlet_within_its_limit_on_the_daily_mean() -> None:
    """COD 130 mg/L in the newest hour, but the daily mean 90 <= 100 mg/L: the daily mean is judged."""
    latest = seen_just_now(hourly={"cod": (HOUR, 130.0)}, daily={"cod": (DAY, 90.0)})
    judged = site_state(EFFLUENT, latest, now=NOW)
    assert judged.state is SiteState.NORMAL and judged.exceedances == ()
    over = outlet_exceedances(EFFLUENT, hourly={}, daily={"cod": (DAY, 101.0)})
    assert [(e.value, e.limit, e.averaging) for e in over] == [(101.0, 100.0, "day")]


@pytest.fixture
def permit_with_two_editions(monkeypatch: pytest.MonkeyPatch) -> MonitoredSite:
    """A permit whose SO2 limit tightens from 50 to 35 mg/m³ on 2025-01-01 (registered for this
    test only: the registry is restored afterwards)."""
    monkeypatch.setattr(emission, "_REGISTRY", list(emission._REGISTRY))
    common = {
        "standard": "permit_edition_test",
        "process": "all",
        "pollutant": "flue_so2",
        "unit": "mg/m³",
        "reference_o2": "6",
        "averaging": "hour",
        "source": "test permit",
    }
    emission.register_limits(
        [
            {**common, "limit": "50", "effective_from": "2020-01-01", "effective_to": "2024-12-31"},
            {**common, "limit": "35", "effective_from": "2025-01-01"},
        ]
    )
    return MonitoredSite(kind="gas_outlet", emission_standard="permit_edition_test", process="boiler")


def test_the_limit_in_force_on_the_data_date_applies(permit_with_two_editions: MonitoredSite) -> None:
    site = permit_with_two_editions
    last_hour_of_2024 = datetime(2024, 12, 31, 15, 0, tzinfo=UTC)  # 23:00 local, still 2024
    first_hour_of_2025 = datetime(2025, 1, 1, 0, 0, tzinfo=UTC)
    before = applicable_limit(site, "flue_so2", on=date(2024, 12, 31))
    after = applicable_limit(site, "flue_so2", on=date(2025, 1, 1))
    assert before is not None and after is not None
    assert (before.value, after.value) == (50.0, 35.0) and after.reference_o2 == 6.0
    assert outlet_exceedances(site, hourly={"flue_so2": (last_hour_of_2024, 40.0)}, daily={}) == []
    (over,) = outlet_exceedances(site, hourly={"flue_so2": (first_hour_of_2025, 40.0)}, daily={})
    assert over.limit == 35.0


def test_flue_gas_is_referred_to_the_reference_o2_of_its_limit() -> None:
    """30 mg/m³ measured at 9 % O2 is 30 × (21 − 6)/(21 − 9) = 37.5 mg/m³ at 6 %: over 35."""
    measured = {"flue_so2": (HOUR, 30.0), "flue_o2": (HOUR, 9.0)}
    (over,) = outlet_exceedances(COAL_UNIT, hourly=measured, daily={})
    assert over.value == pytest.approx(37.5) and over.o2_corrected and over.to_dict()["value"] == 37.5
    # at 3 % O2 the same 30 mg/m³ is 30 × 15/18 = 25 mg/m³: within
    assert outlet_exceedances(COAL_UNIT, hourly={**measured, "flue_o2": (HOUR, 3.0)}, daily={}) == []
    # O2 of another hour does not refer this one: compared as stored (30 <= 35)
    assert (
        outlet_exceedances(
            COAL_UNIT, hourly={**measured, "flue_o2": (HOUR - timedelta(hours=1), 9.0)}, daily={}
        )
        == []
    )
    # at 21 % O2 the stack carries air (shutdown): the correction is undefined, nothing is judged
    assert (
        outlet_exceedances(COAL_UNIT, hourly={"flue_so2": (HOUR, 300.0), "flue_o2": (HOUR, 21.0)}, daily={})
        == []
    )


def test_air_station_over_limit_above_aqi_100() -> None:
    def aqi(value: int) -> LatestValues:
        return seen_just_now(aqi={"value": value, "label": "", "detail": {}})

    assert site_state(STATION, aqi(101), now=NOW).state is SiteState.OVER_LIMIT
    assert site_state(STATION, aqi(100), now=NOW).state is SiteState.NORMAL


def test_water_section_failing_its_target_class_is_over_limit() -> None:
    section = MonitoredSite(kind="water_section", target_class=3)
    fails = seen_just_now(water_class={"value": 4, "label": "fails"})
    meets = seen_just_now(water_class={"value": 3, "label": "meets"})
    assert site_state(section, fails, now=NOW).state is SiteState.OVER_LIMIT
    assert site_state(section, meets, now=NOW).state is SiteState.NORMAL


def test_a_silent_site_is_offline_after_the_threshold() -> None:
    assert timedelta(hours=2) == OFFLINE_AFTER  # the hourly report's hour plus its hour of grace
    at_threshold = LatestValues(last_seen=NOW - OFFLINE_AFTER)
    beyond = LatestValues(last_seen=NOW - OFFLINE_AFTER - timedelta(seconds=1))
    assert site_state(STATION, at_threshold, now=NOW).state is SiteState.NORMAL
    assert site_state(STATION, beyond, now=NOW).state is SiteState.OFFLINE
    # offline wins over an old exceedance, which is still reported
    silent_over = LatestValues(last_seen=NOW - timedelta(hours=3), hourly={"flue_so2": (HOUR, 41.0)})
    judged = site_state(SINTER, silent_over, now=NOW)
    assert judged.state is SiteState.OFFLINE and len(judged.exceedances) == 1


def test_no_data_never_reads_as_normal() -> None:
    for site in (STATION, SINTER, EFFLUENT, MonitoredSite(kind="water_section", target_class=2)):
        assert site_state(site, LatestValues(), now=NOW).state is SiteState.OFFLINE


def test_outlet_without_a_standard_or_parameter_without_a_limit_is_never_over() -> None:
    bare = MonitoredSite(kind="gas_outlet")
    assert outlet_exceedances(bare, hourly={"flue_so2": (HOUR, 1e6)}, daily={}) == []
    assert applicable_limit(bare, "flue_so2", on=NOW) is None
    assert outlet_exceedances(SINTER, hourly={"flue_velocity": (HOUR, 1e6)}, daily={}) == []
    assert applicable_limit(STATION, "no_such_parameter", on=NOW) is None


def test_monitored_site_from_a_registry_row() -> None:
    row = {"kind": "water_outlet", "emission_standard": "gb8978_1996", "process": "", "emission_grade": 1}
    site = MonitoredSite.of(row)
    assert site.emission_grade == "1" and site.process is None and site.is_judged_outlet
    assert not MonitoredSite.of({"kind": "water_outlet", "emission_standard": None}).is_judged_outlet
