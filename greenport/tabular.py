"""Reading and writing tables (CSV and Excel) at the edges: imports, templates, exports.

Services never see files: the CLI and the web app read a file with :func:`read_table` and hand
its rows (with the row number a user sees in Excel, header = row 1) to a service.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from greenport.kernel.cells import csv_cell, from_csv_cell, reads_as_formula
from greenport.kernel.errors import InvalidInput
from greenport.kernel.fields import ColumnSpec
from greenport.kernel.labels import Language, table


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


#: Defaults of :class:`ImportLimits` (settings GREENPORT_IMPORT_MAX_BYTES, _MAX_ROWS, _MAX_CELL_CHARS).
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_CELL_CHARS = 10_000

#: How much larger than the upload an .xlsx may be once unzipped: sheet XML compresses 5-10 times,
#: a zip bomb 100-1000 times. The declared sizes of the members are checked before anything is
#: unpacked (Python's zipfile never reads past a member's declared size).
XLSX_MAX_EXPANSION = 10


class ImportSettings(Protocol):
    """The settings an entry point reads the limits from (``greenport.config.Settings`` has them)."""

    import_max_bytes: int
    import_max_rows: int
    import_max_cell_chars: int


@dataclass(frozen=True)
class ImportLimits:
    """Bounds of one imported file; the entry points fill them from the ``GREENPORT_IMPORT_*`` settings.

    ``max_bytes`` [bytes] caps the file (and, times :data:`XLSX_MAX_EXPANSION`, an .xlsx unzipped),
    ``max_rows`` the data rows below the header (blank rows count: they cost reading too),
    ``max_cell_chars`` [characters] one cell.
    """

    max_bytes: int = DEFAULT_MAX_BYTES
    max_rows: int = DEFAULT_MAX_ROWS
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS

    @classmethod
    def from_settings(cls, settings: ImportSettings) -> ImportLimits:
        """The limits of the ``GREENPORT_IMPORT_*`` settings (:class:`greenport.config.Settings`)."""
        return cls(
            max_bytes=settings.import_max_bytes,
            max_rows=settings.import_max_rows,
            max_cell_chars=settings.import_max_cell_chars,
        )

    @property
    def max_unpacked_bytes(self) -> int:
        return self.max_bytes * XLSX_MAX_EXPANSION

    def check_size(self, size: int, name: str) -> None:
        """Refuse a file of ``size`` bytes above ``max_bytes`` (before it is read)."""
        if size > self.max_bytes:
            raise InvalidInput(
                f"{name} is {_mib(size)}; at most {_mib(self.max_bytes)} can be imported "
                "(GREENPORT_IMPORT_MAX_BYTES): split the file",
                field="file",
                limit="GREENPORT_IMPORT_MAX_BYTES",
            )

    def check_row(self, number: int, name: str) -> None:
        """Refuse the file when sheet row ``number`` (header = 1) is past ``max_rows`` data rows."""
        if number > self.max_rows + 1:
            raise InvalidInput(
                f"{name} has more than {self.max_rows:,} data rows (GREENPORT_IMPORT_MAX_ROWS); "
                f"reading stopped at row {number:,}: split the file",
                field="file",
                row=number,
                limit="GREENPORT_IMPORT_MAX_ROWS",
            )

    def check_cell(self, value: Any, number: int, column: str, name: str) -> None:
        """Refuse a text cell longer than ``max_cell_chars``; the cell is not echoed."""
        if isinstance(value, str) and len(value) > self.max_cell_chars:
            raise InvalidInput(
                f"{name}: the cell in row {number}, column {column!r} holds {len(value):,} characters; "
                f"at most {self.max_cell_chars:,} are allowed (GREENPORT_IMPORT_MAX_CELL_CHARS)",
                field="file",
                row=number,
                column=column,
                limit="GREENPORT_IMPORT_MAX_CELL_CHARS",
            )


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def read_table(
    path: str | Path,
    *,
    sheet: str | None = None,
    data: bytes | None = None,
    limits: ImportLimits | None = None,
) -> Table:
    """Read a CSV (UTF-8, with or without BOM, or GB18030) or XLSX file into a :class:`Table`.

    Blank rows are skipped; cells are stripped strings for CSV and native values for Excel. The
    ``'`` that CSV exports put before formula-like text (:func:`write_csv_rows`) is taken off.
    ``data`` gives the file's bytes when it came from an upload (``path`` then only names it).
    Every row of the file is read (an .xlsx's declared ``<dimension>`` is not trusted) or the
    file is refused with :class:`InvalidInput` naming the file, and the row, column or limit:
    a file, row count or cell beyond ``limits`` is refused as soon as the bound is passed, and a
    value in a column without a header is refused rather than dropped.
    """
    limits = limits or ImportLimits()
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".csv", ".txt", ""):
        raise InvalidInput(f"unsupported file type {suffix!r}: give .csv or .xlsx", field="file")
    if data is None:
        raw = _read_file(path, limits)
    else:
        limits.check_size(len(data), path.name)
        raw = data
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(raw, path.name, sheet, limits)
    return _read_csv(raw, path.name, limits)


def _read_file(path: Path, limits: ImportLimits) -> bytes:
    """The bytes of ``path`` (its size checked before it is read), or :class:`InvalidInput`
    saying in one line why it cannot be read."""
    if not path.exists():
        raise InvalidInput(f"no such file: {path}", field="file")
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder, not a file", field="file")
    try:
        limits.check_size(path.stat().st_size, path.name)
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", field="file") from exc


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("file is neither UTF-8 nor GB18030 text", field="file")


def _too_many_cells(name: str, number: int, cells: int, headers: int) -> InvalidInput:
    return InvalidInput(
        f"{name}: row {number} has {cells} cells but the header has {headers}",
        row=number,
        field="file",
    )


def _read_csv(raw: bytes, name: str, limits: ImportLimits) -> Table:
    reader = csv.reader(io.StringIO(_decode(raw)))
    try:
        header_row = next(reader)
    except StopIteration:
        raise InvalidInput(f"{name} is empty: it needs a header row", field="file") from None
    except csv.Error as exc:
        raise InvalidInput(f"{name} is not readable CSV: {exc}", field="file", row=1) from exc
    headers = [_clean_header(h) for h in header_row]
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    number = 1
    try:
        for number, values in enumerate(reader, start=2):
            limits.check_row(number, name)
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(headers):
                raise _too_many_cells(name, number, len(values), len(headers))
            values = values + [""] * (len(headers) - len(values))
            record: dict[str, Any] = {}
            for header, value in zip(headers, values, strict=True):
                limits.check_cell(value, number, header, name)
                if header:
                    record[header] = from_csv_cell(value.strip())
            rows.append(record)
            numbers.append(number)
    except csv.Error as exc:  # e.g. a NUL byte or a field larger than the csv module allows
        raise InvalidInput(f"{name} is not readable CSV after row {number}: {exc}", field="file") from exc
    return Table(headers=[h for h in headers if h], rows=rows, row_numbers=numbers, source=name)


def _check_unpacked_size(raw: bytes, name: str, limits: ImportLimits) -> None:
    """Refuse an .xlsx whose members declare more than ``limits.max_unpacked_bytes`` in all."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise InvalidInput(f"{name} is not a readable .xlsx file: {exc}", field="file") from exc
    if unpacked > limits.max_unpacked_bytes:
        raise InvalidInput(
            f"{name} unzips to {_mib(unpacked)}; at most {_mib(limits.max_unpacked_bytes)} "
            f"({XLSX_MAX_EXPANSION} x GREENPORT_IMPORT_MAX_BYTES) can be imported",
            field="file",
            limit="GREENPORT_IMPORT_MAX_BYTES",
        )


def _read_xlsx(raw: bytes, name: str, sheet: str | None, limits: ImportLimits) -> Table:
    from openpyxl import load_workbook

    _check_unpacked_size(raw, name, limits)
    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise InvalidInput(f"{name} is not a readable .xlsx file: {exc}", field="file") from exc
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise InvalidInput(
                f"{name} has no sheet {sheet!r}; its sheets: {', '.join(workbook.sheetnames)}",
                field="sheet",
            )
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        return _read_worksheet(worksheet, name, limits)
    finally:
        workbook.close()


def _read_worksheet(worksheet: Any, name: str, limits: ImportLimits) -> Table:
    """Stream the rows of a read-only worksheet, row by row, checking ``limits`` as it goes."""
    # A read-only sheet stops at the size its <dimension> element declares, which any program
    # writing the file may get wrong (rows past it were silently dropped): read to the last row.
    worksheet.reset_dimensions()
    where = f"{name}, sheet {worksheet.title!r}"
    headers: list[str] | None = None
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    number = 0
    try:
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            limits.check_row(number, where)
            if headers is None:
                headers = [_clean_header(h) for h in values]
                continue
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            if len(values) > len(headers) and any(v is not None and v != "" for v in values[len(headers) :]):
                raise _too_many_cells(where, number, len(values), len(headers))
            record: dict[str, Any] = {}
            for header, value in zip(headers, values, strict=False):
                limits.check_cell(value, number, header, where)
                if header:
                    record[header] = (
                        "" if value is None else value.strip() if isinstance(value, str) else value
                    )
            rows.append(record)
            numbers.append(number)
    except InvalidInput:
        raise
    except Exception as exc:  # broken sheet XML: ParseError, KeyError, ValueError, ... by openpyxl
        after = f" after row {number}" if number else ""
        raise InvalidInput(f"{where} cannot be read{after}: {_short(str(exc))}", field="file") from exc
    if headers is None:
        raise InvalidInput(f"{where} is empty: it needs a header row", field="file")
    return Table(headers=[h for h in headers if h], rows=rows, row_numbers=numbers, source=name)


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass
class TemplateColumn:
    """One column of a data-entry template (填报模板).

    ``description`` (English) and ``help_zh`` (Chinese) tell the person filling in the file what
    to write; ``choices`` names the label table of :mod:`greenport.kernel.labels` whose names the
    column accepts (listed in the guide sheet in the template's language; only ``choice_codes``
    of it when given).
    """

    key: str
    label_zh: str
    unit: str = ""
    description: str = ""
    required: bool = True
    example: Any = None
    help_zh: str = ""
    choices: str = ""
    choice_codes: tuple[str, ...] = ()

    @classmethod
    def of(cls, column: ColumnSpec) -> TemplateColumn:
        """The template column of an import column."""
        return cls(
            column.key,
            column.label_zh,
            column.unit,
            column.description,
            column.required,
            help_zh=column.help_zh,
            choices=column.choices,
            choice_codes=column.choice_codes,
        )

    def header(self, lang: Language = "zh") -> str:
        """The header cell in ``lang`` (Chinese label or English key), with the unit in brackets."""
        name = self.label_zh if lang == "zh" else self.key
        return f"{name} ({self.unit})" if self.unit else name

    def guidance(self, lang: Language = "zh") -> str:
        """What to fill in, in ``lang``, with the accepted values of an enumerated column."""
        text = (self.help_zh or self.description) if lang == "zh" else (self.description or self.help_zh)
        entries = [
            e
            for e in (table(self.choices).values() if self.choices else [])
            if not self.choice_codes or e.code in self.choice_codes
        ]
        if entries and lang == "zh":
            text += "。可填：" + "、".join(e.zh for e in entries)
        elif entries:
            text += "; one of: " + ", ".join(f"{e.en} ({e.code})" for e in entries)
        return text


#: Words of a template's guide sheet, per language.
_GUIDE = {
    "zh": {
        "sheet": "数据",
        "guide": "填写说明",
        "head": ["列名", "必填", "单位", "填写说明"],
        "yes": "必填",
        "no": "选填",
    },
    "en": {
        "sheet": "data",
        "guide": "guide",
        "head": ["column", "required", "unit", "what to fill in"],
        "yes": "required",
        "no": "optional",
    },
}


@dataclass
class Sheet:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)


def text_cell(cell: Any, value: Any) -> Any:
    """Put ``value`` into the openpyxl ``cell``; text that would run as a formula is stored as text.

    openpyxl turns any string starting with ``=`` into a formula; such text (and any text a
    spreadsheet evaluates, see :mod:`greenport.kernel.cells`) is typed as a string and marked with
    Excel's quote prefix, so the cell shows the text exactly and stays text when edited.
    """
    cell.value = value
    if reads_as_formula(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def write_template(
    path: str | Path,
    columns: Sequence[TemplateColumn],
    *,
    title: str,
    notes: str = "",
    lang: Language = "zh",
    key_headers: bool = False,
) -> None:
    """Write an Excel template in ``lang``: a data sheet whose header row names each column (with
    its unit; required columns in yellow, each with a comment saying what to fill in), and a guide
    sheet with the title, ``notes`` and every column explained. A file filled in from it imports
    back whatever the language (:func:`greenport.kernel.fields.keyed_rows`). ``key_headers`` heads
    the data sheet with the column keys (with units) whatever ``lang``, for readers that take keys
    only (an indicator system's table)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    words = _GUIDE[lang]
    workbook = Workbook()
    data = workbook.active
    assert data is not None
    data.title = words["sheet"]
    for index, column in enumerate(columns, start=1):
        header = column.header("en" if key_headers else lang)
        cell = text_cell(data.cell(row=1, column=index), header)
        cell.font = Font(bold=True)
        if column.required:
            cell.fill = PatternFill("solid", fgColor="FFF2CC")
        cell.comment = Comment(column.guidance(lang), "GreenPort")
        data.column_dimensions[cell.column_letter].width = max(14, 2 * len(header) + 2)
        if column.example is not None:
            text_cell(data.cell(row=2, column=index), column.example)
    guide = workbook.create_sheet(words["guide"])
    lines: list[list[Any]] = [[title], [notes]] if notes else [[title]]
    lines += [[], list(words["head"])]
    lines += [
        [
            column.header(lang),
            words["yes"] if column.required else words["no"],
            column.unit,
            column.guidance(lang),
        ]
        for column in columns
    ]
    for number, line in enumerate(lines, start=1):
        for index, value in enumerate(line, start=1):
            text_cell(guide.cell(row=number, column=index), value)
    guide.column_dimensions["A"].width = 28
    guide.column_dimensions["D"].width = 90
    workbook.save(path)


def write_xlsx(path: str | Path | IO[bytes], sheets: Sequence[Sheet]) -> None:
    """Write ``sheets`` to an .xlsx file (a path or a binary stream), header row in bold; text
    that a spreadsheet would run as a formula is written as text (:func:`text_cell`)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    first = True
    for sheet in sheets:
        worksheet = workbook.active if first else workbook.create_sheet()
        assert worksheet is not None
        first = False
        worksheet.title = sheet.title[:31]
        for column, header in enumerate(sheet.headers, start=1):
            text_cell(worksheet.cell(row=1, column=column), header).font = Font(bold=True)
        for number, row in enumerate(sheet.rows, start=2):
            for column, value in enumerate(row, start=1):
                text_cell(worksheet.cell(row=number, column=column), value)
    workbook.save(path)


def write_csv_rows(
    handle: IO[str], headers: Sequence[str], rows: Iterable[Sequence[Any]], *, lineterminator: str = "\r\n"
) -> None:
    """Write a header and ``rows`` as CSV to ``handle``; formula-like text gets OWASP's ``'`` prefix
    (:func:`greenport.kernel.cells.csv_cell`), numbers are written as they are."""
    writer = csv.writer(handle, lineterminator=lineterminator)
    writer.writerow([csv_cell(h) for h in headers])
    writer.writerows([csv_cell(v) for v in row] for row in rows)


def write_csv(path: str | Path, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write a CSV file (UTF-8 with BOM, which Excel needs to show Chinese) through :func:`write_csv_rows`."""
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        write_csv_rows(handle, headers, rows)
