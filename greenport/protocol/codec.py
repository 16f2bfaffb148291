"""Decode frames to :class:`~greenport.protocol.messages.Message` and encode them back.

Frame (HJ 212-2017 §6.3.1 Table 2): ``##`` + 4-digit length + data segment + 4-hex CRC + CR LF.

Strict where it matters:
    the length must match the data segment (byte count, or the character count for non-ASCII
    text, monitoring reference §1.1); the CRC must match (HJ 212-2017 Appendix A) unless the
    caller allows a vendor variant for this device (then the variant is recorded); ``DataTime``
    and the other times must be valid N14 times; numeric fields must be finite numbers; ST, CN,
    QN, Flag, PNUM and PNO must be well-formed. Each failure is a :class:`ProtocolError` naming
    the field.

Lenient where the field is messy (monitoring reference §1.12):
    ``;`` or ``,`` between any two items (both are split on, in the header and in CP); a missing
    ``;`` before ``CP=`` (``Flag=5CP=&&``); empty items and a trailing ``;&&``; missing QN, Flag
    and PW (HJ/T 212-2005 style); spaces around names and values; lower-case or unpadded hex
    CRC; a missing CR LF; a 17-digit ``DataTime`` with milliseconds; header fields in any order
    (PNO before PNUM, QN after CN); a Flag whose bit D (HJ 212-2017 §6.3.2 Table 3: split upload)
    disagrees with PNUM/PNO; a bare ``Flag=N`` item in CP; several ``PolId`` groups in one data
    area (kept in ``CP.groups``). Every deviation tolerated leaves one line in ``Message.notes``.

Encoding is canonical: header in Table 3 order, ``;`` between items and ``,`` between the fields
of one factor, ``DataTime`` first, then the other items, then the factors, upper-case CRC, byte
count as length. ``decode(encode(m)) == m`` for every valid message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from itertools import compress, repeat
from typing import Any

from greenport.kernel.time import CHINA_TZ
from greenport.protocol.crc import CRC_FUNCTIONS, CrcVariant, crc16_hj212, speedups
from greenport.protocol.errors import (
    CrcError,
    EncodeError,
    FieldValueError,
    FormatError,
    FramingError,
    LengthError,
    QnRtn,
)
from greenport.protocol.messages import (
    CP,
    FLAG_PACKETS,
    NUMERIC_FIELDS,
    TIME_FIELDS,
    TIME_PARAMS,
    Message,
    Value,
)

#: Largest data segment the 4-digit length can announce. The standard says 0-1024 bytes; real
#: loggers send more (1025 and 1623 seen), so anything up to 9999 is accepted.
MAX_SEGMENT_LENGTH = 9999
#: The standard's own limit for a data segment (HJ 212-2017 §6.3.1 Table 2); longer ones get a note.
STANDARD_SEGMENT_LENGTH = 1024

_HEX_DIGITS = b"0123456789abcdefABCDEF"
_INF = math.inf
_HEADER_KEYS = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO")
_INFO_SPLIT = re.compile(r"//.*?//|[;,]", re.DOTALL)
_FORBIDDEN_IN_TOKEN = re.compile(r"[;,=&\r\n]|^\s|\s$")
_FORBIDDEN_IN_HEADER = re.compile(r"[;,=\r\n]|^\s|\s$")
_FORBIDDEN_IN_VALUE = re.compile(r"[;,\r\n]|//|^\s|\s$")
_NO_EXTRA: frozenset[CrcVariant] = frozenset()


# -- times --------------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _parse_time(text: str, name: str) -> datetime:
    """An N14 time ``YYYYMMDDhhmmss`` (or N17 with milliseconds), aware at UTC+08:00 (China time)."""
    if text.isdigit() and text.isascii():
        if len(text) == 14:
            iso = f"{text[:8]}T{text[8:]}+08:00"
        elif len(text) == 17:
            iso = f"{text[:8]}T{text[8:14]}.{text[14:]}+08:00"
        else:
            iso = ""
        if iso:
            try:
                return datetime.fromisoformat(iso)
            except ValueError as exc:
                raise FieldValueError(f"{name}={text!r} is not a valid time: {exc}", field=name) from None
    raise FieldValueError(f"{name}={text!r} is not a time YYYYMMDDhhmmss (N14)", field=name)


def format_time(moment: datetime) -> str:
    """A datetime as N14 ``YYYYMMDDhhmmss`` China time (+ 3 millisecond digits if it has any).

    Aware datetimes are converted to China time; naive ones are taken as China wall-clock time.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(CHINA_TZ)
    text = (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
        f"{moment.hour:02d}{moment.minute:02d}{moment.second:02d}"
    )
    if moment.microsecond:
        text += f"{moment.microsecond // 1000:03d}"
    return text


def make_qn(moment: datetime) -> str:
    """A QN ``YYYYMMDDhhmmsszzz`` (China time, milliseconds) for a request sent at ``moment``."""
    text = format_time(moment)
    return text if len(text) == 17 else text + "000"


# -- decoding -----------------------------------------------------------------------------------


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FieldValueError(f"{name}={text!r} is not a number", field=name) from None
    if not -_INF < value < _INF:
        raise FieldValueError(f"{name}={text!r} is not a finite number", field=name)
    return value


def _checked_number(text: str, name: str) -> float:
    """Like ``_number`` but also refuses what ``float`` accepts beyond plain ASCII decimals."""
    if not text.isascii() or "_" in text:
        raise FieldValueError(f"{name}={text!r} is not a number", field=name)
    return _number(text, name)


def _split_items(text: str) -> list[str]:
    """Split on ``;`` and ``,``, except inside ``//...//`` text (``-Info`` logs, C.40)."""
    if "//" not in text:
        return text.replace(",", ";").split(";")
    items: list[str] = []
    start = 0
    for match in _INFO_SPLIT.finditer(text):
        if match.group() in (";", ","):
            items.append(text[start : match.start()])
            start = match.end()
    items.append(text[start:])
    return items


def _decode_header(head: str, notes: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in head.replace(",", ";").split(";"):
        key, sep, value = part.partition("=")
        if not sep:
            if part.strip():
                raise FormatError(f"header item {part!r} has no '='", field=part.strip()[:20])
            continue
        if key not in _HEADER_SET:
            stripped = key.strip()
            if stripped not in _HEADER_SET:
                raise FormatError(f"unknown header field {stripped!r}", field=stripped or "header")
            key = stripped
        value = value.strip()
        if key in fields:
            raise FormatError(f"header field {key} given twice", field=key)
        fields[key] = value
    order = list(fields)
    if order != sorted(order, key=_HEADER_KEYS.index):
        notes.append(f"header fields not in HJ 212-2017 Table 3 order: {', '.join(order)}")
    return fields


def _note_packets(flag: int | None, pnum: int | None, pno: int | None, notes: list[str]) -> None:
    """Note a Flag bit D that disagrees with PNUM/PNO (HJ 212-2017 §6.3.2 Table 3).

    Bit D (value 2) of Flag says the upload is split and PNUM (packets in all) and PNO (this
    packet's number) follow; loggers set D without them, or send them without D (or without any
    Flag). The frame is decoded as sent (PNUM/PNO as given, ``None`` when absent). D without
    PNUM/PNO is noted from HJ 212-2017 on (version bits >= 1): HJ/T 212-2005's own examples send
    ``Flag=3`` requests without them.
    """
    split = flag is not None and bool(flag & FLAG_PACKETS)
    if pnum is None and pno is None:
        if split and flag is not None and flag >> 2:
            notes.append(f"Flag={flag} sets bit D (split upload) but PNUM/PNO are missing")
        return
    if flag is None:
        notes.append("PNUM/PNO given without Flag (bit D marks a split upload)")
    elif not split:
        notes.append(f"PNUM/PNO given but Flag={flag} does not set bit D (split upload)")
    if pnum is None or pno is None:
        notes.append(f"{'PNO' if pnum is None else 'PNUM'} given without {'PNUM' if pnum is None else 'PNO'}")


_HEADER_SET = frozenset(_HEADER_KEYS)


def _int_field(fields: dict[str, str], key: str, hint: QnRtn, upper: int) -> int | None:
    text = fields.get(key)
    if text is None:
        return None
    if not (text.isdigit() and text.isascii() and len(text) <= 4) or int(text) > upper:
        raise FieldValueError(f"{key}={text!r} is not an integer 0..{upper}", field=key, reply_hint=hint)
    return int(text)


_NOT_ITEM_SEPARATOR = bytes(b for b in range(256) if b not in b";=")


@lru_cache(maxsize=256)
def _plain_pattern(count: int) -> bytes:
    """The separators of ``count`` items ``name=value`` joined by ``;``."""
    return b";".join([b"="] * count)


#: A factor layout (the item names of a data area, in order), computed once per layout seen:
#: ``(codes, suffixes, numeric mask, uniform)``; ``uniform`` is ``(width, suffixes of one factor,
#: codes of the factors, numeric columns)`` when every factor lists the same fields in the same
#: order (the usual upload), else ``None``. ``False`` marks names that are not all ``code-Field``.
_Layout = tuple[list[str], list[str], list[bool], tuple[int, tuple[str, ...], list[str], list[int]] | None]
_LAYOUTS: dict[str, _Layout | bool] = {}
_MAX_LAYOUTS = 4096


def _layout(names: list[str]) -> _Layout | bool:
    codes: list[str] = []
    suffixes: list[str] = []
    for name in names:
        code, dash, suffix = name.rpartition("-")
        if not (dash and code and suffix) or suffix in TIME_FIELDS:
            return False
        codes.append(code)
        suffixes.append(suffix)
    if len(set(zip(codes, suffixes, strict=True))) != len(codes):
        return False  # a field given twice: the item-by-item path notes it
    mask = [suffix in NUMERIC_FIELDS for suffix in suffixes]
    width = 1
    while width < len(codes) and codes[width] == codes[0]:
        width += 1
    uniform = None
    heads = codes[0::width]
    fields = tuple(suffixes[:width])
    if (
        len(codes) % width == 0
        and len(set(heads)) == len(heads)
        and all(codes[j::width] == heads for j in range(width))
        and all(suffixes[j::width].count(fields[j]) == len(heads) for j in range(width))
    ):
        uniform = (width, fields, heads, [j for j in range(width) if fields[j] in NUMERIC_FIELDS])
    return codes, suffixes, mask, uniform


def _fast_cp(text: str) -> CP | None:
    """The common case: ``DataTime`` then ``code-Field=value`` items, without per-item parsing.

    The item names are looked up in a cache of layouts (a device sends the same factors in the
    same order every time), so a frame costs a few C-level ``split``/``map`` calls. Returns
    ``None`` for anything else (other items, empty items, bad values, duplicates);
    :func:`_decode_cp` then parses item by item and reports precisely.
    """
    data_time: datetime | None = None
    if text.startswith("DataTime="):
        cut = text.find(";")
        comma = text.find(",")
        if cut < 0 or 0 <= comma < cut:
            cut = comma
        if cut < 0:
            raw, text = text[9:], ""
        else:
            raw, text = text[9:cut], text[cut + 1 :]
        if len(raw) != 14:
            return None
        data_time = _parse_time(raw, "DataTime")
        if not text:
            return _cp(data_time, {}, {})
    flat = text.replace(",", ";")
    tokens = flat.replace("=", ";").split(";")
    count = len(tokens) >> 1
    if flat.encode("ascii").translate(None, _NOT_ITEM_SEPARATOR) != _plain_pattern(count):
        return None  # not exactly one '=' per item
    names = tokens[0::2]
    key = ";".join(names)
    layout = _LAYOUTS.get(key)
    if layout is None:
        if len(_LAYOUTS) >= _MAX_LAYOUTS:
            _LAYOUTS.clear()
        layout = _LAYOUTS[key] = _layout(names)
    if layout is False or layout is True:
        return None
    codes, suffixes, mask, uniform = layout
    values: list[Value] = tokens[1::2]  # type: ignore[assignment]
    factors: dict[str, dict[str, Value]]
    try:
        if uniform is not None:
            width, fields, heads, numeric = uniform
            for j in numeric:
                column = list(map(float, values[j::width]))  # type: ignore[arg-type]
                total = sum(column)
                if total - total:  # a NaN or an infinity (or an overflow: re-checked item by item)
                    return None
                values[j::width] = column
            rows = zip(*[iter(values)] * width, strict=True)
            factors = dict(zip(heads, map(dict, map(zip, repeat(fields), rows)), strict=True))
            return _cp(data_time, {}, factors)
        values = [float(v) if m else v for v, m in zip(values, mask, strict=True)]  # type: ignore[arg-type]
    except ValueError:
        return None
    total = sum(compress(values, mask))  # type: ignore[arg-type]
    if total - total:
        return None
    factors = {}
    get = factors.get
    for code, suffix, value in zip(codes, suffixes, values, strict=True):
        entry = get(code)
        if entry is None:
            factors[code] = {suffix: value}
        else:
            entry[suffix] = value
    return _cp(data_time, {}, factors)


def _decode_cp(text: str, notes: list[str]) -> CP:
    if (
        text
        and text.isascii()
        and "_" not in text
        and "//" not in text
        and "&" not in text
        and " " not in text
        and text.isprintable()
    ):
        cp = _fast_cp(text)
        if cp is not None:
            return cp
    return _decode_cp_items(text, notes)


def _decode_cp_items(text: str, notes: list[str]) -> CP:
    """The general path: item by item, lenient, with precise errors and notes.

    A ``PolId`` item when the current group already has one starts the next instrument's group
    (``CP.groups``; HJ 212-2017 C.40 field information is per instrument), so several groups in
    one 3020 frame are all kept instead of the last overwriting the others.
    """
    loose = " " in text or "\t" in text or not text.isprintable()
    strict_numbers = not text.isascii() or "_" in text
    number = _checked_number if strict_numbers else _number
    data_time: datetime | None = None
    params: dict[str, str | datetime] = {}
    factors: dict[str, dict[str, Value]] = {}
    first_params, first_factors = params, factors
    groups: list[tuple[dict[str, str | datetime], dict[str, dict[str, Value]]]] = []
    for item in _split_items(text):
        name, sep, raw = item.partition("=")
        if loose:
            name = name.strip()
            raw = raw.strip()
        if not sep:
            if name:
                raise FormatError(f"CP item {item.strip()!r} has no '='", field=name[:40])
            continue
        if not name:
            raise FormatError(f"CP item {item.strip()!r} has no name", field="CP")
        if "&" in name:
            raise FormatError(f"CP item name {name!r} holds '&'", field=name)
        code, dash, suffix = name.rpartition("-")
        value: Value
        if dash:
            if loose:
                code = code.strip()
                suffix = suffix.strip()
            if not code or not suffix:
                raise FormatError(f"CP item name {name!r} is not 'code-Field'", field=name)
            if suffix in NUMERIC_FIELDS:
                value = number(raw, name)
            elif suffix in TIME_FIELDS:
                value = _parse_time(raw, name)
            else:
                value = raw
            fields = factors.get(code)
            if fields is None:
                factors[code] = {suffix: value}
            else:
                if suffix in fields:
                    notes.append(f"{name} given twice; the last value is kept")
                fields[suffix] = value
        elif name == "DataTime":
            if data_time is not None:
                raise FormatError("DataTime given twice", field="DataTime")
            data_time = _parse_time(raw, "DataTime")
            if len(raw) == 17:
                notes.append("DataTime has milliseconds (17 digits)")
        else:
            if name == "PolId" and name in params:
                params, factors = {}, {}
                groups.append((params, factors))
            elif name in params:
                notes.append(f"{name} given twice; the last value is kept")
            elif name == "Flag":
                notes.append(
                    f"CP item 'Flag={raw}' names no factor (HJ 212-2017 Table 4: code-Flag); kept as an item"
                )
            params[name] = _parse_time(raw, name) if name in TIME_PARAMS else raw
    if not groups:
        return CP(data_time, params, factors)
    notes.append(f"{len(groups) + 1} PolId groups in one data area (HJ 212-2017 C.40 shows one); all kept")
    return CP(data_time, first_params, first_factors, tuple(CP(None, p, f) for p, f in groups))


def _build_message(fields: dict[str, str], cp: CP, variant: CrcVariant, notes: list[str]) -> Message:
    st = fields.get("ST")
    if st is None:
        raise FormatError("the header has no ST", field="ST", reply_hint=QnRtn.ST_ERROR)
    if not (st.isalnum() and st.isascii()):
        raise FieldValueError(f"ST={st!r} is not a system code", field="ST", reply_hint=QnRtn.ST_ERROR)
    cn = fields.get("CN")
    if cn is None:
        raise FormatError("the header has no CN", field="CN", reply_hint=QnRtn.CN_ERROR)
    if not (cn.isdigit() and cn.isascii()):
        raise FieldValueError(f"CN={cn!r} is not a command code", field="CN", reply_hint=QnRtn.CN_ERROR)
    mn = fields.get("MN")
    if mn is None:
        raise FormatError("the header has no MN", field="MN", reply_hint=QnRtn.MN_ERROR)
    qn = fields.get("QN")
    if qn is not None and not (qn.isdigit() and qn.isascii() and len(qn) <= 20):
        raise FieldValueError(f"QN={qn!r} is not a request number", field="QN", reply_hint=QnRtn.QN_ERROR)
    flag = _int_field(fields, "Flag", QnRtn.FLAG_ERROR, 255)
    pnum = _int_field(fields, "PNUM", QnRtn.REJECTED, 9999) if "PNUM" in fields else None
    pno = _int_field(fields, "PNO", QnRtn.REJECTED, 9999) if "PNO" in fields else None
    _note_packets(flag, pnum, pno, notes)
    return Message(
        qn=qn,
        st=st,
        cn=cn,
        pw=fields.get("PW"),
        mn=mn,
        flag=flag,
        pnum=pnum,
        pno=pno,
        cp=cp,
        crc_variant=variant,
        notes=tuple(notes) if notes else (),
    )


_new = object.__new__
_MESSAGE_SETTERS = tuple(
    Message.__dict__[name].__set__
    for name in ("qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno", "cp", "crc_variant", "notes")
)
_CP_SETTERS = tuple(CP.__dict__[name].__set__ for name in ("data_time", "params", "factors", "groups"))


(
    _set_qn,
    _set_st,
    _set_cn,
    _set_pw,
    _set_mn,
    _set_flag,
    _set_pnum,
    _set_pno,
    _set_cp,
    _set_variant,
    _set_notes,
) = _MESSAGE_SETTERS


def _message(
    qn: str | None,
    st: str,
    cn: str,
    pw: str | None,
    mn: str,
    flag: int | None,
    pnum: int | None,
    pno: int | None,
    cp: CP,
    variant: CrcVariant,
    notes: tuple[str, ...],
) -> Message:
    """``Message(...)`` without the keyword-argument overhead of the frozen dataclass (hot path)."""
    message: Message = _new(Message)
    _set_qn(message, qn)
    _set_st(message, st)
    _set_cn(message, cn)
    _set_pw(message, pw)
    _set_mn(message, mn)
    _set_flag(message, flag)
    _set_pnum(message, pnum)
    _set_pno(message, pno)
    _set_cp(message, cp)
    _set_variant(message, variant)
    _set_notes(message, notes)
    return message


def _cp(
    data_time: datetime | None, params: dict[str, str | datetime], factors: dict[str, dict[str, Value]]
) -> CP:
    cp: CP = _new(CP)
    set_time, set_params, set_factors, set_groups = _CP_SETTERS
    set_time(cp, data_time)
    set_params(cp, params)
    set_factors(cp, factors)
    set_groups(cp, ())
    return cp


#: The usual header in Table 3 order (QN, Flag, PW and PNUM/PNO optional); anything else takes
#: the general, item-by-item path.
_PLAIN_HEADER = re.compile(
    r"(?:QN=([0-9]{1,20});)?ST=([0-9A-Za-z]+);CN=([0-9]+);(?:PW=([^;,=&\s]*);)?MN=([^;,=&\s]*);"
    r"(?:Flag=([0-9]{1,3});)?(?:PNUM=([0-9]{1,4});PNO=([0-9]{1,4});)?"
)


def _decode_text(segment: str, variant: CrcVariant, notes: list[str]) -> Message:
    cp_at = segment.find("CP=&&")
    if cp_at < 0:
        raise FormatError("the data segment has no 'CP=&&'", field="CP")
    if not segment.endswith("&&") or len(segment) < cp_at + 7:
        raise FormatError("the data area does not end with '&&'", field="CP")
    head = segment[:cp_at]
    plain = _PLAIN_HEADER.fullmatch(head)
    if plain is not None:
        qn, st, cn, pw, mn, flag, pnum, pno = plain.groups()
        flag_value = None if flag is None else int(flag)
        if flag_value is None or flag_value <= 255:
            cp = _decode_cp(segment[cp_at + 5 : -2], notes)
            pnum_value = None if pnum is None else int(pnum)
            pno_value = None if pno is None else int(pno)
            if pnum is not None or (flag_value is not None and flag_value & FLAG_PACKETS and flag_value >> 2):
                _note_packets(flag_value, pnum_value, pno_value, notes)
            return _message(
                qn,
                st,
                cn,
                pw,
                mn,
                flag_value,
                pnum_value,
                pno_value,
                cp,
                variant,
                tuple(notes) if notes else (),
            )
    if head and head[-1] not in ";,":
        notes.append("no ';' before CP=")
    fields = _decode_header(head, notes)
    cp = _decode_cp(segment[cp_at + 5 : -2], notes)
    return _build_message(fields, cp, variant, notes)


def _segment_text(segment: bytes, notes: list[str]) -> str:
    try:
        return segment.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = segment.decode("gb18030")
    except UnicodeDecodeError:
        raise FormatError("the data segment is neither UTF-8 nor GB18030 text", field="segment") from None
    notes.append("text decoded as GB18030, not UTF-8")
    return text


def decode_segment(segment: str | bytes) -> Message:
    """Decode a bare data segment (no ``##``, length, CRC), e.g. an example of Appendix C.

    Raises
    ------
    ProtocolError
        On a syntax or value error, naming the field.
    """
    notes: list[str] = []
    text = segment if isinstance(segment, str) else _segment_text(bytes(segment), notes)
    return _decode_text(text.strip(), CrcVariant.HJ212, notes)


def _diagnose(body: bytes, declared: int, raw: bytes) -> tuple[bytes, bytes, str | None]:
    """Where the segment really ends when the declared length does not fit; raise if hopeless.

    ``body`` is what follows the 4-digit length (HJ 212-2017 §6.3.1 Table 2: data segment, then
    a 4-character CRC). The segment ends with the ``&&`` closing its data area (§6.3.2). When
    that ``&&`` is missing (the last ``&&`` is the one of ``CP=&&``), the segment is taken as
    everything before the 4 CRC characters, so a wrong length is reported with the length the
    segment really has, not the length up to ``CP=&&``.
    """
    end = body.rfind(b"&&")
    opening = body.find(b"CP=&&")
    if end < 0 or (opening >= 0 and end == opening + 3):
        unclosed = max(len(body) - 4, 0)
        if unclosed != declared:
            raise LengthError(
                f"declared length {declared:04d} but the data segment has {unclosed} bytes"
                " (taken up to the 4-character CRC: its data area is not closed with '&&')",
                field="length",
                raw=raw,
                declared=declared,
                actual=unclosed,
            )
        raise FormatError("the data segment does not end with '&&'", field="CP", raw=raw)
    segment, crc_text = body[: end + 2], body[end + 2 :]
    if len(segment) == declared:
        return segment, crc_text, None
    try:
        chars = len(segment.decode("utf-8"))
    except UnicodeDecodeError:
        chars = -1
    if chars == declared:
        return segment, crc_text, "length counts characters, not bytes"
    raise LengthError(
        f"declared length {declared:04d} but the data segment has {len(segment)} bytes",
        field="length",
        raw=raw,
        declared=declared,
        actual=len(segment),
    )


if speedups is not None:
    speedups.configure(
        NUMERIC_FIELDS, TIME_FIELDS, Message, CP, CrcVariant.HJ212, _parse_time("20000101000000", "").tzinfo
    )
    _scan_frame = speedups.scan_frame
else:  # pragma: no cover - only without the compiled extension
    _scan_frame = None

#: Whether :func:`decode` uses the compiled fast path for plain upload frames.
COMPILED: bool = _scan_frame is not None


def _no_factor_entries(
    factors: Mapping[str, Mapping[str, Value]],
    value_field: str,
    corrected_field: str,
    codes: dict[str, tuple[str, float]],
    flags: dict[str | None, str],
) -> dict[str, list[Any]] | None:
    return None


#: ``factor_entries(factors, value_field, corrected_field, codes, flags)``: the usual factors of a
#: CP (only ``value_field``, ``corrected_field`` and ``Flag``, values floats) projected through a
#: code table ``code -> (name, scale)`` and a flag table, as ``{name: [value * scale, letter]}``
#: (``+ [corrected * scale]`` when sent), the first code of a name kept; ``None`` when anything is
#: not usual, and always ``None`` without the compiled extension: the caller's own Python loop is
#: the reference (``greenport.ingest.pipeline.reading_row``, tested equal).
factor_entries: Callable[
    [Mapping[str, Mapping[str, Value]], str, str, dict[str, tuple[str, float]], dict[str | None, str]],
    dict[str, list[Any]] | None,
] = speedups.factor_entries if speedups is not None else _no_factor_entries  # type: ignore[assignment]


def decode(
    frame: bytes | bytearray | memoryview | str,
    *,
    allow_crc_variants: Collection[CrcVariant] = _NO_EXTRA,
) -> Message:
    """Decode one frame ``##LLLL<segment>CCCC\\r\\n`` (HJ 212-2017 §6.3.1) into a :class:`Message`.

    The plain upload frame (printable ASCII, header in Table 3 order, ``DataTime`` and
    ``code-Field=value`` items, the standard's CRC) is split by the compiled extension when it is
    built (:data:`COMPILED`); every other frame, and every error, goes through
    :func:`decode_python`, the reference. Both give equal messages and equal errors (tested).
    See :func:`decode_python` for the parameters and the errors raised.
    """
    if _scan_frame is not None and type(frame) is bytes:
        message = _scan_frame(frame)
        if message is not None:
            return message
    return decode_python(frame, allow_crc_variants=allow_crc_variants)


def decode_python(
    frame: bytes | bytearray | memoryview | str,
    *,
    allow_crc_variants: Collection[CrcVariant] = _NO_EXTRA,
) -> Message:
    """Decode one frame ``##LLLL<segment>CCCC\\r\\n`` (HJ 212-2017 §6.3.1) into a :class:`Message`.

    Parameters
    ----------
    frame
        One whole frame; the trailing CR LF is optional. ``str`` is encoded as UTF-8.
    allow_crc_variants
        CRC variants accepted *besides* the standard's (``{CrcVariant.MODBUS_SWAPPED}`` for a
        device known to send it). The variant found is recorded in ``Message.crc_variant``.

    Raises
    ------
    FramingError
        No ``##`` header.
    LengthError
        The length is not 4 digits or does not match the segment.
    CrcError
        The CRC is missing, not hex, or wrong (``reply_hint`` QnRtn 9).
    FormatError, FieldValueError
        Syntax or value errors inside the segment, naming the field.
    """
    if type(frame) is not bytes:
        frame = frame.encode("utf-8") if isinstance(frame, str) else bytes(frame)
    end = len(frame)
    if frame.endswith(b"\n"):
        end -= 2 if frame.endswith(b"\r\n") else 1
    if frame[:2] != b"##":
        raise FramingError("a frame starts with '##'", field="header", raw=frame)
    length_text = frame[2:6]
    if not (len(length_text) == 4 and length_text.isdigit()):
        raise LengthError(f"length {length_text!r} is not 4 digits", field="length", raw=frame)
    declared = int(length_text)
    notes: list[str] = []
    if declared > STANDARD_SEGMENT_LENGTH:
        notes.append(f"data segment longer than {STANDARD_SEGMENT_LENGTH} bytes (HJ 212-2017 Table 2)")
    seg_end = 6 + declared
    crc_text = frame[seg_end:end]
    if 0 < len(crc_text) <= 4 and frame[seg_end - 2 : seg_end] == b"&&" and seg_end - 2 >= 6:
        segment = frame[6:seg_end]
    else:
        segment, crc_text, note = _diagnose(frame[6:end], declared, frame)
        if note:
            notes.append(note)
    if not crc_text or len(crc_text) > 4 or crc_text.translate(None, _HEX_DIGITS):
        raise CrcError(f"CRC {crc_text!r} is not 1-4 hex digits", field="CRC", raw=frame)
    declared_crc = int(crc_text, 16)
    if len(crc_text) < 4:
        notes.append("CRC not zero-padded")
    variant = CrcVariant.HJ212
    computed = crc16_hj212(segment)
    if computed != declared_crc:
        for other in CRC_FUNCTIONS:  # declaration order, so that the answer is deterministic
            if (
                other in allow_crc_variants
                and other is not CrcVariant.HJ212
                and CRC_FUNCTIONS[other](segment) == declared_crc
            ):
                variant = other
                break
        else:
            raise CrcError(
                f"CRC {crc_text.decode('ascii')} does not match the data segment (HJ 212 CRC {computed:04X})",
                field="CRC",
                raw=frame,
                declared=crc_text.decode("ascii"),
                computed=f"{computed:04X}",
            )
    try:
        text = segment.decode("utf-8")
    except UnicodeDecodeError:
        text = _segment_text(segment, notes)
    try:
        return _decode_text(text, variant, notes)
    except (FormatError, FieldValueError) as exc:
        exc.raw = frame
        raise


# -- encoding -----------------------------------------------------------------------------------


def _token(value: object, name: str, *, empty: bool = True, header: bool = False) -> str:
    if not isinstance(value, str):
        raise EncodeError(f"{name} must be text, not {type(value).__name__}", field=name)
    forbidden = _FORBIDDEN_IN_HEADER if header else _FORBIDDEN_IN_TOKEN
    if (not value and not empty) or forbidden.search(value):
        raise EncodeError(f"{name}={value!r} is empty or holds a separator (; , = &)", field=name)
    return value


def format_number(value: float | int | Decimal, name: str = "value") -> str:
    """A number as HJ 212 text: shortest round-tripping decimal, no exponent, no ``.0``."""
    if isinstance(value, bool):
        raise EncodeError(f"{name} must be a number, not a bool", field=name)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise EncodeError(f"{name}={value} is not finite", field=name)
        return format(value, "f")
    if not isinstance(value, float) or not -_INF < value < _INF:
        raise EncodeError(f"{name}={value!r} is not a finite number", field=name)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        text = format(Decimal(text), "f")
    return text


def _value(value: Value, name: str, suffix: str) -> str:
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, str):
        try:
            if suffix in NUMERIC_FIELDS:
                _checked_number(value, name)
            elif suffix in TIME_FIELDS:
                _parse_time(value, name)
        except FieldValueError as exc:
            raise EncodeError(exc.message, field=name) from None
        if value.startswith("//") and value.endswith("//") and len(value) >= 4:
            inner = value[2:-2]  # ``//text//`` may hold ; and , (HJ 212-2017 C.40 logs)
            if "//" in inner or "\r" in inner or "\n" in inner:
                raise EncodeError(f"{name}: //text// holds '//' or a line break", field=name)
            return value
        if _FORBIDDEN_IN_VALUE.search(value):
            raise EncodeError(f"{name}={value!r} holds a separator (; , // or a line break)", field=name)
        return value
    return format_number(value, name)


def _encode_cp(cp: CP) -> str:
    items: list[str] = []
    if cp.data_time is not None:
        items.append("DataTime=" + format_time(cp.data_time))
    _encode_items(cp, items)
    if cp.groups and "PolId" not in cp.params:
        raise EncodeError("a CP with further PolId groups needs a PolId of its own", field="PolId")
    for group in cp.groups:
        if group.data_time is not None or group.groups or next(iter(group.params), None) != "PolId":
            raise EncodeError(
                "a PolId group has no DataTime nor groups of its own and its params begin with PolId",
                field="PolId",
            )
        _encode_items(group, items)
    return ";".join(items)


def _encode_items(cp: CP, items: list[str]) -> None:
    """Append the items of ``cp`` (params, then factors) to ``items``, checked as in the module docstring."""
    for name, param in cp.params.items():
        _token(name, "CP item name", empty=False)
        if "-" in name or name == "DataTime":
            raise EncodeError(f"CP item {name!r} belongs in factors or data_time", field=name)
        if name in TIME_PARAMS and not isinstance(param, datetime):
            try:
                _parse_time(str(param), name)
            except FieldValueError as exc:
                raise EncodeError(exc.message, field=name) from None
        items.append(f"{name}={_value(param, name, '')}")
    for code, fields in cp.factors.items():
        _token(code, "factor code", empty=False)
        if not fields:
            raise EncodeError(f"factor {code} has no fields", field=code)
        parts = []
        for suffix, value in fields.items():
            name = f"{code}-{suffix}"
            _token(suffix, name, empty=False)
            if "-" in suffix:
                raise EncodeError(f"field suffix {suffix!r} holds '-'", field=name)
            parts.append(f"{name}={_value(value, name, suffix)}")
        items.append(",".join(parts))


def encode_segment(msg: Message) -> str:
    """The data segment of ``msg`` as text (canonical form, see the module docstring)."""
    parts: list[str] = []
    if msg.qn is not None:
        if not (isinstance(msg.qn, str) and msg.qn.isdigit() and msg.qn.isascii() and len(msg.qn) <= 20):
            raise EncodeError(f"QN={msg.qn!r} must be up to 20 digits", field="QN")
        parts.append("QN=" + msg.qn)
    st = _token(msg.st, "ST", empty=False)
    if not (st.isalnum() and st.isascii()):
        raise EncodeError(f"ST={st!r} must be letters and digits", field="ST")
    cn = _token(msg.cn, "CN", empty=False)
    if not (cn.isdigit() and cn.isascii()):
        raise EncodeError(f"CN={cn!r} must be digits", field="CN")
    parts.append("ST=" + st)
    parts.append("CN=" + cn)
    if msg.pw is not None:
        parts.append("PW=" + _token(msg.pw, "PW", header=True))
    parts.append("MN=" + _token(msg.mn, "MN", header=True))
    for key, value, upper in (("Flag", msg.flag, 255), ("PNUM", msg.pnum, 9999), ("PNO", msg.pno, 9999)):
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= upper:
                raise EncodeError(f"{key}={value!r} must be an integer 0..{upper}", field=key)
            parts.append(f"{key}={value}")
    parts.append("CP=&&" + _encode_cp(msg.cp) + "&&")
    return ";".join(parts)


def encode(msg: Message) -> bytes:
    """The frame of ``msg``: ``##`` + byte length + segment + CRC (``msg.crc_variant``) + CR LF.

    Raises
    ------
    EncodeError
        A field that cannot be written (a separator inside a value, a non-finite number, a
        segment longer than 9999 bytes...).
    """
    data = encode_segment(msg).encode("utf-8")
    if len(data) > MAX_SEGMENT_LENGTH:
        raise EncodeError(f"data segment of {len(data)} bytes exceeds {MAX_SEGMENT_LENGTH}", field="length")
    crc = CRC_FUNCTIONS[msg.crc_variant](data)
    return b"##%04d%s%04X\r\n" % (len(data), data, crc)
