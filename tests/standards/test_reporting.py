"""Figures rounded as the field reports them (standards.reporting, data/reporting_precision.csv)."""

from __future__ import annotations

import math

import pytest

from greenport.standards.reporting import format_reported, precision_of, report_value


@pytest.mark.parametrize(
    ("quantity", "value", "shown"),
    [
        ("pm2_5", 35.4999, "35"),  # HJ 663-2013: µg/m³ as integers
        ("pm2_5", 34.5, "34"),  # GB/T 8170: half to even
        ("so2", 8.6, "9"),
        ("o3_8h", 160.49999999999997, "160"),
        ("co", 1.2499999, "1.2"),  # CO to 0.1 mg/m³
        ("co", 1.25, "1.2"),
        ("co", 1.0, "1.0"),
        ("aqi", 51.0000000001, "51"),  # binary noise does not round an AQI up
        ("iaqi", 50.2, "51"),  # HJ 633-2012: IAQI rounded up
        ("ratio", 82.44999, "82.4"),
        ("score", 87.456, "87.46"),
        ("cod", 20.049999999999983, "20.05"),  # no rule: no noise, no trailing zeros
        ("cod", 12.0, "12"),
        ("pm2_5", None, "—"),
        ("pm2_5", math.nan, "—"),
    ],
)
def test_format_reported(quantity: str, value: float | None, shown: str) -> None:
    assert format_reported(quantity, value) == shown


def test_integers_are_ints_and_decimals_floats() -> None:
    assert report_value("aqi", 51.0) == 51 and isinstance(report_value("aqi", 51.0), int)
    assert report_value("co", 1.25) == 1.2
    assert report_value("ratio", None) is None


def test_every_rule_cites_its_clause() -> None:
    for quantity in ("so2", "no2", "o3", "pm10", "pm2_5", "co", "aqi", "iaqi", "ratio", "score"):
        rule = precision_of(quantity)
        assert rule.declared and rule.clause and rule.mode in ("half_even", "up"), quantity
