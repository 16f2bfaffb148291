"""One small exception family for the domain; each boundary (web, CLI, ingest) translates it.

Every error names *what* was wrong and *where* (``field``, ``row``, ``column``) so that a user
can mend the input. ``status_hint`` is the HTTP status a web boundary should answer with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    status_hint: int = 400

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        row: int | None = None,
        column: str | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.row = row
        self.column = column
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The canonical error body: ``{"error", "field", "row", "column", ...details}``."""
        body: dict[str, Any] = {"error": self.message, "type": type(self).__name__}
        for key in ("field", "row", "column"):
            value = getattr(self, key)
            if value is not None:
                body[key] = value
        body.update(self.details)
        return body

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.field is not None and self.column is None:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class InvalidInput(DomainError):
    """A value that breaks a rule of its format (a bad code, a number out of range, ...)."""

    status_hint = 422


class NotFound(DomainError):
    status_hint = 404


class Conflict(DomainError):
    """The input is valid but clashes with what is stored (duplicate key, stale version)."""

    status_hint = 409


class RuleViolation(DomainError):
    """A business rule refuses the action (e.g. a ledger would go negative)."""

    status_hint = 422


class PermissionDenied(DomainError):
    status_hint = 403


#: Row errors an error body lists (the rest are counted in ``error_count``): a bad 100,000-row
#: file must not answer with megabytes of JSON. The CLI's ``--report`` keeps them all.
ERRORS_SHOWN = 100

#: Characters of an offending value echoed back in an error body (then "…").
VALUE_ECHO_CHARS = 80


def echo(value: Any) -> Any:
    """``value`` as echoed in an error body: text cut to :data:`VALUE_ECHO_CHARS` characters + "…"."""
    if isinstance(value, str) and len(value) > VALUE_ECHO_CHARS:
        return value[:VALUE_ECHO_CHARS] + "…"
    return value


def listed_errors(errors: list[RowError]) -> dict[str, Any]:
    """The first :data:`ERRORS_SHOWN` of ``errors`` as dicts, with the total count."""
    return {
        "errors": [e.to_dict() for e in errors[:ERRORS_SHOWN]],
        "error_count": len(errors),
        "errors_shown": min(len(errors), ERRORS_SHOWN),
    }


def count_bad(errors: list[RowError]) -> tuple[int, int]:
    """``(rows, cells)``: how many rows and how many cells (row, column) ``errors`` concern.

    One row with nine bad values is one row and nine cells, not "nine invalid rows".
    """
    return len({e.row for e in errors}), len({(e.row, e.column) for e in errors})


def describe_bad(errors: list[RowError]) -> str:
    """``errors`` counted for a reader: "1 row with 9 bad cells", "3 rows with 4 bad cells"."""
    rows, cells = count_bad(errors)
    return f"{rows} row{'' if rows == 1 else 's'} with {cells} bad cell{'' if cells == 1 else 's'}"


@dataclass(frozen=True)
class RowError:
    """One problem of one input row, as reported by importers (1-based row as the user sees it)."""

    row: int
    column: str
    message: str
    value: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "error": self.message, "value": echo(self.value)}


@dataclass
class InvalidRows(InvalidInput):
    """A file whose rows break rules; carries every row error, not just the first."""

    errors: list[RowError] = field(default_factory=list)

    def __init__(self, errors: list[RowError], *, source: str = "") -> None:
        self.errors = list(errors)
        first = errors[0] if errors else None
        summary = f"{describe_bad(self.errors)} in {source or 'input'}"
        if first is not None:
            summary += f"; first: row {first.row}, column {first.column!r}: {first.message}"
        super().__init__(summary, row=first.row if first else None, column=first.column if first else None)

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        body["invalid_rows"], body["invalid_cells"] = count_bad(self.errors)
        body.update(listed_errors(self.errors))
        return body
