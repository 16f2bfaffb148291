"""Reading and writing tables (CSV and Excel) at the edges: imports, templates, exports.

Services never see files: the CLI and the web app read a file with :func:`read_table` and hand
its rows (with the row number a user sees in Excel, header = row 1) to a service.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from greenport.kernel.errors import InvalidInput


@dataclass(frozen=True)
class Table:
    """Rows of a sheet as dicts keyed by header, each with its 1-based row number in the file."""

    headers: list[str]
    rows: list[dict[str, Any]]
    row_numbers: list[int]
    source: str = ""

    def numbered(self) -> Iterable[tuple[int, dict[str, Any]]]:
        return zip(self.row_numbers, self.rows, strict=True)


def _clean_header(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    # Templates put the unit after the key on the header line ("land_area_mu (亩)"): keep the key.
    return text.split(" (")[0].split("（")[0].strip()


def read_table(path: str | Path, *, sheet: str | None = None, data: bytes | None = None) -> Table:
    """Read a CSV (UTF-8, with or without BOM, or GB18030) or XLSX file into a :class:`Table`.

    Blank rows are skipped; cells are stripped strings for CSV and native values for Excel.
    ``data`` gives the file's bytes when it came from an upload (``path`` then only names it).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    raw = data if data is not None else path.read_bytes()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(raw, path.name, sheet)
    if suffix in (".csv", ".txt", ""):
        return _read_csv(raw, path.name)
    raise InvalidInput(f"unsupported file type {suffix!r}: give .csv or .xlsx", field="file")


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("file is neither UTF-8 nor GB18030 text", field="file")


def _read_csv(raw: bytes, name: str) -> Table:
    reader = csv.reader(io.StringIO(_decode(raw)))
    try:
        header_row = next(reader)
    except StopIteration:
        raise InvalidInput(f"{name} is empty: it needs a header row", field="file") from None
    headers = [_clean_header(h) for h in header_row]
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(headers):
            raise InvalidInput(
                f"row {number} has {len(values)} cells but the header has {len(headers)}",
                row=number,
                field="file",
            )
        values = values + [""] * (len(headers) - len(values))
        rows.append({h: v.strip() for h, v in zip(headers, values, strict=True) if h})
        numbers.append(number)
    return Table(headers=[h for h in headers if h], rows=rows, row_numbers=numbers, source=name)


def _read_xlsx(raw: bytes, name: str, sheet: str | None) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise InvalidInput(f"{name} is not a readable .xlsx file: {exc}", field="file") from exc
    worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    iterator = worksheet.iter_rows(values_only=True)
    try:
        headers = [_clean_header(h) for h in next(iterator)]
    except StopIteration:
        raise InvalidInput(f"{name} is empty: it needs a header row", field="file") from None
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    for number, values in enumerate(iterator, start=2):
        if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        cells = [v.strip() if isinstance(v, str) else v for v in values]
        rows.append({h: ("" if c is None else c) for h, c in zip(headers, cells, strict=False) if h})
        numbers.append(number)
    workbook.close()
    return Table(headers=[h for h in headers if h], rows=rows, row_numbers=numbers, source=name)


@dataclass
class TemplateColumn:
    """One column of a data-entry template (填报模板)."""

    key: str
    label_zh: str
    unit: str = ""
    description: str = ""
    required: bool = True
    example: Any = None


@dataclass
class Sheet:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)


def write_template(
    path: str | Path, columns: Sequence[TemplateColumn], *, title: str, notes: str = ""
) -> None:
    """Write an Excel template: header row of keys (with units), a sheet explaining every column."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    data = workbook.active
    assert data is not None
    data.title = "data"
    for index, column in enumerate(columns, start=1):
        header = f"{column.key} ({column.unit})" if column.unit else column.key
        cell = data.cell(row=1, column=index, value=header)
        cell.font = Font(bold=True)
        if column.required:
            cell.fill = PatternFill("solid", fgColor="FFF2CC")
        cell.comment = Comment(f"{column.label_zh}\n{column.description}".strip(), "GreenPort")
        data.column_dimensions[cell.column_letter].width = max(14, len(header) + 2)
        if column.example is not None:
            data.cell(row=2, column=index, value=column.example)
    guide = workbook.create_sheet("说明 guide")
    guide.append([title])
    if notes:
        guide.append([notes])
    guide.append([])
    guide.append(["key", "名称", "unit", "required", "description"])
    for column in columns:
        guide.append(
            [column.key, column.label_zh, column.unit, "yes" if column.required else "no", column.description]
        )
    workbook.save(path)


def write_xlsx(path: str | Path, sheets: Sequence[Sheet]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    first = True
    for sheet in sheets:
        worksheet = workbook.active if first else workbook.create_sheet()
        assert worksheet is not None
        first = False
        worksheet.title = sheet.title[:31]
        worksheet.append(list(sheet.headers))
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            worksheet.append(list(row))
    workbook.save(path)


def write_csv(path: str | Path, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
