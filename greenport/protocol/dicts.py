"""Messages as plain JSON-ready dicts and back (used by the CLI; handy for APIs and logs).

Shape (one level, so that a data upload is easy to write by hand)::

    {"qn": "20160801085000001", "st": "32", "cn": "2051", "pw": "123456",
     "mn": "010000A8900016F000169DC0", "flag": 5, "pnum": null, "pno": null,
     "data_time": "2016-08-01T08:40:00+08:00",
     "params": {"PolId": "w01018"},
     "factors": {"w01018": {"Avg": 40.1, "Flag": "N"}},
     "groups": [{"params": {"PolId": "w21001"}, "factors": {"i12001": {"Info": "1"}}}],
     "crc_variant": "hj212",
     # informative, ignored by message_from_dict:
     "edition": "2017", "ack_requested": true, "st_name": "...", "cn_name": "...", "notes": []}

Times are ISO 8601 with the +08:00 offset (China time); :func:`message_from_dict` also takes
N14 ``YYYYMMDDhhmmss`` and naive ISO times (taken as China time). ``flag`` absent means 5
(HJ 212-2017, reply wanted); ``null`` means no Flag field (2005 style). ``groups`` (``CP.groups``,
the further ``PolId`` groups of a 3020 upload, HJ 212-2017 C.40) is ``[]`` for the usual frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from greenport.kernel.time import CHINA_TZ
from greenport.protocol.codec import _parse_time
from greenport.protocol.codes import cn_name, st_name
from greenport.protocol.crc import CrcVariant
from greenport.protocol.errors import FieldValueError, FormatError
from greenport.protocol.messages import (
    CP,
    NUMERIC_FIELDS,
    TIME_FIELDS,
    TIME_PARAMS,
    Edition,
    Message,
    Value,
    make_flag,
)

#: Keys of the dict form that ``message_from_dict`` reads; the informative ones are ignored.
KEYS = (
    "qn",
    "st",
    "cn",
    "pw",
    "mn",
    "flag",
    "pnum",
    "pno",
    "data_time",
    "params",
    "factors",
    "groups",
    "crc_variant",
)
INFORMATIVE_KEYS = ("edition", "ack_requested", "st_name", "cn_name", "notes", "line")


def _jsonable(value: Value) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _items_to_dict(cp: CP) -> dict[str, Any]:
    return {
        "params": {name: _jsonable(value) for name, value in cp.params.items()},
        "factors": {
            code: {suffix: _jsonable(value) for suffix, value in fields.items()}
            for code, fields in cp.factors.items()
        },
    }


def message_to_dict(message: Message) -> dict[str, Any]:
    """A JSON-ready dict of ``message`` (see the module docstring for the shape)."""
    edition = message.edition
    return {
        "qn": message.qn,
        "st": message.st,
        "st_name": st_name(message.st),
        "cn": message.cn,
        "cn_name": cn_name(message.cn),
        "pw": message.pw,
        "mn": message.mn,
        "flag": message.flag,
        "pnum": message.pnum,
        "pno": message.pno,
        "edition": edition.value if edition else None,
        "ack_requested": message.ack_requested,
        "data_time": message.cp.data_time.isoformat() if message.cp.data_time else None,
        **_items_to_dict(message.cp),
        "groups": [_items_to_dict(group) for group in message.cp.groups],
        "crc_variant": message.crc_variant.value,
        "notes": list(message.notes),
    }


def _time(value: object, name: str) -> datetime:
    if isinstance(value, str):
        if value.isdigit():
            return _parse_time(value, name)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise FieldValueError(
                f"{name}={value!r} is neither ISO 8601 nor YYYYMMDDhhmmss", field=name
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)
    raise FieldValueError(f"{name} must be a time string, not {type(value).__name__}", field=name)


def _text(value: object, name: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldValueError(f"{name} must be text, not {type(value).__name__}", field=name)
    return str(value)


def _int(value: object, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldValueError(f"{name} must be an integer or null", field=name)
    return value


def _field(suffix: str, value: object, name: str) -> Value:
    if suffix in TIME_FIELDS:
        return _time(value, name)
    if suffix in NUMERIC_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise FieldValueError(f"{name} must be a number", field=name)
        try:
            return float(value)
        except ValueError:
            raise FieldValueError(f"{name}={value!r} is not a number", field=name) from None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise FieldValueError(f"{name}={value!r} must be text or a number", field=name)


def _items_from_dict(
    data: Mapping[str, Any],
) -> tuple[dict[str, str | datetime], dict[str, dict[str, Value]]]:
    """The params and factors of a message's dict or of one of its groups."""
    params_in = data.get("params") or {}
    factors_in = data.get("factors") or {}
    if not isinstance(params_in, Mapping) or not isinstance(factors_in, Mapping):
        raise FormatError("params and factors must be JSON objects", field="factors")
    params: dict[str, str | datetime] = {}
    for name, value in params_in.items():
        params[name] = _time(value, name) if name in TIME_PARAMS else str(_text(value, name))
    factors: dict[str, dict[str, Value]] = {}
    for code, fields in factors_in.items():
        if not isinstance(fields, Mapping):
            raise FormatError(f"factor {code} must map field names to values", field=code)
        factors[code] = {
            suffix: _field(suffix, value, f"{code}-{suffix}") for suffix, value in fields.items()
        }
    return params, factors


def message_from_dict(data: Mapping[str, Any]) -> Message:
    """The message a dict describes (the shape of :func:`message_to_dict`).

    Raises
    ------
    FormatError, FieldValueError
        A missing key (``st``, ``cn``, ``mn``), an unknown key or a value of the wrong kind.
    """
    if not isinstance(data, Mapping):
        raise FormatError("a message must be a JSON object", field="message")
    unknown = set(data) - set(KEYS) - set(INFORMATIVE_KEYS)
    if unknown:
        raise FormatError(
            f"unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(KEYS)}", field=min(unknown)
        )
    for key in ("st", "cn", "mn"):
        if data.get(key) is None:
            raise FormatError(f"key {key!r} is required", field=key)
    params, factors = _items_from_dict(data)
    groups_in = data.get("groups") or []
    if not isinstance(groups_in, list) or not all(isinstance(group, Mapping) for group in groups_in):
        raise FormatError("groups must be a JSON array of objects with params and factors", field="groups")
    groups = []
    for group in groups_in:
        unknown_in_group = set(group) - {"params", "factors"}
        if unknown_in_group:
            raise FormatError(
                f"unknown key(s) {', '.join(sorted(unknown_in_group))} in a group; known: params, factors",
                field="groups",
            )
        groups.append(CP(None, *_items_from_dict(group)))
    data_time = data.get("data_time")
    try:
        variant = CrcVariant(data.get("crc_variant") or CrcVariant.HJ212)
    except ValueError:
        raise FieldValueError(
            f"crc_variant must be one of {', '.join(v.value for v in CrcVariant)}", field="crc_variant"
        ) from None
    return Message(
        qn=_text(data.get("qn"), "qn", optional=True),
        st=str(_text(data["st"], "st")),
        cn=str(_text(data["cn"], "cn")),
        pw=_text(data.get("pw"), "pw", optional=True),
        mn=str(_text(data["mn"], "mn")),
        flag=_int(data["flag"], "flag") if "flag" in data else make_flag(Edition.HJ212_2017, ack=True),
        pnum=_int(data.get("pnum"), "pnum"),
        pno=_int(data.get("pno"), "pno"),
        cp=CP(
            data_time=None if data_time is None else _time(data_time, "data_time"),
            params=params,
            factors=factors,
            groups=tuple(groups),
        ),
        crc_variant=variant,
    )
