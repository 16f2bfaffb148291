"""Aware-UTC time and monitoring periods.

Inside GreenPort every datetime is timezone-aware UTC. Devices and pages speak local time
(Asia/Shanghai, UTC+8, no daylight saving); conversion happens only at those edges.
HJ 212-2017 §6.6.3: a period's ``DataTime`` is the *start* of the period.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta, timezone

#: China Standard Time. Fixed offset (no DST since 1991), so no tz database is needed.
CHINA_TZ = timezone(timedelta(hours=8), name="Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def ensure_utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC; a naive datetime is refused rather than guessed."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} has no time zone; give an aware datetime")
    return moment.astimezone(UTC)


def local_to_utc(moment: datetime) -> datetime:
    """Interpret a naive local (Asia/Shanghai) datetime, as devices send it, and return UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    return moment.astimezone(UTC)


def utc_to_local(moment: datetime) -> datetime:
    return ensure_utc(moment).astimezone(CHINA_TZ)


#: How a person reads a time on pages, documents and the CLI's human output (Beijing time).
LOCAL_FORMAT = "%Y-%m-%d %H:%M"


def format_local(moment: datetime | str | None, *, empty: str = "—") -> str:
    """``moment`` as a person in the city reads it: Beijing time, ``2026-12-06 23:19``.

    Accepts an aware datetime or an ISO 8601 text with offset (as the JSON API carries it);
    ``None`` or ``""`` gives ``empty``. A naive datetime or a text without offset is refused
    (a time without a zone cannot be shown as Beijing time). JSON keeps ISO 8601 with offset;
    only people get this form.
    """
    if moment is None or moment == "":
        return empty
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError as exc:
            raise ValueError(f"{moment!r} is not an ISO 8601 time") from exc
    return utc_to_local(moment).strftime(LOCAL_FORMAT)


def local_date(moment: datetime) -> date:
    """The Asia/Shanghai calendar date of an instant (daily statistics follow local days)."""
    return utc_to_local(moment).date()


class PeriodKind(enum.StrEnum):
    """Averaging periods of online monitoring (HJ 212-2017 Table 9: 2011/2051/2061/2031)."""

    RAW = "raw"
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


def period_start(moment: datetime, kind: PeriodKind) -> datetime:
    """Start of the local period containing ``moment``, returned in UTC.

    Hours are aligned in UTC (identical to local hours, the offset is whole hours); days,
    months and years follow the local calendar, as published statistics do.
    """
    local = utc_to_local(moment)
    if kind is PeriodKind.RAW:
        return ensure_utc(moment)
    if kind is PeriodKind.MINUTE:
        local = local.replace(second=0, microsecond=0)
    elif kind is PeriodKind.HOUR:
        local = local.replace(minute=0, second=0, microsecond=0)
    elif kind is PeriodKind.DAY:
        local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    elif kind is PeriodKind.MONTH:
        local = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    else:
        local = local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return local.astimezone(UTC)


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, in UTC."""
    start = datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ).astimezone(UTC)
    return start, start + timedelta(days=1)


def local_year_bounds(year: int) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar year, in UTC."""
    start = datetime(year, 1, 1, tzinfo=CHINA_TZ).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=CHINA_TZ).astimezone(UTC)
    return start, end
