"""Case categories as data (``data/categories.csv``): the kinds of environmental problem a case
is about, the department that handles each, its default severity and its Open311 GeoReport v2
service (response-workflow.md §4). Loaded and checked at import; a bad row names its line and
column."""

from __future__ import annotations

import csv
from pathlib import Path

from greenport.cases.deadlines import deadline_classes
from greenport.cases.model import Category
from greenport.kernel.errors import InvalidInput, InvalidRows, RowError, echo
from greenport.notifications.model import Severity

CATEGORIES_FILE = Path(__file__).with_name("data") / "categories.csv"

COLUMNS = (
    "code",
    "name_zh",
    "name_en",
    "department",
    "default_severity",
    "deadline_class",
    "service_code",
    "service_group",
    "keywords",
    "source",
)


def load_categories(path: Path = CATEGORIES_FILE) -> dict[str, Category]:
    """The categories of ``path`` by code, in file order. Every column is required; ``code`` and
    ``service_code`` are unique; ``default_severity`` is one of :class:`Severity`.
    Raises :class:`InvalidRows` listing every bad cell by its line in the file."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [(number, line) for number, line in enumerate(handle, start=1) if not line.startswith("#")]
    reader = csv.DictReader(line for _, line in lines)
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise InvalidInput(f"{path.name}: the columns are {', '.join(COLUMNS)}", column="header")
    errors: list[RowError] = []
    categories: dict[str, Category] = {}
    service_codes: dict[str, int] = {}
    lines_of: dict[str, int] = {}
    for (line, _), row in zip(lines[1:], reader, strict=True):
        cells = {column: (row.get(column) or "").strip() for column in COLUMNS}
        bad = [RowError(line, column, "required", "") for column in COLUMNS if not cells[column]]
        if cells["default_severity"] and cells["default_severity"] not in set(Severity):
            bad.append(
                RowError(line, "default_severity", f"one of {', '.join(Severity)}", cells["default_severity"])
            )
        if cells["deadline_class"] and cells["deadline_class"] not in deadline_classes():
            bad.append(
                RowError(
                    line,
                    "deadline_class",
                    f"one of {', '.join(sorted(deadline_classes()))} (deadlines.csv)",
                    echo(cells["deadline_class"]),
                )
            )
        if cells["code"] in lines_of:
            bad.append(
                RowError(line, "code", f"already used on line {lines_of[cells['code']]}", echo(cells["code"]))
            )
        if cells["service_code"] in service_codes:
            earlier = service_codes[cells["service_code"]]
            bad.append(
                RowError(line, "service_code", f"already used on line {earlier}", cells["service_code"])
            )
        if bad:
            errors.extend(bad)
            continue
        lines_of[cells["code"]] = line
        service_codes[cells["service_code"]] = line
        categories[cells["code"]] = Category(
            code=cells["code"],
            name_zh=cells["name_zh"],
            name_en=cells["name_en"],
            department=cells["department"],
            default_severity=Severity(cells["default_severity"]),
            deadline_class=cells["deadline_class"],
            service_code=cells["service_code"],
            service_group=cells["service_group"],
            keywords=tuple(k.strip() for k in cells["keywords"].split("|") if k.strip()),
            source=cells["source"],
        )
    if errors:
        raise InvalidRows(errors, source=path.name)
    return categories


#: The shipped categories, by code.
CATEGORIES: dict[str, Category] = load_categories()
