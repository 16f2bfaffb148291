"""Documents of the reports: PDF (WeasyPrint), XLSX (openpyxl), DOCX.

Rendering only: every figure comes from :mod:`greenport.reports.service`.

Fonts: a PDF is typeset in the font shipped in ``greenport/reports/fonts`` ("GreenPort Sans SC",
a subset of Noto Sans CJK SC 2.004 made by ``tools/build_fonts.py``; sources in its
``SOURCES.md``), declared by ``@font-face`` with the file's own path, so the PDF is the same on
every server whatever fonts it has installed. XLSX and DOCX are laid out by the reader's office
software with the reader's fonts; the DOCX names Noto Sans CJK SC for Latin and East Asian text.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from greenport.kernel.cells import reads_as_formula
from greenport.kernel.errors import InvalidInput
from greenport.reports.service import Bulletin, Scorecard
from greenport.standards.aqi import pollutant_names

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "json": "application/json",
}
#: The font a DOCX names (laid out by the reader's office software, which has its own fonts).
FONT_FAMILY = "Noto Sans CJK SC"
#: The shipped font files of the PDFs, by CSS font-weight.
FONTS_DIR = Path(__file__).resolve().parent / "fonts"
PDF_FONT_FAMILY = "GreenPort Sans SC"
PDF_FONT_FILES = {400: "GreenPortSansSC-Regular.otf", 700: "GreenPortSansSC-Bold.otf"}
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "劣V"}


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def roman(value: int | None) -> str:
    return "—" if value is None else ROMAN.get(int(value), str(value))


def _names() -> dict[str, str]:
    names = dict(pollutant_names())
    names.setdefault("o3_8h", "臭氧(8小时)")
    return names


def font_faces() -> Markup:
    """The ``@font-face`` rules of the shipped PDF font (file URLs into the installed package).

    A missing file is an installation error, reported as such rather than silently typeset in
    whatever font the machine has."""
    rules = []
    for weight, filename in PDF_FONT_FILES.items():
        path = FONTS_DIR / filename
        if not path.is_file():
            raise FileNotFoundError(f"the report font {path} is missing: reinstall greenport")
        rules.append(
            f'@font-face {{ font-family: "{PDF_FONT_FAMILY}"; font-weight: {weight}; '
            f'font-style: normal; src: url("{path.as_uri()}") format("opentype"); }}'
        )
    return Markup("\n".join(rules))  # our own constants and file URLs, no user text


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("greenport.reports", "templates"), autoescape=select_autoescape(["html"])
    )
    env.globals.update(
        fmt=fmt, roman=roman, names=_names(), font_faces=font_faces(), font_family=PDF_FONT_FAMILY
    )
    return env


def bulletin_html(b: Bulletin) -> str:
    return _env().get_template("bulletin.html").render(b=b)


def scorecard_html(s: Scorecard) -> str:
    return _env().get_template("scorecard.html").render(s=s)


def _pdf(html: str) -> bytes:
    from weasyprint import HTML

    data = HTML(string=html).write_pdf()
    assert data is not None
    return bytes(data)


def _xlsx(sheets: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    first = True
    for title, headers, rows in sheets:
        sheet = workbook.active if first else workbook.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = title[:31]
        for number, values in enumerate([headers, *rows], start=1):
            for column, value in enumerate(values, start=1):
                cell = sheet.cell(row=number, column=column, value=value)
                if reads_as_formula(value):  # a site or river named "=..." stays text
                    cell.data_type = "s"
                    cell.quotePrefix = True
                if number == 1:
                    cell.font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _bulletin_sheets(b: Bulletin) -> list[tuple[str, list[str], list[list[Any]]]]:
    names = _names()
    summary: list[list[Any]] = [
        ["month", b.month],
        ["valid_days", b.air.valid_days],
        ["good_days", b.air.good_days],
        ["good_day_ratio (%)", b.air.good_day_ratio],
        ["good_day_ratio_previous_month (%)", b.previous_air.good_day_ratio],
        ["good_day_ratio_year_to_date (%)", b.year_air.good_day_ratio],
        ["good_day_ratio_target (%)", b.air.targets.get("good_air_day_ratio")],
        ["pm2_5_mean (µg/m³)", b.air.pm2_5_mean],
        ["pm2_5_year_to_date (µg/m³)", b.year_air.pm2_5_mean],
        ["water_sections_assessed", b.water_assessed],
        ["water_sections_meeting_target", b.water_meeting],
    ]
    days = [
        [
            d.day.isoformat(),
            d.aqi,
            d.level,
            d.category_zh,
            ",".join(names.get(p, p) for p in d.primary_pollutants),
        ]
        for d in b.air.days
    ]
    primaries = [[names.get(p, p), n] for p, n in b.air.primary_pollutant_days.items()]
    water = [
        [s.code, s.name, s.river, roman(s.target_class), roman(s.actual_class), s.meets, s.days]
        for s in b.water
    ]
    return [
        ("概况 summary", ["item", "value"], summary),
        ("每日AQI daily", ["day", "aqi", "level", "category", "primary_pollutants"], days),
        ("首要污染物 primary", ["pollutant", "days"], primaries),
        ("断面 water", ["code", "name", "river", "target_class", "actual_class", "meets", "days"], water),
    ]


def _bulletin_docx(b: Bulletin) -> bytes:
    from docx import Document

    names = _names()
    doc = Document()
    _name_font(doc)
    doc.add_heading(f"{b.city_name}环境质量月报（{b.start.year}年{b.start.month}月）", level=1)
    doc.add_heading("一、环境空气质量", level=2)
    doc.add_paragraph(
        f"本月有效监测天数 {b.air.valid_days} 天，优良天数 {b.air.good_days} 天，优良天数比例 {fmt(b.air.good_day_ratio)}%"
        f"（上月 {fmt(b.previous_air.good_day_ratio)}%，年初至今 {fmt(b.year_air.good_day_ratio)}%）。"
        f"PM2.5 月均浓度 {fmt(b.air.pm2_5_mean)} µg/m³。"
    )
    table = doc.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "首要污染物", "天数"
    for p, n in b.air.primary_pollutant_days.items():
        cells = table.add_row().cells
        cells[0].text, cells[1].text = names.get(p, p), str(n)
    doc.add_heading("二、地表水断面水质", level=2)
    doc.add_paragraph(f"参与评价断面 {b.water_assessed} 个，达到目标水质 {b.water_meeting} 个。")
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("断面", "目标", "实际", "达标"), strict=True):
        cell.text = text
    for s in b.water:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = s.name, roman(s.target_class), roman(s.actual_class)
        cells[3].text = "是" if s.meets else ("否" if s.meets is not None else "—")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _name_font(doc: Any) -> None:
    """Name :data:`FONT_FAMILY` in the Normal style for Latin *and* East Asian text (python-docx
    sets only the Latin slots; Chinese would otherwise take the theme's East Asian font)."""
    from docx.oxml.ns import qn

    style = doc.styles["Normal"]
    style.font.name = FONT_FAMILY
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), FONT_FAMILY)


def bulletin_bytes(b: Bulletin, fmt_: str) -> bytes:
    if fmt_ == "pdf":
        return _pdf(bulletin_html(b))
    if fmt_ == "xlsx":
        return _xlsx(_bulletin_sheets(b))
    if fmt_ == "docx":
        return _bulletin_docx(b)
    raise InvalidInput(f"unknown format {fmt_!r}; give pdf, xlsx or docx", field="format")


def scorecard_bytes(s: Scorecard, fmt_: str) -> bytes:
    if fmt_ == "pdf":
        return _pdf(scorecard_html(s))
    if fmt_ == "xlsx":
        headers = [
            "code",
            "name",
            "air_stations",
            "good_day_ratio",
            "pm2_5_mean",
            "sections",
            "sections_meeting",
            "water_ratio",
        ]
        rows = [[t.to_dict()[h] for h in headers] for t in s.towns]
        return _xlsx([("生态成绩单 scorecard", headers, rows)])
    if fmt_ == "docx":
        from docx import Document

        doc = Document()
        _name_font(doc)
        doc.add_heading(f"{s.city_name}镇（街道）生态成绩单 {s.period}", level=1)
        table = doc.add_table(rows=1, cols=5)
        table.style = "Table Grid"
        for cell, text in zip(
            table.rows[0].cells, ("镇（街道）", "优良天数比例%", "PM2.5", "断面", "达标断面"), strict=True
        ):
            cell.text = text
        for t in s.towns:
            cells = table.add_row().cells
            values = (
                t.name,
                fmt(t.good_day_ratio),
                fmt(t.pm2_5_mean),
                str(t.sections),
                str(t.sections_meeting),
            )
            for cell, text in zip(cells, values, strict=True):
                cell.text = text
        buffer = io.BytesIO()
        doc.save(buffer)
        return buffer.getvalue()
    raise InvalidInput(f"unknown format {fmt_!r}; give pdf, xlsx or docx", field="format")
