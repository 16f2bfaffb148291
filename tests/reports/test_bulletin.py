"""The monthly bulletin from stored daily data: figures worked out by hand from HJ 633-2012.

June 2022 in the fixture city (tests/web/conftest.py): both stations report, each day d,
PM2.5 = 20 + d, O3-8h = 90 + 4d, SO2 8, NO2 20, PM10 40 µg/m³, CO 0.6 mg/m³.
By HJ 633-2012 Table 1 (O3-8h breakpoints 100/160/215 at IAQI 50/100/150; PM2.5 35/75 at
50/100): a day is good iff O3-8h <= 160, i.e. d <= 17 -> 17 of 30 days, 56.7 %; AQI <= 50 on
d = 1, 2 (O3 94, 98 -> IAQI 47, 49), so level 1 = 2 days, level 2 = 15, level 3 = 13 (O3 <= 210);
O3-8h is the primary pollutant on days 3..30 (28 days); mean PM2.5 = mean(21..50) = 35.5.

HJ 663-2013 evaluation (Table 1, Appendix A percentile, k = 1 + (n - 1) p / 100): O3 = 90th
percentile of the 30 daily max 8-h means 94, 98, ..., 210: k = 1 + 29 × 0.9 = 27.1, X27 = 198,
X28 = 202 -> 198 + 0.1 × 4 = 198.4 µg/m³ (their mean, 152, would hide the peaks); CO = 95th
percentile of thirty 0.6 -> 0.6 mg/m³.

June 2021 (tests/reports/conftest.py JUNE_2021): O3 90th = 80 + 4 × 27.1 = 188.4 (X27 188, X28 192);
CO 95th of 0.6..3.5: k = 28.55, X28 = 3.3, X29 = 3.4 -> 3.355; PM2.5 mean(31..60) = 45.5; good days:
O3-8h 80 + 4d <= 160 -> d <= 20 (PM2.5 <= 60, CO <= 3.5 stay below IAQI 100) -> 20/30 = 66.7 %.
Year on year: PM2.5 (35.5 - 45.5)/45.5 = -21.98 -> -22.0 %; O3 (198.4 - 188.4)/188.4 = +5.31 -> 5.3 %;
CO (0.6 - 3.355)/3.355 = -82.1 %; SO2, NO2, PM10 -20.0 %; good-day ratio 56.7 - 66.7 = -10.0 points.
"""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

from pypdf import PdfReader

from greenport.reports import render, service
from greenport.reports.air import bulletin_primaries, summarise_air
from tests.reports.conftest import ISSUED, seed_june_2021
from tests.web.conftest import bearer


def test_bulletin_figures(city_app: Any) -> None:
    client, city = city_app
    with client.app.state.container.uow() as uow:
        b = service.bulletin(uow, month="2022-06", issued_on=ISSUED)
    assert b.air.valid_days == 30
    assert b.air.good_days == 17
    assert b.air.good_day_ratio == 56.7
    assert b.air.level_days == {1: 2, 2: 15, 3: 13}
    assert b.air.primary_pollutant_days == {"o3": 28}
    assert b.air.evaluation == {"so2": 8.0, "no2": 20.0, "pm10": 40.0, "pm2_5": 35.5, "co": 0.6, "o3": 198.4}
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
        b = service.bulletin(uow, month="2022-06", issued_on=ISSUED)
    pdf = render.bulletin_bytes(b, "pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "环境质量月报" in text and "56.7" in text and "35.5" in text
    book = load_workbook(io.BytesIO(render.bulletin_bytes(b, "xlsx")))
    concentrations = {
        row[0]: row[1] for row in book["主要污染物浓度及同比"].iter_rows(min_row=2, values_only=True)
    }
    assert concentrations["臭氧 O3 日最大8小时平均第90百分位数"] == 198.4
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
        b = service.bulletin(uow, month="2022-06", issued_on=ISSUED)
        summary = monitoring.city_summary(uow, year=2022)
    assert (summary.good_days, summary.valid_days) == (b.year_air.good_days, b.year_air.valid_days)
    assert abs(summary.pm2_5_annual_mean - b.year_air.pm2_5_mean) < 0.05


def test_ozone_is_one_primary_pollutant() -> None:
    """A day whose largest IAQI is O3-1h and one whose largest is O3-8h both count as "o3"."""
    assert bulletin_primaries(("o3", "o3_8h", "pm2_5")) == ("o3", "pm2_5")
    daily = {
        date(2022, 6, 1): {"o3": 250.0, "o3_8h": 100.0},  # 1-h IAQI 125 > 8-h IAQI 50
        date(2022, 6, 2): {"o3": 100.0, "o3_8h": 200.0},  # 8-h IAQI 137 > 1-h IAQI 32
    }
    summary = summarise_air(date(2022, 6, 1), date(2022, 6, 30), daily)
    assert summary.primary_pollutant_days == {"o3": 2}
    assert [d["primary"] for d in summary.to_dict()["days"]] == [["o3"], ["o3"]]  # type: ignore[index]


def test_bulletin_year_on_year_issuer_and_date(lite_app: Any) -> None:
    client, city = lite_app
    seed_june_2021(client, city)
    with client.app.state.container.uow() as uow:
        b = service.bulletin(uow, month="2022-06", issued_on=ISSUED)
        named = service.bulletin(uow, month="2022-06", issued_on=ISSUED, issuer="某某市环境监测站")
    assert b.last_year_air.evaluation == {
        "so2": 10.0,
        "no2": 25.0,
        "pm10": 50.0,
        "pm2_5": 45.5,
        "co": 3.355,
        "o3": 188.4,
    }
    assert b.last_year_air.good_day_ratio == 66.7
    yoy = b.year_on_year
    assert yoy.concentration_change == {
        "so2": -20.0,
        "no2": -20.0,
        "pm10": -20.0,
        "pm2_5": -22.0,
        "co": -82.1,
        "o3": 5.3,
    }
    assert yoy.good_day_ratio_points == -10.0
    assert b.issuer == "张家港市生态环境局" and named.issuer == "某某市环境监测站"
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(render.bulletin_bytes(b, "pdf"))).pages
    )
    for shown in ("张家港市生态环境局", "2022年7月5日发布", "同比下降10 个百分点", "188.4", "198.4", "-22"):
        assert shown in text, shown
    api = client.get(
        "/api/reports/bulletin",
        params={"month": "2022-06", "issued": "2022-07-05"},
        headers=bearer(city, "bureau_analyst"),
    ).json()
    assert api["issued_on"] == "2022-07-05" and api["issuer"] == "张家港市生态环境局"
    assert api["year_on_year"]["good_day_ratio_change_points"] == -10.0


def test_the_scorecard_is_dated_and_issued_like_the_bulletin(lite_app: Any, tmp_path: Any) -> None:
    """A scorecard an official hands on says who issued it and on which Beijing-time day."""
    from docx import Document
    from typer.testing import CliRunner

    from greenport.cli.main import app

    client, city = lite_app
    with client.app.state.container.uow() as uow:
        card = service.scorecard(uow, period="2022-06", issued_on=ISSUED)
        draft = service.scorecard(uow, period="2022-06")
    docx = Document(io.BytesIO(render.scorecard_bytes(card, "docx")))
    assert "张家港市生态环境局　2022年7月5日发布" in [p.text for p in docx.paragraphs]
    assert "发布" not in render.scorecard_html(draft)  # no date given: no issue line
    url = client.app.state.container.settings.database_url
    out = tmp_path / "s.json"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "scorecard",
            "--period",
            "2022-06",
            "--issued",
            "2022-07-05",
            "--format",
            "json",
            "--out",
            str(out),
            "--database-url",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["issued_on"] == "2022-07-05"
    api = client.get(
        "/api/reports/scorecard",
        params={"period": "2022-06", "issued": "2022-07-05"},
        headers=bearer(city, "bureau_analyst"),
    ).json()
    assert api["issued_on"] == "2022-07-05" and api["issuer"] == "张家港市生态环境局"
