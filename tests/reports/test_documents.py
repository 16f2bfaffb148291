"""The scorecard carries the towns' assessment results; PDF, DOCX and XLSX carry the same content.

Each report is laid out once (``render.bulletin_document`` / ``render.scorecard_document``); the test
extracts the text of each file with the reader a user would use (pypdf, python-docx, openpyxl) and
finds every heading, every table header and every table row of that layout in all three.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from docx import Document as DocxDocument
from openpyxl import load_workbook
from pypdf import PdfReader

from greenport.assessments import service as assessments
from greenport.reports import render, service
from tests.reports.conftest import ISSUED, seed_june_2021
from tests.web.conftest import TOWN_A, TOWN_B


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(data: bytes) -> str:
    return _squash("".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def docx_text(data: bytes) -> str:
    doc = DocxDocument(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return _squash("".join(parts))


def xlsx_content(data: bytes) -> tuple[str, dict[str, list[list[str]]]]:
    """The workbook's text (sheet titles and every cell, printed as the documents print them) and
    each sheet's rows."""
    book = load_workbook(io.BytesIO(data))
    sheets = {
        sheet.title: [[render.fmt(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    }
    text = "".join(title + "".join("".join(row) for row in rows) for title, rows in sheets.items())
    return _squash(text), sheets


def assert_same_content(document: render.Document, pdf: bytes, docx: bytes, xlsx: bytes) -> None:
    texts = {"pdf": pdf_text(pdf), "docx": docx_text(docx)}
    workbook_text, sheets = xlsx_content(xlsx)
    texts["xlsx"] = workbook_text
    expected = [*document.headings(), *document.lines]
    expected += [p for s in document.sections for p in s.paragraphs]
    for fmt, text in texts.items():
        for item in expected:
            assert _squash(item) in text, (fmt, item)
    for section in document.sections:
        for table in section.tables:
            printed = [[render.fmt(v) for v in row] for row in table.rows]
            assert sheets[table.title[:31]] == [table.headers, *printed]  # XLSX: the table itself
            for fmt in ("pdf", "docx"):
                assert _squash("".join(table.headers)) in texts[fmt], (fmt, table.title)
                for row in printed:  # a row reads as its cells in order
                    assert _squash("".join(row)) in texts[fmt], (fmt, table.title, row)


def test_the_scorecard_carries_the_towns_assessment(lite_app: Any) -> None:
    client, city = lite_app
    with client.app.state.container.uow() as uow:
        run = assessments.get_run(uow, run_id=city.ids["run"])  # the fixture's run of 2021
        card = service.scorecard(uow, period="2021")
        june = service.scorecard(uow, period="2022-06")  # no run of 2022
    rows = {row["unit"]: row for row in run.unit_rows()}
    by_code = {t.code: t for t in card.towns}
    for code in (TOWN_A, TOWN_B):
        assert (by_code[code].score, by_code[code].rank, by_code[code].grade) == (
            rows[code]["total"],
            rows[code]["rank"],
            rows[code]["grade"],
        )
        assert by_code[code].score is not None and by_code[code].grade
    assert card.assessment is not None and card.assessment["run_id"] == city.ids["run"]
    assert all(t.score is None and t.grade is None for t in june.towns) and june.assessment is None
    document = render.scorecard_document(card)
    assert (
        "考核得分" in document.sections[0].tables[0].headers
        and "等级" in document.sections[0].tables[0].headers
    )


@pytest.mark.parametrize("kind", ["bulletin", "scorecard"])
def test_pdf_docx_and_xlsx_carry_the_same_content(lite_app: Any, kind: str) -> None:
    client, city = lite_app
    seed_june_2021(client, city)
    with client.app.state.container.uow() as uow:
        if kind == "bulletin":
            report: Any = service.bulletin(uow, month="2022-06", issued_on=ISSUED)
            document, to_bytes = render.bulletin_document(report), render.bulletin_bytes
        else:
            report = service.scorecard(uow, period="2021")
            document, to_bytes = render.scorecard_document(report), render.scorecard_bytes
    assert_same_content(document, to_bytes(report, "pdf"), to_bytes(report, "docx"), to_bytes(report, "xlsx"))
    if kind == "scorecard":  # the grades a reader looks for are in all three
        grades = {t.grade for t in report.towns if t.grade}
        assert grades
        for grade in grades:
            assert grade in pdf_text(to_bytes(report, "pdf")) and grade in docx_text(to_bytes(report, "docx"))
