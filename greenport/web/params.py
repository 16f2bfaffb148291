"""Bounded request parameters: the one home of every id, offset and instant a route accepts.

A number the database cannot hold (an id above SQL ``bigint`` / SQLite's signed 64-bit integer)
or an instant whose time-zone conversion overflows Python's ``datetime`` (year 1 minus a day)
used to reach SQL or arithmetic and answer 500. Declared here with bounds, FastAPI refuses them
first with 422 ``InvalidInput`` naming the field (``greenport.web.errors``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

#: Largest id a row can have: SQL ``bigint`` and SQLite ``INTEGER`` are signed 64-bit.
INT64_MAX = 2**63 - 1
#: Largest offset a listing accepts [rows]: far beyond any registry, small enough for every engine.
MAX_OFFSET = 1_000_000_000
#: Instants a route accepts: monitoring data of this platform lie well inside; the margin keeps
#: ``end - 400 days`` and the shift to Asia/Shanghai inside ``datetime``'s range (years 1-9999).
EARLIEST_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(2200, 1, 1, tzinfo=UTC)


def aware_instant(value: datetime) -> datetime:
    """``value`` if it carries a time zone and lies in [EARLIEST_INSTANT, LATEST_INSTANT), else
    ``ValueError`` (a 422 naming the parameter)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must carry a time zone (e.g. 2022-06-30T00:00:00+08:00)")
    if not EARLIEST_INSTANT <= value < LATEST_INSTANT:
        raise ValueError(f"must lie between {EARLIEST_INSTANT.date()} and {LATEST_INSTANT.date()}")
    return value


#: A row id in a path (site, enterprise, device, run): 1 .. 2**63-1.
RowId = Annotated[int, Path(ge=1, le=INT64_MAX, description="Row id (1 .. 2^63-1).")]
#: Rows to skip in a listing.
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description=f"Rows to skip (0 .. {MAX_OFFSET}).")]
#: An aware instant between 1970 and 2200 (ISO 8601 with offset).
Instant = Annotated[datetime, AfterValidator(aware_instant)]

#: A year of the same range, in a pattern (1970-2199).
_YEAR = r"(19[7-9]\d|2[01]\d\d)"
_MONTH = r"(0[1-9]|1[0-2])"
#: A calendar month ``YYYY-MM`` (1970-01 .. 2199-12).
Month = Annotated[str, Query(pattern=f"^{_YEAR}-{_MONTH}$", description="Month, YYYY-MM (1970-2199).")]
#: A year ``YYYY`` or a month ``YYYY-MM`` (1970 .. 2199).
YearOrMonth = Annotated[
    str, Query(pattern=f"^{_YEAR}(-{_MONTH})?$", description="Year YYYY or month YYYY-MM (1970-2199).")
]


__all__ = [
    "INT64_MAX",
    "MAX_OFFSET",
    "Instant",
    "Month",
    "Offset",
    "RowId",
    "YearOrMonth",
    "aware_instant",
]
