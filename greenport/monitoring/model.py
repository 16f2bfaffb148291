"""Observations, aggregates and derived indices of online monitoring (frozen dataclasses, enums).

Vocabulary: HJ 212-2017 §6.6 (data flags, Table 8; DataTime is the start of a period, §6.6.3).
Values are in the canonical unit of their parameter (``greenport.kernel.parameters``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from greenport.kernel.time import PeriodKind


class DeviceFlag(enum.StrEnum):
    """Data flag a device attaches to a value (HJ 212-2017 Table 8)."""

    NORMAL = "N"  # 在线监控(监测)仪器仪表工作正常
    STOPPED = "F"  # 停运
    MAINTENANCE = "M"  # 维护
    MANUAL = "S"  # 手工输入的设定值
    FAULT = "D"  # 故障
    CALIBRATION = "C"  # 校准
    OVER_RANGE = "T"  # 超测上限
    COMM_ERROR = "B"  # 通讯异常
    UNKNOWN = "X"  # a letter outside Table 8 (e.g. HJ/T 212-2005 'P'); treated as abnormal

    @classmethod
    def parse(cls, letter: str | None) -> DeviceFlag:
        """Map a flag letter to the enum; absent means N (HJ 212 omits flags of normal values)."""
        if not letter:
            return cls.NORMAL
        known = _FLAG_BY_LETTER.get(letter)
        if known is not None:
            return known
        try:
            return cls(letter.strip().upper()[:1])
        except ValueError:
            return cls.UNKNOWN

    @property
    def valid_for_statistics(self) -> bool:
        """Only normal (N) values count toward averages (HJ 212-2017 Table 8; HJ 75-2017 §11)."""
        return self is DeviceFlag.NORMAL


_FLAG_BY_LETTER: dict[str, DeviceFlag] = {flag.value: flag for flag in DeviceFlag}

#: How long after the end of its period a value may arrive and still count as "on time".
LATE_AFTER: dict[PeriodKind, timedelta] = {
    PeriodKind.RAW: timedelta(minutes=10),
    PeriodKind.MINUTE: timedelta(minutes=15),
    PeriodKind.HOUR: timedelta(hours=1),
    PeriodKind.DAY: timedelta(hours=12),
}

PERIOD_LENGTH: dict[PeriodKind, timedelta] = {
    PeriodKind.RAW: timedelta(0),
    PeriodKind.MINUTE: timedelta(minutes=1),
    PeriodKind.HOUR: timedelta(hours=1),
    PeriodKind.DAY: timedelta(days=1),
}


#: Period length plus grace: a value received later than this after its DataTime is late.
_LATE_BEYOND: dict[PeriodKind, timedelta] = {
    period: PERIOD_LENGTH.get(period, timedelta(0)) + LATE_AFTER.get(period, timedelta(hours=1))
    for period in PeriodKind
}


def is_late(period: PeriodKind, data_time: datetime, received_at: datetime) -> bool:
    """True when a value arrives after its period's end plus the grace in :data:`LATE_AFTER`."""
    return received_at - data_time > _LATE_BEYOND[period]


class Observation(NamedTuple):
    """One value of one parameter from one device for one period (key: time, device, period, parameter).

    ``value`` is the measured value (``-Rtd`` or ``-Avg``) in the parameter's canonical unit;
    ``zs_value`` the O2-corrected one (``-ZsRtd`` / ``-ZsAvg``) when the device sends it.
    A named tuple (immutable, and cheap: ingest builds hundreds of thousands per second).
    """

    data_time: datetime
    device_id: int
    site_id: int
    period: PeriodKind
    parameter: str
    value: float | None
    flag: DeviceFlag = DeviceFlag.NORMAL
    zs_value: float | None = None
    min_value: float | None = None
    max_value: float | None = None
    cou: float | None = None
    frame_id: int | None = None
    late: bool = False
    received_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Frame:
    """A received HJ 212 packet kept for audit (raw bytes as received)."""

    id: int
    received_at: datetime
    mn: str
    cn: str
    raw: bytes
    device_id: int | None = None
    qn: str | None = None
    peer: str | None = None


class QuarantineReason(enum.StrEnum):
    """Why a frame was not stored (each is a Prometheus label value too)."""

    FRAMING = "framing"  # no ``##`` header / bad length digits / missing CR LF
    OVERSIZE = "oversize"  # declared or buffered length above the limit
    LENGTH = "length"  # declared length differs from the segment
    CRC = "crc"  # CRC does not match (for this device's CRC variant)
    SYNTAX = "syntax"  # data segment does not parse
    UNKNOWN_MN = "unknown_mn"
    BAD_PASSWORD = "bad_password"
    UNSUPPORTED_COMMAND = "unsupported_command"
    BAD_VALUE = "bad_value"  # DataTime or a value that does not parse
    IDLE = "idle"  # connection cut: idle or too slow
    TOO_MANY_CONNECTIONS = "too_many_connections"
    SERVER_ERROR = "server_error"  # the server failed on the frame (a bug): kept to replay, not acked


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    received_at: datetime
    reason: str
    raw: bytes
    peer: str | None = None
    mn: str | None = None
    device_id: int | None = None
    field: str | None = None
    detail: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class AggregationFailure:
    """A (site, hour) whose aggregates could not be computed (a stored value that breaks a rule
    of a standard, e.g. a concentration no instrument gives): recorded for an analyst, while the
    other sites and hours are aggregated as usual. Cleared when the hour is computed again."""

    site_id: int
    period_start: datetime
    failed_at: datetime
    error: str


@dataclass(frozen=True, slots=True)
class Aggregate:
    """An hourly or daily mean of one parameter at one site, with its validity (data capture)."""

    period_start: datetime
    site_id: int
    period: PeriodKind
    parameter: str
    value: float | None
    n_values: int
    valid: bool


class IndexKind(enum.StrEnum):
    AQI = "aqi"  # HJ 633 air quality index of an air station
    WATER_CLASS = "water_class"  # GB 3838-2002 class of a water section (1..5, 6 = worse than V)


@dataclass(frozen=True, slots=True)
class IndexValue:
    period_start: datetime
    site_id: int
    period: PeriodKind
    kind: IndexKind
    value: float | None
    label: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class SiteRef:
    """What the monitoring logic needs to know of a site (from the registry)."""

    id: int
    code: str
    kind: str
    level: str
    target_class: int | None = None
    waterbody: str | None = None


@dataclass(frozen=True, slots=True)
class DeviceRef:
    """A registered device as ingest sees it (the hash never leaves storage for anything else)."""

    id: int
    mn: str
    site_id: int
    password_hash: str
    crc_variant: str
    active: bool = True
