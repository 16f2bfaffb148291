"""Case deadlines and their escalation, as data (``data/deadlines.csv``), on the working-day calendar.

Published rules (shared/reference/response-workflow.md §3): the 12345 hotlines answer urgent
matters the same day, enquiries and requests for help within 3 working days, complaints and
suggestions within 13; a reminder notice (催办通知书) goes out the day after a missed deadline and a
written reprimand when 5 more working days pass; digital city management (CJ/T 315-2009) counts
working *hours* for urgent items (exposed rubbish: 4). Working days and hours come from a
:class:`~greenport.workdays.calendar.WorkCalendar` (N working days count from the day after
acceptance; a deadline of N working days ends at the close of office hours of day N).

Pure: no clock, no storage. A year without a calendar raises ``NoCalendar``.
"""

from __future__ import annotations

import csv
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources

from greenport.kernel.errors import InvalidInput
from greenport.kernel.time import CHINA_TZ, ensure_utc, local_date
from greenport.workdays.calendar import WorkCalendar
from greenport.workdays.model import NoCalendar

#: The wildcard of the ``category`` and ``severity`` columns.
ANY = "*"


class DeadlineUnit(enum.StrEnum):
    SAME_DAY = "same_day"
    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"


class Step(enum.StrEnum):
    """What happens around a deadline, in order."""

    REMIND = "remind"  # before the deadline
    NOTICE = "notice"  # 催办通知书, the day after a missed deadline
    REPRIMAND = "reprimand"  # written reprimand, 5 more working days later
    ESCALATE_TOWN = "escalate_town"
    ESCALATE_CITY = "escalate_city"


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    category: str
    severity: str
    amount: int  # [working days] or [working hours], by ``unit``
    unit: DeadlineUnit
    pause_on_extension: bool
    remind_before_hours: int  # [working hours]
    notice_after_days: int  # [working days]
    reprimand_after_days: int  # [working days] after the notice
    town_after_days: int  # [working days]
    city_after_days: int  # [working days]
    source: str


@cache
def deadline_rules() -> tuple[DeadlineRule, ...]:
    """The rows of ``data/deadlines.csv``."""
    text = resources.files("greenport.cases").joinpath("data", "deadlines.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return tuple(
        DeadlineRule(
            category=row["category"],
            severity=row["severity"],
            amount=int(row["amount"]),
            unit=DeadlineUnit(row["unit"]),
            pause_on_extension=row["pause_on_extension"] == "true",
            remind_before_hours=int(row["remind_before_hours"]),
            notice_after_days=int(row["notice_after_days"]),
            reprimand_after_days=int(row["reprimand_after_days"]),
            town_after_days=int(row["town_after_days"]),
            city_after_days=int(row["city_after_days"]),
            source=row["source"],
        )
        for row in csv.DictReader(lines)
    )


def deadline_classes() -> frozenset[str]:
    """The categories of ``deadlines.csv`` other than ``*`` (what a case category's
    ``deadline_class`` may name)."""
    return frozenset(rule.category for rule in deadline_rules() if rule.category != ANY)


def rule_for(category: str, severity: str) -> DeadlineRule:
    """The rule of a case: (category, severity), else (*, severity), else (category, *).

    An urgent case is answered the same day whatever its category. An unknown category is an
    error naming the known ones (never a silent default)."""
    rules = deadline_rules()
    for want_category, want_severity in ((category, severity), (ANY, severity), (category, ANY)):
        for rule in rules:
            if rule.category == want_category and rule.severity == want_severity:
                return rule
    known = sorted({r.category for r in rules if r.category != ANY})
    raise InvalidInput(
        f"no deadline rule for category {category!r} severity {severity!r}; categories: {', '.join(known)}"
        " (greenport/cases/data/deadlines.csv)",
        field="category",
    )


def deadline_for(category: str, severity: str, accepted_at: datetime, calendar: WorkCalendar) -> datetime:
    """When a case accepted at ``accepted_at`` (aware) is due, in UTC.

    same_day: 24:00 Beijing time of the day of acceptance; working_days N: the close of office
    hours of working day N (day 1 = the first working day after acceptance); working_hours N:
    N office hours after acceptance (a case received after hours starts at the next opening).
    """
    rule = rule_for(category, severity)
    accepted_at = ensure_utc(accepted_at)
    if rule.unit is DeadlineUnit.SAME_DAY:
        day = local_date(accepted_at)
        calendar.is_working_day(day)  # refuses a year without a calendar, like every other rule
        return (datetime.combine(day, datetime.min.time(), CHINA_TZ) + timedelta(days=1)).astimezone(UTC)
    if rule.unit is DeadlineUnit.WORKING_DAYS:
        return calendar.closing(calendar.add_working_days(accepted_at, rule.amount))
    return calendar.add_working_hours(accepted_at, rule.amount)


def escalation_steps(
    deadline: datetime, calendar: WorkCalendar, rule: DeadlineRule
) -> list[tuple[datetime, Step]]:
    """The steps around ``deadline`` (UTC instants, in time order) under ``rule``.

    remind: ``remind_before_hours`` office hours before the deadline; notice (催办): the opening of
    working day ``notice_after_days`` after the deadline's day; reprimand: ``reprimand_after_days``
    working days after the notice; town / city: the opening of working day ``town_after_days`` /
    ``city_after_days`` after the deadline's day. A timer acts on each step once its time has come
    and the case is still open.
    """
    deadline = ensure_utc(deadline)
    due_day = local_date(deadline - timedelta(microseconds=1))  # 24:00 belongs to the day it ends
    notice_day = calendar.add_working_days(due_day, rule.notice_after_days)
    steps = [
        (calendar.opening(notice_day), Step.NOTICE),
        (calendar.opening(calendar.add_working_days(notice_day, rule.reprimand_after_days)), Step.REPRIMAND),
        (calendar.opening(calendar.add_working_days(due_day, rule.town_after_days)), Step.ESCALATE_TOWN),
        (calendar.opening(calendar.add_working_days(due_day, rule.city_after_days)), Step.ESCALATE_CITY),
    ]
    try:
        remind = calendar.subtract_working_time(deadline, timedelta(hours=rule.remind_before_hours))
    except NoCalendar:
        # the reminder would fall before the first year the calendar knows (a deadline in the first
        # days of that year): no reminder rather than a guess; the steps after the deadline stand
        pass
    else:
        steps.append((remind, Step.REMIND))
    return sorted(steps, key=lambda step: step[0])


def shift_for_pause(
    deadline: datetime, paused_from: datetime, paused_to: datetime, calendar: WorkCalendar
) -> datetime:
    """The deadline moved later by the office time inside [paused_from, paused_to) (an extension
    request pending), so the time left to work is what it was when the clock stopped."""
    return calendar.add_working_time(
        ensure_utc(deadline), calendar.working_time_between(paused_from, paused_to)
    )


def deadline_after_pauses(
    rule: DeadlineRule,
    deadline: datetime,
    pauses: Iterable[tuple[datetime, datetime]],
    calendar: WorkCalendar,
) -> datetime:
    """``deadline`` shifted by every pause when ``rule.pause_on_extension``, unchanged otherwise."""
    if not rule.pause_on_extension:
        return ensure_utc(deadline)
    for paused_from, paused_to in pauses:
        deadline = shift_for_pause(deadline, paused_from, paused_to, calendar)
    return ensure_utc(deadline)
