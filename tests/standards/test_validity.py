"""GB 3095 / HJ 663 validity rules, daily values, good-air-day ratio, annual mean."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from greenport.kernel.errors import InvalidInput
from greenport.standards import validity
from greenport.standards.aqi import aqi


def test_rules_are_registered_with_sources() -> None:
    for name in ("daily_mean_20_hours", "o3_8h_mean_6_hours", "annual_mean_324_days", "february_25_days"):
        assert validity.RULES[name].source
    assert validity.rule("daily_mean_20_hours").required == 20
    with pytest.raises(ValueError, match="registered"):
        validity.rule("nope")


def test_daily_mean_needs_20_hours() -> None:
    hours: list[float | None] = [10.0] * 20 + [None] * 4
    ok = validity.daily_mean(hours)
    assert ok.valid and ok.value == 10.0 and ok.count == 20
    short = validity.daily_mean([10.0] * 19 + [None] * 5)
    assert not short.valid and short.value is None
    assert "20 required" in short.flags[0].message
    with pytest.raises(validity.InsufficientData):
        validity.daily_mean([10.0] * 19 + [None] * 5, on_invalid="raise")


def test_running_8h_needs_6_of_8() -> None:
    series: list[float | None] = [1, 2, 3, 4, 5, 6, None, None, 9, None]
    means = validity.running_8h_means(series)
    assert means[0] == pytest.approx(3.5)  # hours 0-7: six values 1..6
    assert means[1] == pytest.approx(29 / 6)  # hours 1-8: 2,3,4,5,6,9 -> six values
    assert means[2] is None  # hours 2-9: 3,4,5,6,9 -> five values
    assert len(means) == 3


def test_running_8h_counts() -> None:
    assert validity.running_8h_means([1.0] * 6 + [None] * 2) == [1.0]
    assert validity.running_8h_means([1.0] * 5 + [None] * 3) == [None]


def test_o3_daily_max_8h() -> None:
    hours = [float(h) for h in range(24)]
    stat = validity.o3_daily_max_8h(hours)
    assert stat.valid and stat.count == 17 and stat.value == pytest.approx(sum(range(16, 24)) / 8)
    sparse: list[float | None] = [100.0] * 12 + [None] * 12
    assert not validity.o3_daily_max_8h(sparse).valid
    high: list[float | None] = [300.0] * 12 + [None] * 12
    assert validity.o3_daily_max_8h(high, limit=160).valid


def test_daily_values_feed_the_daily_aqi() -> None:
    day = validity.daily_values({"pm2_5": [75.0] * 24, "o3": [50.0] * 24, "so2": [None] * 24})
    assert day.concentrations == {"pm2_5": 75.0, "o3": 50.0, "o3_8h": 50.0, "so2": None}
    assert aqi(day.concentrations, "day", edition=2012).aqi == 100


def test_good_air_day_ratio() -> None:
    # published example in the reference: 86 good days of 91 valid -> 94.5 %.
    values = [60.0] * 86 + [120.0] * 5 + [None] * 4
    ratio = validity.good_air_day_ratio(values)
    assert (ratio.good_days, ratio.valid_days) == (86, 91)
    assert round(ratio.ratio or 0, 1) == 94.5
    assert validity.good_air_day_ratio([None]).ratio is None
    assert validity.good_air_day_ratio([100, 101]).good_days == 1


def _year(missing: set[date]) -> dict[date, float | None]:
    start = date(2025, 1, 1)
    return {start + timedelta(d): (None if start + timedelta(d) in missing else 30.0) for d in range(365)}


def test_annual_mean_coverage_rules() -> None:
    assert validity.annual_mean(_year(set()), 2025).value == 30.0
    # 4 days missing in February: 24 < 25 -> invalid although 361 >= 324 days.
    feb = {date(2025, 2, d) for d in range(1, 5)}
    stat = validity.annual_mean(_year(feb), 2025)
    assert not stat.valid and any(f.rule == "february_25_days:02" and not f.passed for f in stat.flags)
    # 3 missing in February is fine (25 valid).
    assert validity.annual_mean(_year({date(2025, 2, d) for d in range(1, 4)}), 2025).valid
    # 5 missing in March: 26 < 27.
    assert not validity.annual_mean(_year({date(2025, 3, d) for d in range(1, 6)}), 2025).valid


def test_percentile_hj663() -> None:
    assert validity.percentile([1, 2, 3, 4, 5], 50) == 3
    assert validity.percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert validity.percentile([], 90) is None
    # Hand-worked, HJ 663-2013 Appendix A: sorted X, k = 1 + (n - 1) p / 100, s = int(k),
    # m = X_s + (X_{s+1} - X_s)(k - s).
    # Ten values 10..100 (given unsorted, with a missing day): n = 10, p = 90 -> k = 9.1,
    # X9 = 90, X10 = 100 -> 91.0.
    assert validity.percentile([100, 10, None, 30, 20, 50, 40, 70, 60, 90, 80], 90) == pytest.approx(91.0)
    # CO of a 30-day month, 0.6..3.5 mg/m³: p = 95 -> k = 28.55, X28 = 3.3, X29 = 3.4 -> 3.355.
    assert validity.percentile([0.5 + 0.1 * d for d in range(1, 31)], 95) == pytest.approx(3.355)
    # p = 100 is the largest value; one value is its own percentile.
    assert validity.percentile([3, 1, 2], 100) == 3 and validity.percentile([7.0], 90) == 7.0
    with pytest.raises(InvalidInput, match="0-100"):
        validity.percentile([1.0], 101)


def test_evaluation_concentration_hj663_table1() -> None:
    """O3: 90th percentile of the daily max 8-h means, CO: 95th of daily means, others: the mean."""
    o3_8h = [90.0 + 4 * d for d in range(1, 31)]  # 94..210 µg/m³, mean 152
    assert validity.evaluation_concentration("o3", o3_8h) == pytest.approx(198.4)  # k = 27.1: 198 + 0.4
    assert validity.evaluation_concentration("co", [0.5 + 0.1 * d for d in range(1, 31)]) == pytest.approx(
        3.355
    )
    assert validity.evaluation_concentration("pm2_5", [20.0, None, 40.0]) == pytest.approx(30.0)
    assert validity.evaluation_concentration("so2", []) is None
    assert [item.pollutant for item in validity.evaluation_items()] == [
        "so2",
        "no2",
        "pm10",
        "pm2_5",
        "co",
        "o3",
    ]
    assert {item.pollutant: item.daily for item in validity.evaluation_items()}["o3"] == "o3_8h"
    with pytest.raises(InvalidInput, match="o3_1h"):
        validity.evaluation_concentration("o3_1h", [1.0])
