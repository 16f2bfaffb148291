"""Which alarms open a case, as data (``data/alarm_cases.csv``): pure, loaded and checked at import.

An alarm that has fired opens one case when the first row matching its rule, kind and site kind
has ``min_severity`` at or below the alarm's severity (:func:`category_for_alarm`); a real-time
early warning or an info alarm opens none, and the city-wide heavy-pollution alarm (no site) none
either: a case is owned by the grid cell of a place.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from greenport.cases.categories import CATEGORIES
from greenport.cases.model import AlarmCaseRule
from greenport.kernel.errors import InvalidInput, InvalidRows, RowError, echo
from greenport.notifications.model import Severity

ALARM_CASES_FILE = Path(__file__).with_name("data") / "alarm_cases.csv"
COLUMNS = ("rule", "kind", "site_kind", "min_severity", "category", "source")
ANY = "*"


def load_alarm_case_rules(path: Path = ALARM_CASES_FILE) -> tuple[AlarmCaseRule, ...]:
    """The rows of ``path`` in file order; :class:`InvalidRows` names every bad cell by line and column."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [(number, line) for number, line in enumerate(handle, start=1) if not line.startswith("#")]
    reader = csv.DictReader(line for _, line in lines)
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise InvalidInput(f"{path.name}: the columns are {', '.join(COLUMNS)}", column="header")
    rules: list[AlarmCaseRule] = []
    errors: list[RowError] = []
    for (line, _), row in zip(lines[1:], reader, strict=True):
        cells = {column: (row.get(column) or "").strip() for column in COLUMNS}
        bad = [RowError(line, column, "required", "") for column in COLUMNS if not cells[column]]
        if cells["min_severity"] and cells["min_severity"] not in set(Severity):
            bad.append(
                RowError(line, "min_severity", f"one of {', '.join(Severity)}", echo(cells["min_severity"]))
            )
        if cells["category"] and cells["category"] not in CATEGORIES:
            bad.append(
                RowError(line, "category", "not a category of categories.csv", echo(cells["category"]))
            )
        if bad:
            errors.extend(bad)
            continue
        rules.append(
            AlarmCaseRule(
                rule=cells["rule"],
                kind=cells["kind"],
                site_kind=cells["site_kind"],
                min_severity=Severity(cells["min_severity"]),
                category=cells["category"],
                source=cells["source"],
                row=line,
            )
        )
    if errors:
        raise InvalidRows(errors, source=path.name)
    return tuple(rules)


ALARM_CASE_RULES: tuple[AlarmCaseRule, ...] = load_alarm_case_rules()


def category_for_alarm(
    rule_id: str,
    kind: str,
    site_kind: str,
    severity: Severity,
    rules: Sequence[AlarmCaseRule] = ALARM_CASE_RULES,
) -> str | None:
    """The category of the case an alarm opens, or None when it opens none (first matching row)."""
    for row in rules:
        if (
            row.rule not in (ANY, rule_id)
            or row.kind not in (ANY, kind)
            or row.site_kind not in (ANY, site_kind)
        ):
            continue
        return row.category if severity.rank >= row.min_severity.rank else None
    return None
