"""Formula-like text (OWASP CSV Injection) and bounded error bodies."""

from __future__ import annotations

import pytest

from greenport.kernel.cells import csv_cell, from_csv_cell, reads_as_formula
from greenport.kernel.errors import ERRORS_SHOWN, InvalidRows, RowError
from greenport.kernel.fields import ImportOutcome


@pytest.mark.parametrize(
    "text", ["=1+1", "=cmd|' /C calc'!A0", "+1+1", "-2+3", "-A1", "@SUM(A1)", "\t=1", "\r=1", "+", "-"]
)
def test_text_a_spreadsheet_would_evaluate_is_formula_like(text: str) -> None:
    assert reads_as_formula(text)
    assert csv_cell(text) == "'" + text and from_csv_cell(csv_cell(text)) == text


@pytest.mark.parametrize(
    "value", [-3.2, 5, None, "-3.2", "+5", "-1e-3", ".5", "港城钢铁", "a=b", "'quoted", ""]
)
def test_numbers_and_ordinary_text_are_left_alone(value: object) -> None:
    assert not reads_as_formula(value)
    assert csv_cell(value) == value


def test_a_leading_quote_before_ordinary_text_is_kept_on_reading() -> None:
    assert from_csv_cell("'quoted") == "'quoted"


def test_error_bodies_list_the_first_errors_with_the_total_and_cut_long_values() -> None:
    errors = [RowError(row=n, column="name", message="is too long", value="x" * 1000) for n in range(2, 502)]
    body = InvalidRows(errors, source="firms.csv").to_dict()
    assert len(body["errors"]) == body["errors_shown"] == ERRORS_SHOWN
    assert body["error_count"] == 500
    assert body["errors"][0]["value"] == "x" * 80 + "…"
    outcome = ImportOutcome("enterprises", rows_read=500, written=0, errors=errors).to_dict()
    assert (len(outcome["errors"]), outcome["error_count"], outcome["invalid_rows"]) == (
        ERRORS_SHOWN,
        500,
        500,
    )
