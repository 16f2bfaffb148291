"""Reading typed values out of one raw record, collecting *every* problem with its field name.

Forms, API bodies and spreadsheet rows all arrive as ``{field: raw value}``. :class:`Fields`
turns each value into its type (text, number, integer, enum member, boolean) and, instead of
stopping at the first bad value, records a :class:`Problem` per field, so that an importer can
report all rows and all columns at once and a service can name the field in its error.

Empty cells (``None``, ``""``, whitespace, NaN) count as missing.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from greenport.kernel import labels
from greenport.kernel.errors import Conflict, InvalidInput, RowError, count_bad, listed_errors

E = TypeVar("E", bound=enum.Enum)

_TRUE = {"1", "true", "yes", "y", "t", "是", "√"}
_FALSE = {"0", "false", "no", "n", "f", "否", "×"}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one field. ``conflict`` marks a clash with stored data (a duplicate)."""

    field: str
    message: str
    value: Any = None
    conflict: bool = False

    def to_row_error(self, row: int) -> RowError:
        return RowError(row=row, column=self.field, message=self.message, value=_plain(self.value))


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def is_missing(value: Any) -> bool:
    """True for ``None``, empty or blank strings and NaN."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    return isinstance(value, float) and math.isnan(value)


def raise_problems(problems: Iterable[Problem], *, what: str = "input") -> None:
    """Raise for ``problems`` (no-op when empty): :class:`Conflict` when every problem is a clash
    with stored data, else :class:`InvalidInput`; the first problem names the field, and all of
    them are in ``details["problems"]``."""
    found = list(problems)
    if not found:
        return
    first = found[0]
    listed = [{"field": p.field, "error": p.message, "value": _plain(p.value)} for p in found]
    message = first.message if len(found) == 1 else f"{first.message} (and {len(found) - 1} more problem(s))"
    error_class = Conflict if all(p.conflict for p in found) else InvalidInput
    raise error_class(f"invalid {what}: {message}", field=first.field, problems=listed)


#: Cell texts that mean "no value" in an indicator table (statistical yearbooks write ``-`` or ``—``).
MISSING_MARKS: frozenset[str] = frozenset({"", "-", "—", "na", "n/a", "nan"})


def cell_number(value: Any, *, booleans: bool = False) -> float | None:
    """A table cell as a number: the one reading of "a cell of an indicator table" for every caller.

    ``None``, NaN and the texts of :data:`MISSING_MARKS` are missing (None). Text may carry thousands
    separators (``"1,234.5"``) and a trailing ``%`` (``"12.5%"`` is 12.5: indicator units already say
    per cent). A boolean is refused unless ``booleans`` (then True/False are 1/0, for yes/no
    indicators given from code). Raises :class:`ValueError` for text that is not a number and for an
    infinite value, so the caller can name the unit, row and column.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        if not booleans:
            raise ValueError("a boolean is not a number")
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().replace(",", "")
        if text.lower() in MISSING_MARKS:
            return None
        number = float(text.removesuffix("%"))
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise ValueError("infinite")
    return number


class Fields:
    """Typed reads from one raw record; bad values become :attr:`problems` instead of exceptions.

    Each reader returns the parsed value, or None when the value is missing or invalid (a
    problem is recorded for a required missing value and for every invalid one).
    """

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.problems: list[Problem] = []

    # -- bookkeeping -------------------------------------------------------------------------
    def add(self, field: str, message: str, value: Any = None, *, conflict: bool = False) -> None:
        self.problems.append(Problem(field, message, value, conflict))

    def has_problem(self, field: str) -> bool:
        return any(p.field == field for p in self.problems)

    def get(self, field: str) -> Any:
        value = self.raw.get(field)
        return None if is_missing(value) else value

    def _missing(self, field: str, required: bool) -> None:
        if required:
            self.add(field, "is required", None)

    # -- readers -----------------------------------------------------------------------------
    def text(self, field: str, *, required: bool = True, max_length: int | None = None) -> str | None:
        value = self.get(field)
        if value is None:
            self._missing(field, required)
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # Excel turns "0510" style ids into numbers; ids are handled by callers
        text = str(value).strip()
        if max_length is not None and len(text) > max_length:
            self.add(field, f"is {len(text)} characters long, at most {max_length} allowed", text)
            return None
        return text

    def number(
        self,
        field: str,
        *,
        required: bool = True,
        minimum: float | None = None,
        maximum: float | None = None,
        unit: str = "",
    ) -> float | None:
        value = self.get(field)
        if value is None:
            self._missing(field, required)
            return None
        if isinstance(value, bool):
            self.add(field, "must be a number", value)
            return None
        try:
            number = float(str(value).strip().replace(",", "")) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            self.add(field, "must be a number", value)
            return None
        if not math.isfinite(number):
            self.add(field, "must be a finite number", value)
            return None
        suffix = f" {unit}" if unit else ""
        if minimum is not None and number < minimum:
            self.add(field, f"must be >= {minimum:g}{suffix}, got {number:g}", value)
            return None
        if maximum is not None and number > maximum:
            self.add(field, f"must be <= {maximum:g}{suffix}, got {number:g}", value)
            return None
        return number

    def integer(
        self, field: str, *, required: bool = True, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        value = self.get(field)
        if value is None:
            self._missing(field, required)
            return None
        if isinstance(value, bool):
            self.add(field, "must be a whole number", value)
            return None
        try:
            number = float(str(value).strip()) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            self.add(field, "must be a whole number", value)
            return None
        if not math.isfinite(number) or not number.is_integer():
            self.add(field, "must be a whole number", value)
            return None
        whole = int(number)
        if minimum is not None and whole < minimum:
            self.add(field, f"must be >= {minimum}, got {whole}", value)
            return None
        if maximum is not None and whole > maximum:
            self.add(field, f"must be <= {maximum}, got {whole}", value)
            return None
        return whole

    def choice(
        self,
        field: str,
        enum_class: type[E],
        *,
        required: bool = True,
        allowed: Iterable[E] | None = None,
    ) -> E | None:
        value = self.get(field)
        if value is None:
            self._missing(field, required)
            return None
        options = list(allowed) if allowed is not None else list(enum_class)
        kind = labels.kind_of(enum_class)
        if isinstance(value, enum_class):
            member: E | None = value
        else:
            # the code, or its Chinese or English name (kernel/data/labels/<kind>.csv)
            text = str(value).strip()
            code = (labels.code_for(kind, text) if kind else None) or text.lower()
            member = next((m for m in enum_class if str(m.value).lower() == code), None)
        if member is None or member not in options:
            codes = [str(m.value) for m in options]
            names = (labels.accepted(kind, codes) if kind else "") or ", ".join(codes)
            self.add(field, f"must be one of: {names}", value)
            return None
        return member

    def named(
        self, field: str, kind: str, *, required: bool = True, allowed: Iterable[str] | None = None
    ) -> str | None:
        """The code of label table ``kind`` that the value names: the code itself, its Chinese or
        English name or an alternative (``kernel/data/labels/<kind>.csv``); a whole number read from
        a spreadsheet (``3.0``) counts as its digits. A value naming no code of ``allowed`` (default:
        the whole table) is a problem listing the accepted names."""
        value = self.get(field)
        if value is None:
            self._missing(field, required)
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        code = labels.code_for(kind, str(value))
        codes = list(allowed) if allowed is not None else list(labels.table(kind))
        if code is None or code not in codes:
            self.add(field, f"must be one of: {labels.accepted(kind, codes)}", value)
            return None
        return code

    def boolean(self, field: str, *, required: bool = False, default: bool | None = None) -> bool | None:
        value = self.get(field)
        if value is None:
            self._missing(field, required)
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        # a yes/no column with names of its own (above_scale: 规上/规下), kernel/data/labels/<kind>.csv
        kind = labels.kind_of(field)
        named = labels.code_for(kind, text) if kind else None
        if named is not None:
            return named == "1"
        own = labels.accepted(kind) if kind else ""
        self.add(field, f"must be true or false (1/0, yes/no, 是/否{', ' + own if own else ''})", value)
        return default

    def forbid(self, field: str, reason: str) -> None:
        """Record a problem when ``field`` has a value although ``reason`` says it must be empty."""
        value = self.get(field)
        if value is not None:
            self.add(field, f"must be empty {reason}", value)


# --- tabular imports -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of an import file (and of its template and export).

    ``key`` is the English header and the field name; ``label_zh`` the Chinese header; ``unit`` the
    unit shown after either; ``description`` says what to fill in, in English, and ``help_zh`` the
    same in Chinese, both for the person filling in the file; ``choices`` names the label table of
    :mod:`greenport.kernel.labels` whose codes the column takes (listed in the template, shown by
    name in an export), ``choice_codes`` the codes of that table the column accepts when not all of
    them (a target water class is Ⅰ-Ⅴ类, not 劣Ⅴ类).
    """

    key: str
    label_zh: str
    unit: str = ""
    description: str = ""
    required: bool = True
    help_zh: str = ""
    choices: str = ""
    choice_codes: tuple[str, ...] = ()

    def header(self, lang: str = "zh") -> str:
        """The header cell of this column in ``lang``: name and, in brackets, the unit."""
        name = self.label_zh if lang == "zh" else self.key
        return f"{name} ({self.unit})" if self.unit else name


def _names(columns: Iterable[ColumnSpec]) -> dict[str, str]:
    names: dict[str, str] = {}
    for column in columns:
        names[column.key.casefold()] = column.key
        names[column.label_zh.casefold()] = column.key
    return names


def header_keys(headers: Iterable[str], columns: Iterable[ColumnSpec]) -> dict[str, str]:
    """Header as written in the file -> column key, for headers naming a column by its key or by
    its Chinese label (the unit in brackets is already taken off by the reader); others unchanged."""
    names = _names(columns)
    return {header: names.get(header.strip().casefold(), header) for header in headers}


def keyed_rows(
    rows: Iterable[tuple[int, Mapping[str, Any]]], columns: Iterable[ColumnSpec]
) -> Iterable[tuple[int, Mapping[str, Any]]]:
    """``rows`` with each cell under its column key, whether the file's header named the column by
    its key or by its Chinese label (:func:`header_keys`)."""
    names = _names(columns)
    for number, raw in rows:
        yield number, {names.get(str(name).strip().casefold(), name): value for name, value in raw.items()}


def as_written(errors: list[RowError], keys: Mapping[str, str]) -> list[RowError]:
    """``errors`` naming each column as the file's header does (中文 header -> 中文 in the error)."""
    written = {key: header for header, key in keys.items()}
    return [
        RowError(e.row, written.get(e.column, e.column), e.message, e.value) if e.column in written else e
        for e in errors
    ]


def check_header(headers: Iterable[str], columns: Iterable[ColumnSpec]) -> list[RowError]:
    """Row-1 errors for required columns missing from a file's header (named by key or Chinese label)."""
    present = set(header_keys(headers, columns).values())
    return [
        RowError(
            row=1,
            column=c.key,
            message=f"required column is missing from the header row (header {c.label_zh} or {c.key})",
        )
        for c in columns
        if c.required and c.key not in present
    ]


@dataclass
class ImportOutcome:
    """What an import did: rows read, rows written, and every row error (row, column, reason)."""

    table: str
    rows_read: int
    written: int
    errors: list[RowError]
    source: str = ""

    @property
    def invalid_rows(self) -> int:
        return count_bad(self.errors)[0]

    @property
    def invalid_cells(self) -> int:
        """Cells (row, column) with an error: one row may have several."""
        return count_bad(self.errors)[1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "source": self.source,
            "rows_read": self.rows_read,
            "written": self.written,
            "invalid_rows": self.invalid_rows,
            "invalid_cells": self.invalid_cells,
            **listed_errors(self.errors),
        }
