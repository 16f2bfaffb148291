"""Outlier treatment by the COINr procedure: ties, the >= boundaries, sides, fallbacks, and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import greenport.evaluation as ev
from greenport.evaluation.errors import SchemaError
from greenport.evaluation.treatment import TreatmentSpec, kurtosis, needs_treatment, skewness, winsorise


def test_issue_reproduction_two_points_winsorised_not_logged():
    # step 1: 100 -> 80 would leave two 80s; the procedure moves every value tied at the extreme, so
    # step 2 moves both 80s to 60; skew and kurtosis then pass.
    treated = winsorise([*range(1, 21), 60, 80, 100])
    assert treated.method == "winsorise"
    assert treated.values.tolist() == [*range(1, 21), 60, 60, 60]
    assert [(p.index, p.from_value, p.to_value) for p in treated.moved] == [(22, 100, 60), (21, 80, 60)]
    assert treated.passed


def test_tie_already_at_the_extreme_moves_both_values():
    treated = winsorise([*range(1, 21), 60, 100, 100])
    assert treated.method == "winsorise"
    assert treated.values.tolist() == [*range(1, 21), 60, 60, 60]
    assert sorted(treated.changed) == [21, 22]


def test_both_sides_high_first_then_low():
    # skew 2.262, kurtosis 11.52 -> high side: 100 -> 20; skew then -3.41, kurtosis 13.99 -> low side: -40 -> 1
    x = [-40, *range(1, 21), 100]
    assert skewness(x) == pytest.approx(2.262, abs=1e-3) and kurtosis(x) == pytest.approx(11.515, abs=1e-3)
    treated = winsorise(x)
    assert treated.values.tolist() == [1, *range(1, 21), 20]
    assert [(p.index, p.to_value) for p in treated.moved] == [(21, 20), (0, 1)]


def test_only_the_high_side_falls_back_to_the_log_when_low_outliers_remain():
    x = [-40, *range(1, 21), 100]
    treated = winsorise(x, sides="high")
    assert treated.method == "log" and treated.moved == []
    low, high = -40, 100
    assert treated.values == pytest.approx(np.log(np.asarray(x) - low + 0.01 * (high - low)))


def test_boundaries_are_inclusive():
    x = np.array([*range(1, 21), 60, 80, 100], dtype=float)
    skew, kurt = skewness(x), kurtosis(x)
    assert needs_treatment(x, skew_threshold=skew, kurtosis_threshold=kurt)
    assert not needs_treatment(x, skew_threshold=math.nextafter(skew, 10), kurtosis_threshold=kurt)
    assert not needs_treatment(x, skew_threshold=skew, kurtosis_threshold=math.nextafter(kurt, 10))
    assert winsorise(x, skew_threshold=skew, kurtosis_threshold=kurt).method == "winsorise"
    assert winsorise(x, skew_threshold=math.nextafter(skew, 10), kurtosis_threshold=kurt).method == "none"


def test_zero_skew_counts_as_high_side():
    # symmetric: skew exactly 0 (>= 0 picks the high side first), kurtosis 10.5
    x = [-100, *[0] * 20, 100]
    assert skewness(x) == 0.0
    treated = winsorise(x, skew_threshold=0.0)
    assert [p.index for p in treated.moved] == [21, 0]


def test_limit_reached_reverts_and_applies_the_fallback():
    x = [*range(1, 21), 60, 80, 100]
    logged = winsorise(x, max_points=1)
    assert logged.method == "log" and logged.moved == [] and logged.n_values == 23
    boxcox = winsorise(x, max_points=1, fallback="boxcox", boxcox_lambda=0.5)
    y = np.asarray(x, dtype=float) - 1 + 1
    assert boxcox.method == "boxcox" and boxcox.values == pytest.approx((y**0.5 - 1) / 0.5)
    untreated = winsorise(x, max_points=1, fallback="none")
    assert untreated.method == "untreated" and untreated.values.tolist() == x and not untreated.passed


def test_log_of_negative_skew_mirrors():
    x = -np.asarray([*range(1, 21), 60, 80, 100], dtype=float)
    treated = winsorise(x, max_points=1)
    shift = 0.01 * (x.max() - x.min())
    assert treated.method == "log" and treated.values == pytest.approx(-np.log(x.max() + shift - x))


def test_missing_values_stay_missing():
    treated = winsorise([*range(1, 21), math.nan, 60, 80, 100])
    assert math.isnan(treated.values[20])
    assert treated.values[~np.isnan(treated.values)].tolist() == [*range(1, 21), 60, 60, 60]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(-50, 50) | st.sampled_from([200, 500, -300, 1000]), min_size=4, max_size=40),
    st.integers(1, 6),
    st.sampled_from(["both", "high", "low"]),
    st.sampled_from(["log", "none"]),
)
def test_treatment_keeps_rank_order_and_the_limit(values, max_points, sides, fallback):
    x = np.asarray(values, dtype=float)
    treated = winsorise(x, max_points=max_points, sides=sides, fallback=fallback)
    y = treated.values
    assert len(treated.moved) <= max_points
    order = np.argsort(x, kind="stable")
    assert np.all(np.diff(y[order]) >= -1e-12), "x_i <= x_j must give y_i <= y_j"
    if treated.method in ("winsorise", "none", "untreated"):
        unmoved = np.setdiff1d(np.arange(x.size), treated.changed)
        assert np.array_equal(y[unmoved], x[unmoved])


def test_schema_treatment_block_and_indicator_override():
    system = ev.load_system(_system_yaml(extra="treatment: {skew_threshold: 3, fallback: none}\n"))
    assert system.treatment == TreatmentSpec(method="winsorise", skew_threshold=3.0, fallback="none")
    overridden = system.indicator("b").treatment
    assert overridden is not None and overridden.max_points == 1 and overridden.skew_threshold == 3.0
    with pytest.raises(SchemaError, match=r"treatment\.boxcox_lambda"):
        ev.load_system(_system_yaml(extra="treatment: {fallback: boxcox}\n"))
    with pytest.raises(SchemaError, match=r"treatment\.sides: must be both\|high\|low"):
        ev.load_system(_system_yaml(extra="treatment: {sides: top}\n"))


def test_engine_record_names_units_and_tells_the_truth():
    x = [*range(1, 21), 60, 80, 100]
    data = {f"u{i + 1:02d}": {"a": v, "b": v} for i, v in enumerate(x)}
    result = ev.evaluate(ev.load_system(_system_yaml()), data)
    by_indicator = {t["indicator"]: t for t in result.treatment}
    assert by_indicator["a"]["applied"] == "winsorise"
    assert by_indicator["a"]["moved"] == [
        {"unit": "u23", "from": 100.0, "to": 60.0},
        {"unit": "u22", "from": 80.0, "to": 60.0},
    ]
    assert by_indicator["b"]["applied"] == "log"  # max_points: 1 on b
    messages = [d["message"] for d in result.diagnostics if d["code"] == "outlier_treated"]
    assert any("log transform applied to all 23 values" in m for m in messages)
    assert not any("0 value(s)" in m for m in messages)
    assert result.to_dict()["treatment"][0]["moved"][0]["unit"] == "u23"


def _system_yaml(extra: str = "") -> str:
    return (
        """
id: t
version: "1"
name_zh: 测试
name_en: Test
unit_kind: county
scheme: index
sources: [test]
outliers: winsorise
"""
        + extra
        + """
dimensions:
  - id: d
    name_zh: 维度
    name_en: Dimension
    indicators:
      - {id: a, name_zh: 甲, name_en: A, unit: "-", direction: benefit}
      - {id: b, name_zh: 乙, name_en: B, unit: "-", direction: benefit, treatment: {max_points: 1}}
"""
    )
