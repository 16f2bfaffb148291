"""Limits drawn on a site page (moved from tests/web/test_limits.py with web/limits.py), against
values read in the standards' own tables.

GB 3095-2012 Table 1, class 2: PM2.5 24-h 75 µg/m³, SO2 1-h 500 µg/m³.
GB 3838-2002 Table 1, class III: COD 20 mg/L, NH3-N 1.0 mg/L.
"""

from __future__ import annotations

from datetime import UTC, datetime

from greenport.monitoring.status import MonitoredSite, limit_lines

ON = datetime(2022, 6, 15, tzinfo=UTC)


def test_air_station_limits_by_period() -> None:
    station = MonitoredSite.of({"kind": "air_station"})
    assert [v for _, v in limit_lines(station, "pm2_5", period="day", on=ON)] == [75.0]
    assert [v for _, v in limit_lines(station, "so2", period="hour", on=ON)] == [500.0]
    assert limit_lines(station, "no_such_parameter", period="day", on=ON) == []


def test_water_section_target_class_limits() -> None:
    section = MonitoredSite.of({"kind": "water_section", "target_class": 3})
    assert [v for _, v in limit_lines(section, "cod", period="day", on=ON)] == [20.0]
    assert [v for _, v in limit_lines(section, "nh3_n", period="day", on=ON)] == [1.0]


def test_outlet_limits_follow_its_standard_and_process() -> None:
    """Coal-power ultra-low emission (发改能源〔2014〕2093号): SO2 35, NOx 50 mg/m³ at 6 % O2."""
    outlet = MonitoredSite.of(
        {"kind": "gas_outlet", "emission_standard": "coal_power_ultra_low", "process": "coal_fired_unit"}
    )
    so2 = limit_lines(outlet, "flue_so2", period="hour", on=ON)
    assert [v for _, v in so2] == [35.0] and "O2 6%" in so2[0][0]
    assert [v for _, v in limit_lines(outlet, "flue_nox", period="hour", on=ON)] == [50.0]
    assert limit_lines(outlet, "flue_so2", period="hour", on=datetime(2010, 1, 1, tzinfo=UTC)) == []
