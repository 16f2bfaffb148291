"""Frozen message dataclasses of HJ 212 (HJ/T 212-2005, HJ 212-2017, HJ 212-2025).

A :class:`Message` is one data segment: the header fields of HJ 212-2017 §6.3.2 Table 3
(QN, ST, CN, PW, MN, Flag, PNUM, PNO) and the data area :class:`CP` (§6.3.3). Values keep the
wire's vocabulary: codes are strings (``st="32"``, ``cn="2011"``), factor codes are the
protocol's (``"w01018"``, ``"011"``); :mod:`greenport.protocol.codes` maps them to canonical
parameters.

Times: HJ 212 times are the station's local wall-clock (China Standard Time). Decoding returns
them *aware* at UTC+08:00 (equal to ``greenport.kernel.time.CHINA_TZ``); convert with
``.astimezone(UTC)``. Encoding accepts aware datetimes (converted to China time) and naive ones
(taken as China wall-clock time).

Values in the data area: numeric fields (``-Rtd``, ``-Avg``, ``-Min``, ``-Max``, ``-Cou``,
``-Zs*``, ``-Data``...; see ``NUMERIC_FIELDS``) are ``float``; ``-SampleTime`` is a datetime;
everything else (``-Flag``, ``-EFlag``, ``-Info``, ``-SN``...) and the non-factor items
(``QnRtn``, ``PolId``, ``RtdInterval``...) are kept as the wire's text, except the time items of
``TIME_PARAMS`` (``BeginTime``, ``EndTime``, ``SystemTime``, ``RestartTime``), which are datetimes.
The mappings are plain dicts in wire order; treat them as read-only.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from greenport.protocol.crc import CrcVariant

#: A value of the data area: number, text or time.
Value = float | str | datetime

#: Factor field suffixes whose value must be a number (HJ 212-2017 §6.3.3 Table 4 and Appendix C;
#: ``-RS``/``-RT`` equipment state / run hours; ``-ValidNum``/``-TotalNum`` seen in the field).
NUMERIC_FIELDS: frozenset[str] = frozenset(
    {
        "Rtd",
        "Min",
        "Avg",
        "Max",
        "Cou",
        "ZsRtd",
        "ZsMin",
        "ZsAvg",
        "ZsMax",
        "Data",
        "DayData",
        "NightData",
        "RS",
        "RT",
        "ValidNum",
        "TotalNum",
    }
)

#: Factor field suffixes holding a time (N14, HJ 212-2017 Table 4 ``-SampleTime``).
TIME_FIELDS: frozenset[str] = frozenset({"SampleTime"})

#: Non-factor CP items holding a time (N14; HJ 212-2017 Table 4 and Appendix C).
TIME_PARAMS: frozenset[str] = frozenset({"BeginTime", "EndTime", "SystemTime", "RestartTime"})


class Edition(enum.StrEnum):
    """Edition of the standard a frame speaks, from the version bits of Flag (§6.3.2 Table 3)."""

    HJT212_2005 = "2005"  #: HJ/T 212-2005: version bits 000000, or no Flag at all
    HJ212_2017 = "2017"  #: HJ 212-2017: version bits 000001 (Flag 4..7)
    #: HJ 212-2025: version bits 000010 (Flag 8..11). UNVERIFIED against the 2025 text: taken from
    #: the ``caoyiliang/HJ212`` implementation (monitoring reference §1.3, §1.11).
    HJ212_2025 = "2025"

    @property
    def version_bits(self) -> int:
        """The value of bits V5..V0 of Flag for this edition."""
        return _VERSION_BITS[self]


_VERSION_BITS = {Edition.HJT212_2005: 0, Edition.HJ212_2017: 1, Edition.HJ212_2025: 2}
_EDITION_BY_BITS = {bits: edition for edition, bits in _VERSION_BITS.items()}

#: Flag bit A: the message asks for a reply (HJ 212-2017 Table 3, bit 0).
FLAG_ACK = 0b01
#: Flag bit D: the message is one packet of several and carries PNUM/PNO (bit 1).
FLAG_PACKETS = 0b10


def make_flag(edition: Edition = Edition.HJ212_2017, *, ack: bool = False, packets: bool = False) -> int:
    """The Flag value for an edition and the A/D bits (e.g. 2017 + ack -> 5, 2025 + ack -> 9)."""
    return (edition.version_bits << 2) | (FLAG_PACKETS if packets else 0) | (FLAG_ACK if ack else 0)


@dataclass(frozen=True, slots=True)
class CP:
    """The data area ``CP=&&...&&`` (HJ 212-2017 §6.3.3).

    Attributes
    ----------
    data_time
        ``DataTime``: sampling instant (2011) or period start (2051/2061/2031), China time.
    params
        Items that belong to no factor, in wire order (``QnRtn``, ``ExeRtn``, ``PolId``,
        ``BeginTime``...); times of ``TIME_PARAMS`` are datetimes, the rest text.
    factors
        Per factor code (``"w01018"``, ``"SB1"``, ``"i11001"``), its fields by suffix in wire
        order: ``{"w01018": {"Rtd": 40.1, "Flag": "N"}}``.
    groups
        The further ``PolId`` groups of the data area, in wire order; empty for the usual frame.
        Field information (CN 3020, HJ 212-2017 C.40) is about one instrument: ``PolId=w01018``
        then that instrument's ``iXXXXX-Info`` items. The standard's examples carry one group;
        real loggers send several in one frame
        (``PolId=w01019,i12001-Info=1;PolId=w21001,i12001-Info=0``). The first group stays in
        ``params``/``factors`` (the standard's form); each further ``PolId`` starts a group here,
        a ``CP`` without ``data_time`` whose ``params`` begin with its ``PolId``.
    """

    data_time: datetime | None = None
    params: Mapping[str, str | datetime] = field(default_factory=dict)
    factors: Mapping[str, Mapping[str, Value]] = field(default_factory=dict)
    groups: tuple[CP, ...] = ()


#: Marks a required field not given (the fields keep Table 3 order, so only this can mark them).
class _Required:
    def __repr__(self) -> str:
        return "<required>"


_REQUIRED: Any = _Required()


@dataclass(frozen=True, slots=True)
class Message:
    """One HJ 212 data segment (HJ 212-2017 §6.3.2 Table 3), header fields in wire order.

    Fields may be given by keyword or by position in Table 3 order (``qn, st, cn, pw, mn, flag,
    pnum, pno, cp``); ``st``, ``cn`` and ``mn`` are required.

    Attributes
    ----------
    qn
        Request id ``YYYYMMDDhhmmsszzz``; replies echo it. ``None`` when absent (2005 style).
    st, cn
        System code (Table 5) and command code (Table 9), as on the wire.
    pw, mn
        Access password and device id; ``pw`` is ``None`` when absent, ``mn`` may be empty.
    flag
        0-255 or ``None`` when absent (2005 style); see :attr:`ack_requested`, :attr:`edition`.
    pnum, pno
        Total packets and this packet's number (1-based) of a split upload, else ``None``.
    cp
        The data area.
    crc_variant
        The CRC the frame carried (decode) or will carry (encode).
    notes
        What the decoder had to tolerate (not part of equality).
    """

    qn: str | None = None
    st: str = _REQUIRED
    cn: str = _REQUIRED
    pw: str | None = None
    mn: str = _REQUIRED
    flag: int | None = None
    pnum: int | None = None
    pno: int | None = None
    cp: CP = field(default_factory=CP)
    crc_variant: CrcVariant = CrcVariant.HJ212
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        missing = [name for name in ("st", "cn", "mn") if getattr(self, name) is _REQUIRED]
        if missing:
            raise TypeError(f"Message() missing required field(s): {', '.join(missing)}")

    @property
    def ack_requested(self) -> bool:
        """Flag bit A: the sender wants a reply (9014 for an upload, 9011/9012 for a request)."""
        return self.flag is not None and bool(self.flag & FLAG_ACK)

    @property
    def has_packets(self) -> bool:
        """Flag bit D: the message is one packet of several (PNUM/PNO)."""
        return self.flag is not None and bool(self.flag & FLAG_PACKETS)

    @property
    def version(self) -> int:
        """Flag bits V5..V0 (0 when there is no Flag)."""
        return 0 if self.flag is None else self.flag >> 2

    @property
    def edition(self) -> Edition | None:
        """Edition by the version bits; no Flag means 2005 style; unknown bits give ``None``."""
        return _EDITION_BY_BITS.get(self.version)

    @property
    def data_time(self) -> datetime | None:
        """Shortcut for ``cp.data_time``."""
        return self.cp.data_time
