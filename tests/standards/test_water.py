"""GB 3838-2002 classes (boundaries inclusive), exceedance multiples, section shares."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenport.kernel.errors import InvalidInput
from greenport.standards import water


@pytest.mark.parametrize(
    ("factor", "value", "expected"),
    [
        ("cod", 15, 1),  # 15 meets class I and II: the better class
        ("cod", 15.01, 3),
        ("cod", 20, 3),
        ("cod", 40, 5),
        ("cod", 40.01, 6),
        ("nh3_n", 0.15, 1),
        ("nh3_n", 1.0, 3),
        ("nh3_n", 1.0001, 4),
        ("do", 7.5, 1),
        ("do", 7.49, 2),
        ("do", 5, 3),
        ("do", 4.99, 4),
        ("do", 2, 5),
        ("do", 1.99, 6),
        ("ph", 6, 1),
        ("ph", 9, 1),
        ("ph", 5.99, 6),
        ("ph", 9.01, 6),
        ("codmn", 6, 3),
        ("bod5", 3, 1),
        ("tp", 0.2, 3),
    ],
)
def test_boundaries_inclusive(factor: str, value: float, expected: int) -> None:
    assert water.factor_class(factor, value, "river") == expected


def test_lake_tp_is_stricter() -> None:
    assert water.factor_class("tp", 0.05, "river") == 2
    assert water.factor_class("tp", 0.05, "lake") == 3
    assert water.factor_class("tp", 0.051, "lake") == 4


def test_section_class_is_worst_factor() -> None:
    result = water.water_class({"ph": 7.2, "do": 6.5, "codmn": 4.5, "nh3_n": 1.2, "tp": 0.15}, "river")
    assert result.water_class == 4 and result.label == "IV" and result.determining == ("nh3_n",)
    assert result.factor_classes["do"] == 2 and result.status_zh == "轻度污染"
    assert result.edition == "GB 3838-2002"


def test_tn_and_coliform_not_assessed_by_default() -> None:
    result = water.water_class({"tn": 5.0, "fecal_coliform": 100000, "cod": 10}, "lake")
    assert result.water_class == 1
    assert result.not_assessed == {"tn": 6, "fecal_coliform": 6}
    assert water.water_class({"tn": 5.0, "cod": 10}, "lake", assess_tn=True).label == "劣V"


def test_exceedance_multiples() -> None:
    # 环办〔2011〕22号: multiple = (C - limit)/limit against the target class; none for DO and pH.
    found = water.exceedances({"cod": 30, "nh3_n": 1.5, "do": 3, "ph": 9.5, "tp": 0.1}, 3, "river")
    by = {e.factor: e for e in found}
    assert by["cod"].multiple == pytest.approx(0.5)  # (30 - 20) / 20
    assert by["nh3_n"].multiple == pytest.approx(0.5)  # (1.5 - 1.0) / 1.0
    assert by["do"].multiple is None and by["ph"].multiple is None
    assert "tp" not in by
    with pytest.raises(InvalidInput):
        water.exceedances({"cod": 30}, 6)


def test_share_of_sections() -> None:
    share = water.share_class_iii_or_better([1, 2, 3, 4, 6, None])
    assert (share.good, share.assessed) == (3, 5)
    assert share.ratio_iii_or_better == pytest.approx(60.0)
    assert share.status_zh == "中度污染"  # < 75 % and 劣V 20 % (20-40 %)
    assert water.share_class_iii_or_better([1] * 9 + [4]).status_zh == "优"
    assert water.share_class_iii_or_better([2, 3]).status_zh is None


def test_bad_input() -> None:
    with pytest.raises(InvalidInput, match="unknown factor"):
        water.water_class({"codd": 3})
    with pytest.raises(InvalidInput) as info:
        water.water_class({"cod": "abc"})  # type: ignore[dict-item]
    assert info.value.field == "cod"
    with pytest.raises(InvalidInput):
        water.water_class({"cod": 3}, "sea")  # type: ignore[arg-type]


@given(st.sampled_from(["cod", "nh3_n", "tp", "codmn", "bod5"]), st.floats(0, 100), st.floats(0, 100))
def test_class_monotonic_in_pollutant(factor: str, a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert water.factor_class(factor, low) <= water.factor_class(factor, high)


@given(st.floats(0, 20), st.floats(0, 20))
def test_do_is_reversed(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert water.factor_class("do", low) >= water.factor_class("do", high)
