"""Builders for replies (90xx) and for the upper computer's commands (HJ 212-2017 §7, Appendix C).

Replies echo the QN, PW and MN of what they answer, use ST=91 (Table 5 "system interaction") and
a Flag with the *sender's* version bits and A = D = 0 (the standard's examples answer Flag=5 with
Flag=4; keeping the version bits means a 2005 or 2025 device hears its own dialect - our
interpretation, monitoring reference §3). A message without Flag (2005 style) is answered without
Flag.

Who answers what (HJ 212-2017 §7, monitoring reference §3; :func:`reply_for` applies it):

=================================================  ==========================================
received                                           answer
=================================================  ==========================================
an upload (2011, 2021, 2031, 2041, 2051, 2061,     9014 data reply, only when Flag bit A = 1
2081, 3019/3020 uploads, ...)
1013 time-calibration notice                       9013 notify reply (then send 1012)
9015 heartbeat (HJ 212-2025, UNVERIFIED)           9013 notify reply when A = 1
a request from the upper computer                  9011 QnRtn, data, then 9012 ExeRtn (field)
=================================================  ==========================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache

from greenport.protocol.codec import encode
from greenport.protocol.codes import command_codes
from greenport.protocol.crc import crc16_hj212
from greenport.protocol.errors import EncodeError, ExeRtn, QnRtn
from greenport.protocol.messages import (
    CP,
    NUMERIC_FIELDS,
    Edition,
    Message,
    Value,
    make_flag,
)

#: ST of every reply (HJ 212-2017 Table 5, 91 = system interaction).
REPLY_ST = "91"

#: CN of the replies and of the 2025 heartbeat.
CN_REQUEST_REPLY = "9011"
CN_EXECUTION_RESULT = "9012"
CN_NOTIFY_REPLY = "9013"
CN_DATA_REPLY = "9014"
#: Heartbeat, field -> upper computer. HJ 212-2025 only; UNVERIFIED against the 2025 text (the
#: CN and its handling come from the ``caoyiliang/HJ212`` implementation, reference §1.11).
CN_HEARTBEAT = "9015"
CN_TIME_CALIBRATION_REQUEST = "1013"


def _reply_flag(flag: int | None) -> int | None:
    return None if flag is None else flag & ~0b11


def _reply(to: Message, cn: str, params: Mapping[str, str | datetime] | None = None) -> Message:
    return Message(
        qn=to.qn,
        st=REPLY_ST,
        cn=cn,
        pw=to.pw,
        mn=to.mn,
        flag=_reply_flag(to.flag),
        cp=CP(params=dict(params or {})),
    )


def request_reply(request: Message, qn_rtn: QnRtn | int = QnRtn.READY) -> Message:
    """9011 request reply with ``QnRtn`` (Table 7), sent by the field to a request (C.1)."""
    return _reply(request, CN_REQUEST_REPLY, {"QnRtn": str(int(qn_rtn))})


def execution_result(request: Message, exe_rtn: ExeRtn | int = ExeRtn.SUCCESS) -> Message:
    """9012 execution result with ``ExeRtn`` (Table 6), sent by the field after a request (C.1)."""
    return _reply(request, CN_EXECUTION_RESULT, {"ExeRtn": str(int(exe_rtn))})


def notify_reply(notice: Message) -> Message:
    """9013 notification reply, empty CP (C.4: answer to 1013; 2025: answer to 9015)."""
    return _reply(notice, CN_NOTIFY_REPLY)


def data_reply(upload: Message) -> Message:
    """9014 data reply, empty CP: the upper computer acknowledges an upload with A = 1 (C.16)."""
    return _reply(upload, CN_DATA_REPLY)


def is_upload(message: Message) -> bool:
    """True when ``message`` is a field upload that a 9014 acknowledges (Table 9 kind ``upload``).

    Requests and uploads share CNs (1011, 2011, 2051, 3019, 3020...): a message from the field
    is told apart by its content - it carries ``DataTime`` or factor values, a request carries
    neither (or only ``BeginTime``/``EndTime``/``PolId``).
    """
    if message.st == REPLY_ST or message.cn.startswith("9"):
        return False
    return message.cp.data_time is not None or bool(message.cp.factors)


def _reply_cn(message: Message) -> str | None:
    """The CN of the answer owed to a message from the field, or ``None`` (see table above)."""
    if message.cn == CN_TIME_CALIBRATION_REQUEST:
        return CN_NOTIFY_REPLY
    if message.cn == CN_HEARTBEAT:
        return CN_NOTIFY_REPLY if message.ack_requested else None
    if message.ack_requested and is_upload(message):
        return CN_DATA_REPLY
    return None


def reply_for(message: Message) -> Message | None:
    """What the upper computer answers to a message from the field, or ``None`` (see table above)."""
    cn = _reply_cn(message)
    return None if cn is None else _reply(message, cn)


#: Header values that ``encode`` writes as they are (no separator, no surrounding space).
_PLAIN_TOKEN = re.compile(r"[^;,=&\s]*")
_PLAIN_QN = re.compile(r"[0-9]{1,20}")


@lru_cache(maxsize=4096, typed=True)
def _data_reply_tail(pw: str | None, mn: str, flag: int | None) -> bytes | None:
    """``ST=91;CN=9014;PW=..;MN=..;Flag=..;CP=&&&&`` of a 9014, or ``None`` if not plain."""
    if (pw is not None and not (type(pw) is str and _PLAIN_TOKEN.fullmatch(pw))) or not (
        type(mn) is str and _PLAIN_TOKEN.fullmatch(mn)
    ):
        return None
    if flag is not None and not (type(flag) is int and 0 <= flag <= 255):
        return None
    tail = "ST=91;CN=9014;" if pw is None else f"ST=91;CN=9014;PW={pw};"
    tail += f"MN={mn};" if flag is None else f"MN={mn};Flag={flag};"
    return (tail + "CP=&&&&").encode("utf-8")


def reply_frame(message: Message) -> bytes | None:
    """The encoded reply to a message from the field, or ``None``: ``encode(reply_for(message))``.

    A receiver sends one 9014 per upload (HJ 212-2017 C.16) whose only changing part is the QN:
    the rest of the segment (PW and MN echoed, Flag with the sender's version bits, empty CP) is
    made once per (PW, MN, Flag) and cached, and each reply is ``QN=`` + QN + that tail, framed
    with the length and CRC (§6.3.1). The bytes are those of ``encode`` (tested); anything
    unusual takes the general path, which raises :class:`EncodeError` as ``encode`` does.
    """
    cn = _reply_cn(message)
    if cn is None:
        return None
    if cn == CN_DATA_REPLY:
        # the 9014 without building its Message: QN, PW, MN echoed, reply Flag
        qn, pw, mn = message.qn, message.pw, message.mn
        tail = None
        if (qn is None or (type(qn) is str and _PLAIN_QN.fullmatch(qn) and qn.isascii())) and (
            isinstance(mn, str) and (pw is None or isinstance(pw, str))
        ):
            tail = _data_reply_tail(pw, mn, _reply_flag(message.flag))
        if tail is not None:
            data = tail if qn is None else b"QN=" + qn.encode("ascii") + b";" + tail
            return b"##%04d%s%04X\r\n" % (len(data), data, crc16_hj212(data))
    return encode(_reply(message, cn))


def heartbeat(*, st: str, mn: str, pw: str | None, qn: str | None = None, ack: bool = True) -> Message:
    """9015 heartbeat from the field (HJ 212-2025, version bits 000010). UNVERIFIED: CN, empty CP
    and the 9013 answer come from the ``caoyiliang/HJ212`` implementation, not the 2025 text."""
    return Message(qn=qn, st=st, cn=CN_HEARTBEAT, pw=pw, mn=mn, flag=make_flag(Edition.HJ212_2025, ack=ack))


def command(
    cn: str,
    *,
    st: str,
    mn: str,
    pw: str | None,
    qn: str,
    params: Mapping[str, str | datetime] | None = None,
    edition: Edition = Edition.HJ212_2017,
    ack: bool = True,
) -> Message:
    """A request from the upper computer (Flag = edition's version bits + A; the examples use 5)."""
    return Message(
        qn=qn,
        st=st,
        cn=cn,
        pw=pw,
        mn=mn,
        flag=make_flag(edition, ack=ack),
        cp=CP(params=dict(params or {})),
    )


def time_query(
    *,
    st: str,
    mn: str,
    pw: str | None,
    qn: str,
    pol_id: str | None = None,
    edition: Edition = Edition.HJ212_2017,
) -> Message:
    """1011 get field time (C.2), optionally of one instrument ``PolId``."""
    params = {"PolId": pol_id} if pol_id else {}
    return command("1011", st=st, mn=mn, pw=pw, qn=qn, params=params, edition=edition)


def time_set(
    *,
    st: str,
    mn: str,
    pw: str | None,
    qn: str,
    system_time: datetime,
    pol_id: str | None = None,
    edition: Edition = Edition.HJ212_2017,
) -> Message:
    """1012 set field time ``SystemTime`` (C.3), China time; also the answer that follows a 1013."""
    params: dict[str, str | datetime] = {"PolId": pol_id} if pol_id else {}
    params["SystemTime"] = system_time
    return command("1012", st=st, mn=mn, pw=pw, qn=qn, params=params, edition=edition)


def history_request(
    cn: str,
    *,
    st: str,
    mn: str,
    pw: str | None,
    qn: str,
    begin: datetime,
    end: datetime,
    edition: Edition = Edition.HJ212_2017,
) -> Message:
    """Pull stored data: CN 2051/2061/2031/2041 (or 3020) with ``BeginTime``/``EndTime`` (C.20-C.22).

    HJ 212-2017 has no separate history CN (no 2050/2060): the request uses the upload's CN, and
    ``begin == end`` asks for one period. The field answers 9011, one upload per period (new QN,
    DataTime = period start), then 9012 with this request's QN.

    Raises
    ------
    EncodeError
        ``cn`` is not a history command of ``cn_codes.csv`` or ``end`` is before ``begin``.
    """
    known = command_codes().get(cn)
    if known is None or not known.history:
        valid = sorted(code for code, c in command_codes().items() if c.history)
        raise EncodeError(f"CN {cn} is not a history request; use one of {', '.join(valid)}", field="CN")
    if end < begin:
        raise EncodeError("EndTime is before BeginTime", field="EndTime")
    return command(
        cn, st=st, mn=mn, pw=pw, qn=qn, params={"BeginTime": begin, "EndTime": end}, edition=edition
    )


def _field_value(suffix: str, value: object, name: str) -> Value:
    if isinstance(value, bool):
        raise EncodeError(f"{name} must not be a bool", field=name)
    if suffix in NUMERIC_FIELDS and not isinstance(value, float):
        if isinstance(value, int | str) or hasattr(value, "__float__"):
            try:
                return float(value)  # type: ignore[arg-type]
            except ValueError:
                raise EncodeError(f"{name}={value!r} is not a number", field=name) from None
        raise EncodeError(f"{name}={value!r} is not a number", field=name)
    if isinstance(value, float | str | datetime):
        return value
    if isinstance(value, int):
        return float(value)
    raise EncodeError(f"{name}={value!r} has an unsupported type {type(value).__name__}", field=name)


def data_upload(
    *,
    st: str,
    cn: str,
    mn: str,
    pw: str | None,
    data_time: datetime,
    factors: Mapping[str, Mapping[str, object]],
    qn: str | None = None,
    flag: int | None = None,
    params: Mapping[str, str | datetime] | None = None,
    edition: Edition = Edition.HJ212_2017,
    ack: bool = True,
) -> Message:
    """A data upload from the field (2011/2051/2061/2031...), as a logger or simulator sends it.

    Numeric fields (``Rtd``, ``Avg``...) given as int, str or Decimal become ``float``, so that
    ``decode(encode(m)) == m``. ``flag`` overrides ``edition``/``ack`` when given.
    """
    normal: dict[str, dict[str, Value]] = {}
    for code, fields in factors.items():
        normal[code] = {
            suffix: _field_value(suffix, value, f"{code}-{suffix}") for suffix, value in fields.items()
        }
    return Message(
        qn=qn,
        st=st,
        cn=cn,
        pw=pw,
        mn=mn,
        flag=make_flag(edition, ack=ack) if flag is None else flag,
        cp=CP(data_time=data_time, params=dict(params or {}), factors=normal),
    )
