"""Case statistics per officer, grid cell, town or department (issue 17, "statistics that feed the
assessments"; the 12345 hotlines' closed-loop figures, response-workflow.md §3).

Pure: a list of :class:`~greenport.cases.model.Case` in, one :class:`CaseStatistics` per group out.
The cases given are the *cohort* of a period: the cases opened in it (the service selects them by
``opened_at``); everything below is counted over that cohort, so a case opened in December and
closed in January counts for December's period, and a period's figures do not change when the
next period's cases arrive.

* ``received``: cases of the cohort;
* ``closed`` and the **on-time closure rate** [%]: closed cases whose handler's reply came by the
  deadline (:meth:`Case.closed_on_time`, 按时办结), over closed cases that had a deadline;
  ``None`` when no case with a deadline was closed;
* **mean handling time** [working days]: office time between ``opened_at`` (受理) and
  ``closed_at`` (办结) on the working-day calendar (:meth:`WorkCalendar.working_time_between`),
  divided by the office time of one working day (:attr:`WorkingHours.per_day`, 7 h by default);
* **reopened share** [%]: cases of the cohort reopened at least once (重办) over received;
* **mean citizen rating** [1-5]: over the cases a reporter rated (评价);
* ``overdue_open``: cases still open and past their deadline at ``now``.

Grouping: ``officer`` (the assignee), ``cell`` (grid cell code), ``town`` (town code),
``department`` (the category's department). A case without that key counts under
:data:`NO_GROUP`, so the groups' counts always add up to the cohort's.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from greenport.cases.model import Case
from greenport.workdays.calendar import WorkCalendar


class GroupBy(enum.StrEnum):
    """What the statistics are grouped by (the attribute of :class:`Case` each reads)."""

    OFFICER = "officer"
    CELL = "cell"
    TOWN = "town"
    DEPARTMENT = "department"


#: The group of cases that have no value for the key (e.g. not yet assigned to an officer).
NO_GROUP = "(none)"


def group_key(case: Case, by: GroupBy) -> str:
    """The group ``case`` falls in when grouped ``by`` (:data:`NO_GROUP` when it has none)."""
    value = {
        GroupBy.OFFICER: case.assignee,
        GroupBy.CELL: case.grid_cell_code,
        GroupBy.TOWN: case.town_code,
        GroupBy.DEPARTMENT: case.department,
    }[by]
    return value or NO_GROUP


#: Indicators of the assessments computed from the cases (issue 17): indicator id -> (the unit the
#: assessment scores, the figure of :class:`CaseStatistics` it takes). The id is the name of the
#: named query (``uow.evaluation.named_query``) in the systems that use it (town_eco_performance,
#: department_eco_performance), and the unit's group names the cases behind its value
#: (``/cases?town=<code>&period=<year>``, ``/cases?department=<name>&period=<year>``).
CASE_QUERIES: dict[str, tuple[GroupBy, str]] = {
    "grid_case_on_time_rate": (GroupBy.TOWN, "on_time_rate"),
    "grid_case_satisfaction": (GroupBy.TOWN, "mean_rating"),
    "case_on_time_closure": (GroupBy.DEPARTMENT, "on_time_rate"),
}


@dataclass(frozen=True, slots=True)
class CaseStatistics:
    """The closed-loop figures of one group (module docstring for each definition)."""

    key: str
    received: int
    closed: int
    closed_with_deadline: int
    closed_on_time: int
    reopened: int
    rated: int
    overdue_open: int
    timed: int  # closed cases whose handling time was measured (a calendar was given)
    handling_working_days: float  # sum over the timed cases [working days]
    rating_sum: int

    @property
    def on_time_rate(self) -> float | None:
        """On-time closure rate [%] (None when no case with a deadline was closed)."""
        if self.closed_with_deadline == 0:
            return None
        return 100.0 * self.closed_on_time / self.closed_with_deadline

    @property
    def mean_handling_days(self) -> float | None:
        """Mean handling time of the closed cases [working days] (None when none was timed)."""
        return None if self.timed == 0 else self.handling_working_days / self.timed

    @property
    def reopened_share(self) -> float | None:
        """Share of the received cases reopened at least once [%] (None when none received)."""
        return None if self.received == 0 else 100.0 * self.reopened / self.received

    @property
    def mean_rating(self) -> float | None:
        """Mean citizen rating [1-5] over the rated cases (None when none rated)."""
        return None if self.rated == 0 else self.rating_sum / self.rated

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "received": self.received,
            "closed": self.closed,
            "closed_on_time": self.closed_on_time,
            "on_time_rate": _rounded(self.on_time_rate),
            "mean_handling_days": _rounded(self.mean_handling_days),
            "reopened": self.reopened,
            "reopened_share": _rounded(self.reopened_share),
            "rated": self.rated,
            "mean_rating": _rounded(self.mean_rating),
            "overdue_open": self.overdue_open,
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def handling_working_days(case: Case, calendar: WorkCalendar) -> float | None:
    """Office time from ``opened_at`` to ``closed_at`` [working days of office hours] (None while open)."""
    if case.closed_at is None or case.is_open:
        return None
    office = calendar.working_time_between(case.opened_at, case.closed_at)
    return office / calendar.hours.per_day


def statistics_of(
    key: str,
    cases: Iterable[Case],
    *,
    reopened_ids: Collection[int],
    calendar: WorkCalendar | None,
    now: datetime,
) -> CaseStatistics:
    """The figures of one group of cases (module docstring). Without a ``calendar`` the handling
    time is not measured (``mean_handling_days`` is None); the rates need none."""
    received = closed = with_deadline = on_time = reopened = rated = overdue = rating_sum = timed = 0
    days = 0.0
    for case in cases:
        received += 1
        reopened += case.id in reopened_ids
        overdue += case.overdue(now)
        if case.rating is not None:
            rated += 1
            rating_sum += case.rating
        if case.is_open:
            continue
        closed += 1
        if calendar is not None and case.closed_at is not None:
            timed += 1
            days += handling_working_days(case, calendar) or 0.0
        timely = case.closed_on_time()
        if timely is not None:
            with_deadline += 1
            on_time += timely
    return CaseStatistics(
        key=key,
        received=received,
        closed=closed,
        closed_with_deadline=with_deadline,
        closed_on_time=on_time,
        reopened=reopened,
        rated=rated,
        overdue_open=overdue,
        timed=timed,
        handling_working_days=days,
        rating_sum=rating_sum,
    )


def group_statistics(
    cases: Iterable[Case],
    *,
    by: GroupBy | str,
    reopened_ids: Collection[int],
    calendar: WorkCalendar | None,
    now: datetime,
) -> dict[str, CaseStatistics]:
    """:func:`statistics_of` per group of ``cases`` grouped ``by`` (keys sorted)."""
    by = GroupBy(by)
    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(group_key(case, by), []).append(case)
    return {
        key: statistics_of(key, groups[key], reopened_ids=reopened_ids, calendar=calendar, now=now)
        for key in sorted(groups)
    }


def total_of(groups: Mapping[str, CaseStatistics], key: str = "total") -> CaseStatistics:
    """The groups added up (every count is a sum, so the total's rates are over all cases)."""
    parts = list(groups.values())
    return CaseStatistics(
        key=key,
        received=sum(p.received for p in parts),
        closed=sum(p.closed for p in parts),
        closed_with_deadline=sum(p.closed_with_deadline for p in parts),
        closed_on_time=sum(p.closed_on_time for p in parts),
        reopened=sum(p.reopened for p in parts),
        rated=sum(p.rated for p in parts),
        overdue_open=sum(p.overdue_open for p in parts),
        timed=sum(p.timed for p in parts),
        handling_working_days=sum(p.handling_working_days for p in parts),
        rating_sum=sum(p.rating_sum for p in parts),
    )


@dataclass(frozen=True, slots=True)
class StatisticsReport:
    """The statistics of the cases opened in [``since``, ``until``) that a caller may see, grouped
    ``by``: one :class:`CaseStatistics` per group and their ``total``."""

    by: GroupBy
    since: datetime
    until: datetime
    groups: Mapping[str, CaseStatistics]
    total: CaseStatistics

    def to_dict(self) -> dict[str, object]:
        return {
            "by": self.by.value,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "groups": [g.to_dict() for g in self.groups.values()],
            "total": self.total.to_dict(),
        }
