"""Working-day arithmetic against the State Council's notices 2023-2026 (国务院办公厅关于YYYY年部分节假日安排的通知)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenport.kernel.errors import InvalidRows
from greenport.kernel.time import CHINA_TZ
from greenport.workdays.calendar import WorkCalendar, calendar_from_shipped, parse_year_table, shipped_tables
from greenport.workdays.model import NoCalendar

CAL = calendar_from_shipped()


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA_TZ)  # type: ignore[misc]


def test_shipped_years_name_their_notice() -> None:
    tables = shipped_tables()
    assert sorted(tables) == [2022, 2023, 2024, 2025, 2026]
    assert "国办发明电〔2023〕7号" in tables[2024].source
    assert "国办发明电〔2024〕12号" in tables[2025].source
    assert "holidays 0.109" in tables[2026].source


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # 2023 (国办发明电〔2022〕16号): Spring Festival 21-27 Jan, Sat 28 and Sun 29 Jan worked
        (date(2023, 1, 27), False),
        (date(2023, 1, 28), True),
        (date(2023, 1, 29), True),
        (date(2023, 10, 7), True),  # Sat worked after Mid-Autumn + National Day 29 Sep-6 Oct
        (date(2023, 10, 6), False),
        # 2024 (〔2023〕7号): Spring Festival 10-17 Feb; Sun 4 Feb and Sun 18 Feb worked
        (date(2024, 2, 4), True),
        (date(2024, 2, 9), True),  # New Year's Eve: only "encouraged" off, a working day
        (date(2024, 2, 15), False),
        (date(2024, 2, 16), False),
        (date(2024, 2, 17), False),
        (date(2024, 2, 18), True),
        (date(2024, 5, 11), True),  # a make-up Saturday
        # 2025 (〔2024〕12号): 28 Jan-4 Feb; Sun 26 Jan and Sat 8 Feb worked; 1-8 Oct off, 11 Oct worked
        (date(2025, 1, 26), True),
        (date(2025, 1, 28), False),
        (date(2025, 2, 4), False),
        (date(2025, 2, 8), True),
        (date(2025, 10, 8), False),
        (date(2025, 10, 11), True),
        # 2026 (notice of 2025-11-04): Spring Festival 15-23 Feb; Sat 14 and Sat 28 Feb worked
        (date(2026, 2, 14), True),
        (date(2026, 2, 16), False),
        (date(2026, 2, 23), False),
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),
        (date(2026, 1, 4), True),
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),
        # plain days follow the week
        (date(2024, 3, 13), True),
        (date(2024, 3, 16), False),
    ],
)
def test_days_follow_the_notice(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_deadline_across_the_spring_festival_2025() -> None:
    # accepted Fri 24 Jan 2025: day 1 = Sun 26 Jan (make-up), day 2 = Mon 27 Jan, then the holiday
    # 28 Jan-4 Feb, day 3 = Wed 5 Feb
    assert CAL.add_working_days(date(2025, 1, 24), 1) == date(2025, 1, 26)
    assert CAL.add_working_days(date(2025, 1, 24), 3) == date(2025, 2, 5)
    # 13 working days (a complaint) from 24 Jan 2025: 26, 27 Jan, 5-7 Feb, Sat 8 Feb, 10-14, 17, 18 Feb
    assert CAL.add_working_days(date(2025, 1, 24), 13) == date(2025, 2, 18)


def test_make_up_saturday_counts_and_national_day_week_does_not() -> None:
    # accepted Thu 26 Sep 2024: 27 Sep, Sun 29 Sep (make-up), 30 Sep, then 1-7 Oct off, 8 Oct
    assert CAL.add_working_days(date(2024, 9, 26), 4) == date(2024, 10, 8)
    # accepted Fri 10 Oct 2025: Sat 11 Oct is a working day
    assert CAL.add_working_days(date(2025, 10, 10), 1) == date(2025, 10, 11)


def test_day_one_is_the_day_after_acceptance_at_any_time() -> None:
    # 16:59 or 08:00 on Tue 12 Mar 2024: day 1 is Wed 13 Mar
    assert CAL.add_working_days(bj(2024, 3, 12, 16, 59), 1) == date(2024, 3, 13)
    assert CAL.add_working_days(bj(2024, 3, 12, 8, 0), 1) == date(2024, 3, 13)
    assert CAL.add_working_days(date(2024, 3, 12), 0) == date(2024, 3, 12)
    # an instant late on a UTC day is the next Beijing day
    assert CAL.add_working_days(datetime.fromisoformat("2024-03-12T17:00:00+00:00"), 1) == date(2024, 3, 14)


def test_working_hours_skip_nights_lunch_and_holidays() -> None:
    # 4 working hours from Fri 9 Feb 2024 16:00: 1.5 h that day, then Sun 18 Feb (make-up) 9:00 + 2.5 h
    assert CAL.add_working_hours(bj(2024, 2, 9, 16, 0), 4) == bj(2024, 2, 18, 11, 30)
    # 4 h from 11:00: 1 h before lunch, 3 h after 13:30
    assert CAL.add_working_hours(bj(2024, 3, 12, 11, 0), 4) == bj(2024, 3, 12, 16, 30)
    # received at night: the clock starts at the next opening
    assert CAL.add_working_hours(bj(2024, 3, 12, 22, 0), 1) == bj(2024, 3, 13, 10, 0)
    assert CAL.working_time_between(bj(2024, 2, 9, 16, 0), bj(2024, 2, 18, 11, 30)) == timedelta(hours=4)
    assert CAL.subtract_working_time(bj(2024, 2, 18, 11, 30), timedelta(hours=4)) == bj(2024, 2, 9, 16, 0)


def test_a_year_without_a_calendar_is_refused_not_guessed() -> None:
    with pytest.raises(NoCalendar, match="no working-day calendar for 2027: add the State Council's notice"):
        CAL.is_working_day(date(2027, 1, 4))
    with pytest.raises(NoCalendar):
        CAL.add_working_days(date(2026, 12, 30), 5)
    with pytest.raises(NoCalendar):
        WorkCalendar({}).add_working_days(date(2024, 3, 1), 1)


def test_a_bad_file_names_row_and_column_and_gives_nothing() -> None:
    text = (
        "# source: test\n"
        "date,kind,name_zh,name_en\n"
        "2027-01-01,holiday,元旦,New Year\n"
        "2027-02-30,holiday,春节,x\n"
        "2027-01-05,workday,调休上班,x\n"  # a Tuesday
        "2027-01-01,holiday,元旦,dup\n"
        "2027-01-09,rest,调休上班,x\n"
        "2028-01-01,holiday,元旦,x\n"
    )
    with pytest.raises(InvalidRows) as caught:
        parse_year_table(text, file_name="2027.csv")
    found = {(e.row, e.column) for e in caught.value.errors}
    assert found == {(4, "date"), (5, "kind"), (6, "date"), (7, "kind"), (8, "date")}
    assert "2027.csv" in str(caught.value)


dates = st.dates(min_value=date(2022, 1, 1), max_value=date(2026, 10, 31))


@settings(max_examples=150, deadline=None)
@given(day=dates, n=st.integers(min_value=1, max_value=40), extra=st.integers(min_value=0, max_value=10))
def test_add_working_days_properties(day: date, n: int, extra: int) -> None:
    end = CAL.add_working_days(day, n)
    assert CAL.is_working_day(end)
    assert end > day
    assert CAL.add_working_days(day, n + extra) >= end
    assert CAL.working_days_between(day, end) == n
    assert CAL.working_days_between(end, day) == -n


@settings(max_examples=100, deadline=None)
@given(
    day=st.dates(min_value=date(2022, 1, 1), max_value=date(2026, 11, 30)),
    minute=st.integers(min_value=0, max_value=24 * 60 - 1),
    hours=st.integers(min_value=0, max_value=60),
)
def test_working_time_round_trips(day: date, minute: int, hours: int) -> None:
    start = datetime.combine(day, datetime.min.time(), CHINA_TZ) + timedelta(minutes=minute)
    end = CAL.add_working_time(start, timedelta(hours=hours))
    assert CAL.working_time_between(start, end) == timedelta(hours=hours)
