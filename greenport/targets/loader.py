"""Reading plan targets from a CSV table: ``indicator,year,value,unit,responsible_unit,source``.

The shipped table is ``greenport/targets/data/plan_targets.csv``; every row names its source
(a government work report and its seed figure, or the standard that stands in for a target).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

from greenport.kernel.errors import InvalidRows, RowError
from greenport.kernel.fields import cell_number
from greenport.targets.model import PlanTarget

#: Where the shipped plan targets live (package data).
PLAN_TARGETS_FILE = "data/plan_targets.csv"

COLUMNS = ("indicator", "year", "value", "unit", "responsible_unit", "source")


def read_plan_targets(text: str, *, source: str) -> tuple[PlanTarget, ...]:
    """Parse a plan-target table; every bad cell is reported by row and column (InvalidRows)."""
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidRows(
            [RowError(1, c, "required column is missing from the header row") for c in missing], source=source
        )
    targets: list[PlanTarget] = []
    errors: list[RowError] = []
    for number, row in enumerate(reader, start=2):
        indicator = (row["indicator"] or "").strip()
        if not indicator:
            errors.append(RowError(number, "indicator", "is required"))
        try:
            year = int((row["year"] or "").strip())
        except ValueError:
            errors.append(RowError(number, "year", "must be a year such as 2023", row["year"]))
            continue
        try:
            value = cell_number(row["value"])
        except ValueError:
            value = None
        if value is None:
            errors.append(RowError(number, "value", "must be a number", row["value"]))
            continue
        if not (row["source"] or "").strip():
            errors.append(RowError(number, "source", "every target names its source"))
        targets.append(
            PlanTarget(
                indicator=indicator,
                year=year,
                value=value,
                unit=(row["unit"] or "").strip(),
                responsible_unit=(row["responsible_unit"] or "").strip(),
                source=(row["source"] or "").strip(),
            )
        )
    if errors:
        raise InvalidRows(errors, source=source)
    return tuple(targets)


@cache
def shipped_plan_targets() -> tuple[PlanTarget, ...]:
    """The plan targets shipped with GreenPort (``greenport/targets/data/plan_targets.csv``)."""
    text = resources.files("greenport.targets").joinpath(PLAN_TARGETS_FILE).read_text("utf-8")
    return read_plan_targets(text, source=f"greenport/targets/{PLAN_TARGETS_FILE}")
