"""Report workbooks keep formula-like names as text (issue 12, item 10)."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from greenport.reports.render import scorecard_bytes
from greenport.reports.service import Scorecard, TownCard


def test_a_town_named_like_a_formula_is_text_in_the_scorecard_workbook() -> None:
    hostile = '=HYPERLINK("http://x","y")'
    card = Scorecard(
        "港城市",
        "2022",
        date(2022, 1, 1),
        date(2023, 1, 1),
        [TownCard("320582100000", hostile, 83.6, -3.2, 2, 1, 1)],
    )
    sheet = load_workbook(io.BytesIO(scorecard_bytes(card, "xlsx")))["生态成绩单"]
    name, ratio, mean = sheet["A2"], sheet["C2"], sheet["D2"]
    assert (name.value, name.data_type, name.quotePrefix) == (hostile, "s", True)
    assert (ratio.value, ratio.data_type, mean.value, mean.data_type) == (83.6, "n", -3.2, "n")
