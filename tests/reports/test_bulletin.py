"""The monthly bulletin from stored daily data: figures worked out by hand from HJ 633-2012.

June 2022 in the fixture city (tests/web/conftest.py): both stations report, each day d,
PM2.5 = 20 + d, O3-8h = 90 + 4d, SO2 8, NO2 20, PM10 40 µg/m³, CO 0.6 mg/m³.
By HJ 633-2012 Table 1 (O3-8h breakpoints 100/160/215 at IAQI 50/100/150; PM2.5 35/75 at
50/100): a day is good iff O3-8h <= 160, i.e. d <= 17 -> 17 of 30 days, 56.7 %; AQI <= 50 on
d = 1, 2 (O3 94, 98 -> IAQI 47, 49), so level 1 = 2 days, level 2 = 15, level 3 = 13 (O3 <= 210);
O3-8h is the primary pollutant on days 3..30 (28 days); mean PM2.5 = mean(21..50) = 35.5.
"""

from __future__ import annotations

import io
from typing import Any

from greenport.reports import render, service
from tests.web.conftest import bearer


def test_bulletin_figures(city_app: Any) -> None:
    client, city = city_app
    with client.app.state.container.uow() as uow:
        b = service.bulletin(uow, month="2022-06")
    assert b.air.valid_days == 30
    assert b.air.good_days == 17
    assert b.air.good_day_ratio == 56.7
    assert b.air.level_days == {1: 2, 2: 15, 3: 13}
    assert b.air.primary_pollutant_days == {"o3_8h": 28}
    assert b.air.pm2_5_mean == 35.5
    assert [(s.code, s.actual_class, s.meets) for s in b.water] == [("WATERA", 2, True)]
    api = client.get(
        "/api/reports/bulletin", params={"month": "2022-06"}, headers=bearer(city, "bureau_analyst")
    ).json()
    assert api["air"]["good_day_ratio"] == 56.7  # the API shows the same figures


def test_bulletin_documents(lite_app: Any, tmp_path: Any) -> None:
    from docx import Document
    from openpyxl import load_workbook
    from pypdf import PdfReader

    client, _city = lite_app
    with client.app.state.container.uow() as uow:
        b = service.bulletin(uow, month="2022-06")
    pdf = render.bulletin_bytes(b, "pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "环境质量月报" in text and "56.7" in text and "35.5" in text
    book = load_workbook(io.BytesIO(render.bulletin_bytes(b, "xlsx")))
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert summary["good_day_ratio (%)"] == 56.7
    doc = Document(io.BytesIO(render.bulletin_bytes(b, "docx")))
    assert any("56.7" in p.text for p in doc.paragraphs)


def test_scorecard_per_town(lite_app: Any) -> None:
    client, _city = lite_app
    with client.app.state.container.uow() as uow:
        card = service.scorecard(uow, period="2022-06")
    by_name = {t.name: t for t in card.towns}
    assert by_name["杨舍镇"].good_day_ratio == 56.7 and by_name["杨舍镇"].sections_meeting == 1
    assert by_name["塘桥镇"].sections == 0
    assert render.scorecard_bytes(card, "pdf")[:4] == b"%PDF"


def test_report_cli_writes_the_pdf(lite_app: Any, tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from greenport.cli.main import app

    client, _city = lite_app
    url = client.app.state.container.settings.database_url
    out = tmp_path / "b.pdf"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "bulletin",
            "--month",
            "2022-06",
            "--format",
            "pdf",
            "--out",
            str(out),
            "--database-url",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:4] == b"%PDF"
    bad = CliRunner().invoke(app, ["report", "bulletin", "--month", "2022-13", "--database-url", url])
    assert bad.exit_code == 2


def test_bulletin_agrees_with_the_monitoring_service(city_app: Any) -> None:
    """The page/report statistics and ``monitoring.service.city_summary`` count the same good days."""
    from greenport.monitoring import service as monitoring

    client, _city = city_app
    with client.app.state.container.uow() as uow:
        b = service.bulletin(uow, month="2022-06")
        summary = monitoring.city_summary(uow, year=2022)
    assert (summary.good_days, summary.valid_days) == (b.year_air.good_days, b.year_air.valid_days)
    assert abs(summary.pm2_5_annual_mean - b.year_air.pm2_5_mean) < 0.05
