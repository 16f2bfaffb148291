"""GB 32100-2015 credit codes and GB/T 2260 division codes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenport.kernel.errors import InvalidInput
from greenport.standards import ids

DATA = Path(__file__).resolve().parents[1] / "data" / "standards"


def _published() -> list[str]:
    lines = [
        ln
        for ln in (DATA / "credit_codes.csv").read_text(encoding="utf-8").splitlines()
        if not ln.startswith("#")
    ]
    return [row["code"] for row in csv.DictReader(lines)]


@pytest.mark.parametrize("code", _published())
def test_published_codes_validate(code: str) -> None:
    assert ids.validate_credit_code(code.lower()) == code


def test_gb32100_worked_example_check_char() -> None:
    # GB 32100-2015 example: 9 1 350100 M000100Y4 -> check character 3; org code check 4 (GB 11714).
    assert ids.credit_code_check_char("91350100M000100Y4") == "3"
    assert ids.organization_code_check_char("M000100Y") == "4"
    assert ids.validate_credit_code("91350100M000100Y43", check_organization_code=True)


def test_weights_are_powers_of_three() -> None:
    assert ids.CREDIT_CODE_WEIGHTS[:6] == (1, 3, 9, 27, 19, 26)
    assert ids.CREDIT_CODE_WEIGHTS[-1] == 28


@pytest.mark.parametrize(
    ("code", "position", "fragment"),
    [
        ("91350100M000100Y44", 18, "should be 3"),
        ("91350100M000100YI3", 17, "position 17"),
        ("9135010OM000100Y43", 8, "position 8"),
        ("X1350100M000100Y43", 1, "position 1"),
        ("94350100M000100Y43", 2, "position 2"),
        ("91990100M000100Y43", 3, "province"),
        ("91350100M000100Y", None, "wrong length"),
    ],
)
def test_errors_name_position(code: str, position: int | None, fragment: str) -> None:
    with pytest.raises(ids.InvalidCreditCode) as info:
        ids.validate_credit_code(code)
    assert info.value.position == position
    assert fragment in str(info.value)
    assert isinstance(info.value, InvalidInput)
    assert info.value.to_dict()["field"] == "credit_code"


@given(
    st.sampled_from(_published()),
    st.integers(min_value=0, max_value=17),
    st.sampled_from(list(ids.CREDIT_CODE_CHARSET + "IOZSV-")),
)
def test_any_single_character_change_is_detected(code: str, index: int, char: str) -> None:
    if code[index] == char:
        return
    changed = code[:index] + char + code[index + 1 :]
    with pytest.raises(ids.InvalidCreditCode):
        ids.validate_credit_code(changed)


@given(st.integers(min_value=0, max_value=31**6 - 1), st.sampled_from(["320582", "320700", "110108"]))
def test_made_codes_are_valid(sequence: int, division: str) -> None:
    code = ids.make_credit_code(division, sequence=sequence)
    assert ids.validate_credit_code(code, check_organization_code=True) == code
    assert code[2:8] == division


def test_make_is_deterministic() -> None:
    assert ids.make_credit_code(seed=7) == ids.make_credit_code(seed=7)


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("320000", "province", None),
        ("320500", "city", "320000"),
        ("320582", "county", "320500"),
        ("320582100000", "town", "320582000000"),
        ("320582100201", "village", "320582100000"),
        ("110101", "county", "110100"),
    ],
)
def test_division_levels(code: str, level: str, parent: str | None) -> None:
    assert ids.validate_division_code(code) == code
    assert ids.division_level(code) == level
    assert ids.parent_division_code(code) == parent


@pytest.mark.parametrize("code", ["32058", "3205821", "990000", "320082", "32a582", "320500000100", "100000"])
def test_bad_division_codes(code: str) -> None:
    with pytest.raises(ids.InvalidDivisionCode):
        ids.validate_division_code(code)


def test_division_level_filter() -> None:
    with pytest.raises(ids.InvalidDivisionCode, match="county"):
        ids.validate_division_code("320582", level="city")
