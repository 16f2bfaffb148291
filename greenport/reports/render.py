"""Documents of the reports: PDF (WeasyPrint), XLSX (openpyxl), DOCX.

Rendering only: every figure comes from :mod:`greenport.reports.service`. Each report is first laid
out once as a :class:`Document` (title, sections of headings, paragraphs and tables); the PDF, the
DOCX and the XLSX are three renderings of that one layout, so they carry the same figures,
headings and rows. The XLSX keeps numbers as numbers (the other two print them).

Fonts: a PDF is typeset in the font shipped in ``greenport/reports/fonts`` ("GreenPort Sans SC",
a subset of Noto Sans CJK SC 2.004 made by ``tools/build_fonts.py``; sources in its
``SOURCES.md``), declared by ``@font-face`` with the file's own path, so the PDF is the same on
every server whatever fonts it has installed. XLSX and DOCX are laid out by the reader's office
software with the reader's fonts; the DOCX names Noto Sans CJK SC for Latin and East Asian text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from greenport.kernel.cells import reads_as_formula
from greenport.kernel.errors import InvalidInput
from greenport.reports.air import bulletin_primaries
from greenport.reports.service import Bulletin, Scorecard
from greenport.standards.aqi import levels, pollutant_names
from greenport.standards.validity import evaluation_items

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "json": "application/json",
}
#: The font a DOCX names (laid out by the reader's office software, which has its own fonts).
FONT_FAMILY = "Noto Sans CJK SC"
#: The shipped font files of the PDFs, by CSS font-weight (a subset: no subscript digits, so documents write O3, SO2).
FONTS_DIR = Path(__file__).resolve().parent / "fonts"
PDF_FONT_FAMILY = "GreenPort Sans SC"
PDF_FONT_FILES = {400: "GreenPortSansSC-Regular.otf", 700: "GreenPortSansSC-Bold.otf"}
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "劣V"}


def fmt(value: Any) -> str:
    """A cell as printed: None -> "—", numbers without float noise, booleans 是/否."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def roman(value: int | None) -> str:
    return "—" if value is None else ROMAN.get(int(value), str(value))


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _names() -> dict[str, str]:
    """Pollutant names of the documents: ozone is one pollutant, 臭氧 (HJ 633 §6 names it once)."""
    names = dict(pollutant_names())
    names["o3"] = "臭氧(O3)"
    names["o3_8h"] = "臭氧(O3)"
    return names


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class Document:
    """One report laid out once; :func:`_html`, :func:`_docx` and :func:`_xlsx` render it."""

    title: str
    lines: list[str]
    sections: list[Section]
    notes: list[str] = field(default_factory=list)
    landscape: bool = False

    def headings(self) -> list[str]:
        return [
            self.title,
            *(s.heading for s in self.sections),
            *(t.title for s in self.sections for t in s.tables),
        ]


def _change(value: float | None, unit: str, *, up: str = "上升", down: str = "下降") -> str:
    if value is None:
        return "—"
    if value == 0:
        return "持平"
    return f"{up if value > 0 else down}{abs(value):g}{unit}"


def bulletin_document(b: Bulletin) -> Document:
    names = _names()
    yoy = b.year_on_year
    air, last = b.air, b.last_year_air
    concentration_rows = []
    for item in evaluation_items():
        concentration_rows.append(
            [
                item.name_zh,
                air.evaluation.get(item.pollutant),
                last.evaluation.get(item.pollutant),
                yoy.concentration_change.get(item.pollutant),
                item.unit,
            ]
        )
    level_rows = [[f"{lv.level_zh}（{lv.category_zh}）", air.level_days.get(lv.level, 0)] for lv in levels()]
    primary_rows = [[names.get(p, p), n] for p, n in air.primary_pollutant_days.items()]
    day_rows = [
        [
            d.day.isoformat(),
            d.aqi,
            d.category_zh,
            "、".join(names.get(p, p) for p in bulletin_primaries(d.primary_pollutants)) or "—",
        ]
        for d in air.days
    ]
    counts = b.class_counts()
    water_rows = [
        [s.name, s.river or "—", roman(s.target_class), roman(s.actual_class), s.meets, s.days]
        for s in b.water
    ]
    air_text = (
        f"本月有效监测天数 {air.valid_days} 天，优良天数 {air.good_days} 天，优良天数比例 {fmt(air.good_day_ratio)}%，"
        f"同比{_change(yoy.good_day_ratio_points, ' 个百分点')}（去年同月 {fmt(last.good_day_ratio)}%）；"
        f"上月 {fmt(b.previous_air.good_day_ratio)}%，年初至今 {fmt(b.year_air.good_day_ratio)}%，"
        f"年度目标 {fmt(air.targets.get('good_air_day_ratio'))}%。"
    )
    pm_text = (
        f"细颗粒物（PM2.5）月均浓度 {fmt(air.pm2_5_mean)} µg/m³，同比{_change(yoy.concentration_change.get('pm2_5'), '%')}；"
        f"年初至今 {fmt(b.year_air.pm2_5_mean)} µg/m³。一氧化碳、臭氧按 HJ 663-2013 分别以日均值第95百分位数、"
        "日最大8小时平均第90百分位数评价。"
    )
    return Document(
        title=f"{b.city_name}环境质量月报",
        lines=[f"{b.start.year}年{b.start.month}月", f"{b.issuer}　{chinese_date(b.issued_on)}发布"],
        sections=[
            Section(
                "一、环境空气质量",
                [air_text, pm_text],
                [
                    Table(
                        "主要污染物浓度及同比",
                        ["评价指标", "本月", "去年同月", "同比变化（%）", "单位"],
                        concentration_rows,
                    ),
                    Table("空气质量级别天数", ["级别", "天数"], level_rows),
                    Table("首要污染物天数", ["首要污染物", "天数"], primary_rows),
                    Table("每日空气质量", ["日期", "AQI", "类别", "首要污染物"], day_rows),
                ],
            ),
            Section(
                "二、地表水断面水质",
                [f"参与评价断面 {b.water_assessed} 个，达到目标水质 {b.water_meeting} 个。"],
                [
                    Table(
                        "水质类别断面数", ["水质类别", "断面数"], [[f"{k}类", v] for k, v in counts.items()]
                    ),
                    Table("断面水质", ["断面", "河流", "目标", "实际", "达标", "有效天数"], water_rows),
                ],
            ),
        ],
        notes=[
            "依据 HJ 633-2012（AQI）、HJ 663-2013（评价指标与百分位数）、GB 3095、GB 3838-2002。"
            "城市日AQI由各站日均浓度的算术平均计算。由 GreenPort 生成。"
        ],
    )


SCORECARD_HEADERS = [
    "镇（街道）",
    "空气站",
    "优良天数比例（%）",
    "PM2.5（µg/m³）",
    "考核断面",
    "达标断面",
    "断面达标率（%）",
    "考核得分",
    "排名",
    "等级",
]


def scorecard_document(s: Scorecard) -> Document:
    rows = [
        [
            t.name,
            t.air_stations,
            t.good_day_ratio,
            t.pm2_5_mean,
            t.sections,
            t.sections_meeting,
            t.water_ratio,
            t.score,
            t.rank,
            t.grade,
        ]
        for t in s.towns
    ]
    if s.assessment:
        source = (
            f"考核得分、排名、等级取自{s.assessment['name_zh']}{s.assessment['period']}年度的考核结果"
            f"（运行 {s.assessment['run_id']}）。"
        )
    else:
        source = f"{s.start.year}年度尚无区镇生态文明建设绩效考核结果，得分与等级空缺。"
    return Document(
        title=f"{s.city_name}镇（街道）生态成绩单",
        lines=[f"{s.period}"]
        + ([] if s.issued_on is None else [f"{s.issuer}　{chinese_date(s.issued_on)}发布"]),
        sections=[
            Section(
                "各镇（街道）环境质量与考核结果", [source], [Table("生态成绩单", SCORECARD_HEADERS, rows)]
            )
        ],
        landscape=True,
    )


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
    env.globals.update(fmt=fmt, font_faces=font_faces(), font_family=PDF_FONT_FAMILY)
    return env


def _html(document: Document) -> str:
    return _env().get_template("document.html").render(d=document)


def bulletin_html(b: Bulletin) -> str:
    return _html(bulletin_document(b))


def scorecard_html(s: Scorecard) -> str:
    return _html(scorecard_document(s))


def _pdf(html: str) -> bytes:
    from weasyprint import HTML

    data = HTML(string=html).write_pdf()
    assert data is not None
    return bytes(data)


def _xlsx(document: Document) -> bytes:
    """A first sheet "正文" with the document's text (title, lines, headings, paragraphs, table
    titles, notes), then one sheet per table with its headers (bold) and rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    text = workbook.active
    assert text is not None
    text.title = "正文"
    lines: list[tuple[str, bool]] = [(document.title, True), *((line, False) for line in document.lines)]
    for section in document.sections:
        lines.append((section.heading, True))
        lines.extend((p, False) for p in section.paragraphs)
        lines.extend((f"（见工作表“{t.title}”）", False) for t in section.tables)
    lines.extend((note, False) for note in document.notes)
    for number, (line, bold) in enumerate(lines, start=1):
        cell = text.cell(row=number, column=1, value=line)
        if reads_as_formula(line):
            cell.data_type = "s"
            cell.quotePrefix = True
        if bold:
            cell.font = Font(bold=True)
    text.column_dimensions["A"].width = 120
    for section in document.sections:
        for table in section.tables:
            sheet = workbook.create_sheet(table.title[:31])
            for number, values in enumerate([table.headers, *table.rows], start=1):
                for column, value in enumerate(values, start=1):
                    shown = fmt(value) if isinstance(value, bool) else value
                    cell = sheet.cell(row=number, column=column, value=shown)
                    if reads_as_formula(shown):  # a site or river named "=..." stays text
                        cell.data_type = "s"
                        cell.quotePrefix = True
                    if number == 1:
                        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _docx(document: Document) -> bytes:
    from docx import Document as DocxDocument
    from docx.enum.section import WD_ORIENT

    doc = DocxDocument()
    _name_font(doc)
    if document.landscape:
        page = doc.sections[0]
        page.orientation = WD_ORIENT.LANDSCAPE
        page.page_width, page.page_height = page.page_height, page.page_width
    doc.add_heading(document.title, level=1)
    for line in document.lines:
        doc.add_paragraph(line)
    for section in document.sections:
        doc.add_heading(section.heading, level=2)
        for paragraph in section.paragraphs:
            doc.add_paragraph(paragraph)
        for table in section.tables:
            doc.add_heading(table.title, level=3)
            grid = doc.add_table(rows=1, cols=len(table.headers))
            grid.style = "Table Grid"
            for cell, text in zip(grid.rows[0].cells, table.headers, strict=True):
                cell.text = text
            for row in table.rows:
                for cell, value in zip(grid.add_row().cells, row, strict=True):
                    cell.text = fmt(value)
    for note in document.notes:
        doc.add_paragraph(note)
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


def _bytes(document: Document, fmt_: str) -> bytes:
    if fmt_ == "pdf":
        return _pdf(_html(document))
    if fmt_ == "xlsx":
        return _xlsx(document)
    if fmt_ == "docx":
        return _docx(document)
    raise InvalidInput(f"unknown format {fmt_!r}; give pdf, xlsx or docx", field="format")


def bulletin_bytes(b: Bulletin, fmt_: str) -> bytes:
    return _bytes(bulletin_document(b), fmt_)


def scorecard_bytes(s: Scorecard, fmt_: str) -> bytes:
    return _bytes(scorecard_document(s), fmt_)
