"""One exception family for the HJ 212 codec, each error naming the field and a reply hint.

Every error the codec raises on purpose is a :class:`ProtocolError`, which is both a
:class:`ValueError` and a :class:`greenport.kernel.errors.InvalidInput` (so the CLI and web
boundaries render it like any other bad input, ``to_dict()`` included).

``reply_hint`` is the ``QnRtn`` value (HJ 212-2017 Table 7) a station would answer a request
with when it meets this error (e.g. 9 = CRC error). The standard defines **no** negative reply
to an *upload*: a centre that receives a bad upload simply neither stores nor acknowledges it
(HJ 212-2017 §6.6; see ``docs/protocol.md``). The hint is therefore what a 9011 reply would
carry, not an instruction to send one.
"""

from __future__ import annotations

import enum
from typing import Any

from greenport.kernel.errors import InvalidInput


class QnRtn(enum.IntEnum):
    """Request-reply codes, field ``QnRtn`` of CN 9011 (HJ 212-2017 Table 7)."""

    READY = 1  #: ready to execute the request
    REJECTED = 2  #: request rejected
    PW_ERROR = 3  #: password error
    MN_ERROR = 4  #: MN error
    ST_ERROR = 5  #: ST error
    FLAG_ERROR = 6  #: Flag error
    QN_ERROR = 7  #: QN error
    CN_ERROR = 8  #: CN error
    CRC_ERROR = 9  #: CRC check error
    UNKNOWN = 100  #: unknown error


class ExeRtn(enum.IntEnum):
    """Execution-result codes, field ``ExeRtn`` of CN 9012 (HJ 212-2017 Table 6)."""

    SUCCESS = 1  #: executed successfully
    FAILED = 2  #: execution failed, reason unknown
    BAD_CONDITION = 3  #: command request condition error
    TIMEOUT = 4  #: communication timeout
    BUSY = 5  #: system busy, cannot execute
    SYSTEM_FAULT = 6  #: system fault
    NO_DATA = 100  #: no data


class ProtocolError(InvalidInput, ValueError):
    """A frame or message that breaks HJ 212; ``field`` names where, ``reply_hint`` what to answer.

    Parameters
    ----------
    message
        What is wrong, in English.
    field
        The HJ 212 field concerned (``"CRC"``, ``"length"``, ``"DataTime"``, ``"w01018-Rtd"``...).
    reply_hint
        The ``QnRtn`` a station would answer a request with (HJ 212-2017 Table 7).
    raw
        The offending bytes when known (a frame, or bytes discarded by the frame buffer), so a
        receiver can quarantine them.
    """

    #: default QnRtn for this class of error
    default_hint: QnRtn = QnRtn.REJECTED

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        reply_hint: QnRtn | None = None,
        raw: bytes | None = None,
        **details: Any,
    ) -> None:
        hint = self.default_hint if reply_hint is None else reply_hint
        super().__init__(message, field=field, reply_hint=int(hint), **details)
        self.reply_hint = hint
        self.raw = raw

    def __reduce__(self) -> tuple[Any, ...]:  # picklable despite keyword-only arguments
        return (_rebuild, (type(self), self.message, self.field, self.reply_hint, self.raw))


def _rebuild(
    cls: type[ProtocolError], message: str, field: str | None, hint: QnRtn, raw: bytes | None
) -> ProtocolError:
    return cls(message, field=field, reply_hint=hint, raw=raw)


class FramingError(ProtocolError):
    """Bytes that do not form a frame: no ``##`` header, garbage, an unfinished frame over the cap."""


class LengthError(ProtocolError):
    """The 4-digit length is not digits or does not match the data segment (HJ 212-2017 §6.3.1)."""


class CrcError(ProtocolError):
    """The CRC is missing, not hex, or does not match the data segment (HJ 212-2017 Appendix A)."""

    default_hint = QnRtn.CRC_ERROR


class FormatError(ProtocolError):
    """The data segment breaks the field syntax (HJ 212-2017 §6.3.2, §6.3.3)."""


class FieldValueError(ProtocolError):
    """A field holds a value of the wrong kind: a bad DataTime, a non-numeric ``-Rtd``, a bad Flag."""


class EncodeError(ProtocolError):
    """A message that cannot be written as a valid frame (raised by ``encode``; a local error)."""


class UnknownCodeError(ProtocolError):
    """A factor, ST or CN code that the code tables do not know (or know with no parameter)."""
