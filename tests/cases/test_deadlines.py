"""Case deadlines on the Chinese working-day calendar (response-workflow.md §3, CJ/T 315-2009)."""

from __future__ import annotations

from datetime import datetime

import pytest

from greenport.cases.deadlines import (
    Step,
    deadline_after_pauses,
    deadline_for,
    escalation_steps,
    rule_for,
    shift_for_pause,
)
from greenport.kernel.errors import InvalidInput
from greenport.kernel.time import CHINA_TZ
from greenport.workdays.calendar import calendar_from_shipped
from greenport.workdays.model import NoCalendar

CAL = calendar_from_shipped()


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA_TZ)  # type: ignore[misc]


def test_complaint_accepted_before_the_spring_festival_2024() -> None:
    # accepted Thu 8 Feb 2024 20:00: day 1 = Fri 9 Feb, day 2 = Sun 18 Feb (make-up), day 3 = Mon 19 Feb
    assert deadline_for("help", "normal", bj(2024, 2, 8, 20, 0), CAL) == bj(2024, 2, 19, 17, 30)


def test_urgent_is_same_day_whatever_the_category() -> None:
    assert deadline_for("complaint", "urgent", bj(2025, 1, 28, 10, 0), CAL) == bj(2025, 1, 29, 0, 0)


def test_exposed_rubbish_has_four_working_hours() -> None:
    assert deadline_for("exposed_rubbish", "normal", bj(2024, 9, 30, 16, 0), CAL) == bj(2024, 10, 8, 11, 30)


def test_no_calendar_no_deadline() -> None:
    with pytest.raises(NoCalendar):
        deadline_for("complaint", "normal", bj(2026, 12, 20, 9, 0), CAL)
    with pytest.raises(InvalidInput, match="categories: complaint"):
        rule_for("noise?", "normal")


def test_escalation_after_a_missed_deadline_across_national_day() -> None:
    rule = rule_for("enquiry", "normal")
    deadline = bj(2024, 9, 30, 17, 30)
    steps = escalation_steps(deadline, CAL, rule)
    assert steps == [
        (bj(2024, 9, 30, 9, 0), Step.REMIND),  # 7 office hours before: the whole day
        (bj(2024, 10, 8, 9, 0), Step.NOTICE),  # the day after: 1-7 Oct are off
        (bj(2024, 10, 10, 9, 0), Step.ESCALATE_TOWN),  # 3 working days: 8, 9, 10 Oct
        (bj(2024, 10, 14, 9, 0), Step.REPRIMAND),  # 5 working days after the notice: 9-12 (Sat 12 worked), 14
        (bj(2024, 10, 14, 9, 0), Step.ESCALATE_CITY),  # 6 after the deadline's day: 8-12, 14
    ]


def test_clock_pauses_only_when_the_rule_says_so() -> None:
    deadline = bj(2024, 3, 15, 17, 30)
    pause = (bj(2024, 3, 13, 9, 0), bj(2024, 3, 14, 9, 0))  # one working day of office time (7 h)
    assert shift_for_pause(deadline, *pause, CAL) == bj(2024, 3, 18, 17, 30)
    assert deadline_after_pauses(rule_for("complaint", "normal"), deadline, [pause], CAL) == bj(
        2024, 3, 18, 17, 30
    )
    assert deadline_after_pauses(rule_for("misrouted", "normal"), deadline, [pause], CAL) == deadline


def test_a_deadline_in_the_first_days_of_the_first_calendar_year_has_no_reminder_but_its_later_steps() -> (
    None
):
    """The reminder of a deadline on the first working day of 2022 would fall in 2021, a year with no
    calendar: it is left out (never guessed), and the 催办 and escalations after the deadline stand."""
    from datetime import UTC, datetime

    from greenport.cases.deadlines import Step, escalation_steps, rule_for
    from greenport.workdays.calendar import calendar_from_shipped

    calendar = calendar_from_shipped()
    deadline = datetime(2022, 1, 4, 1, 30, tzinfo=UTC)  # 09:30 Beijing on the first working day of 2022
    steps = escalation_steps(deadline, calendar, rule_for("complaint", "minor"))
    assert {step for _, step in steps} == {
        Step.NOTICE,
        Step.REPRIMAND,
        Step.ESCALATE_TOWN,
        Step.ESCALATE_CITY,
    }
    assert all(at > deadline for at, _ in steps)
