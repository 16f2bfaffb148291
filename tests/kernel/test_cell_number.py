"""The one reading of "a table cell as a number" (kernel.fields.cell_number)."""

from __future__ import annotations

import math

import pytest

from greenport.kernel.fields import cell_number


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (12, 12.0),
        (3.5, 3.5),
        ("  1,234.5 ", 1234.5),
        ("12.5%", 12.5),
        ("-3", -3.0),
        ("1e3", 1000.0),
    ],
)
def test_numbers_in_every_spelling_a_yearbook_uses(cell: object, expected: float) -> None:
    assert cell_number(cell) == expected


@pytest.mark.parametrize("cell", [None, "", "  ", "-", "—", "NA", "n/a", "nan", math.nan])
def test_missing_marks_are_missing(cell: object) -> None:
    assert cell_number(cell) is None


@pytest.mark.parametrize("cell", ["abc", "12 t", "inf", math.inf, "-inf"])
def test_text_that_is_not_a_finite_number_is_refused(cell: object) -> None:
    with pytest.raises(ValueError):
        cell_number(cell)


def test_booleans_are_refused_unless_asked_for() -> None:
    with pytest.raises(ValueError, match="boolean"):
        cell_number(True)
    assert cell_number(True, booleans=True) == 1.0
    assert cell_number(False, booleans=True) == 0.0
