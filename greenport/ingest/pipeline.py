"""Decoded HJ 212 upload -> observations in canonical units (the one place factor codes are mapped).

Routing (HJ 212-2017 Table 9, §6.6.3: DataTime is the start of the period for 2051/2061/2031/2041
and the sampling instant for 2011):

=====  =====================  ========  ============================
CN     upload                 period    value field (O2-corrected)
=====  =====================  ========  ============================
2011   real-time data         raw       ``-Rtd`` (``-ZsRtd``)
2051   minute data            minute    ``-Avg`` (``-ZsAvg``)
2061   hourly data            hour      ``-Avg`` (``-ZsAvg``)
2031   daily data             day       ``-Avg`` (``-ZsAvg``)
2041   equipment run time     day       ``SBx-RT`` [h]
3020   field information      raw       numeric ``-Info`` values
=====  =====================  ========  ============================

Factor codes map to canonical parameters with the protocol's table
(:func:`greenport.protocol.codes.factor_parameter`); values are converted to the parameter's
canonical unit (:func:`greenport.kernel.units.convert`). A code without a canonical parameter
(vendor codes such as ``a99948``, equipment ``SB1``, info ``i12001``) is kept under the parameter
name ``hj212:<code>`` in the device's own unit, so nothing a device sends is lost. Field
information (3020) about one instrument (``PolId``, HJ 212-2017 C.40) is kept per instrument, as
``hj212:<PolId>-<code>``, for every ``PolId`` group of the frame (``CP.groups``: loggers send
several instruments in one 3020 frame). Text ``-Info`` (logs) is not a value: it stays in the audit frame.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from greenport.kernel.parameters import canonical_unit, plausible_ranges
from greenport.kernel.time import PeriodKind
from greenport.kernel.units import convert
from greenport.monitoring.model import DeviceFlag, DeviceRef, Observation, is_late
from greenport.protocol import codes, factor_entries
from greenport.protocol.errors import FieldValueError
from greenport.protocol.messages import CP, Message
from greenport.storage.monitoring import measurement_entry, pack_measurements

#: CN -> period kind of the uploads that are stored as observations.
UPLOAD_PERIODS: dict[str, PeriodKind] = {
    "2011": PeriodKind.RAW,
    "2051": PeriodKind.MINUTE,
    "2061": PeriodKind.HOUR,
    "2031": PeriodKind.DAY,
    "2041": PeriodKind.DAY,
    "3020": PeriodKind.RAW,
}

#: Other CNs a device may send that are accepted (acknowledged when asked) but hold no values:
#: 2081 logger boot time, 2021/2022 equipment state notices, 1011 time upload, 1013 time-calibration
#: request, 3019 instrument id, 9011/9012/9013/9014 replies, 9015 heartbeat (2025).
ACCEPTED_WITHOUT_VALUES: frozenset[str] = frozenset(
    {"2081", "2021", "2022", "1011", "1013", "3019", "9011", "9012", "9013", "9014", "9015"}
)

_VALUE_FIELD = {
    PeriodKind.RAW: "Rtd",
    PeriodKind.MINUTE: "Avg",
    PeriodKind.HOUR: "Avg",
    PeriodKind.DAY: "Avg",
}
UNMAPPED_PREFIX = "hj212:"


@cache
def parameter_for(code: str, st: str | None) -> tuple[str, float]:
    """(parameter, scale to canonical unit) of a factor code under an ST; unmapped -> ``hj212:<code>``."""
    try:
        parameter, unit = codes.factor_parameter(code, st)
    except ValueError:
        return UNMAPPED_PREFIX + code, 1.0
    try:
        target = canonical_unit(parameter)
    except ValueError:
        return UNMAPPED_PREFIX + code, 1.0
    if unit == target or not unit:
        return parameter, 1.0
    try:
        return parameter, convert(1.0, unit, target)
    except ValueError:
        return parameter, 1.0  # same quantity written differently (e.g. "m3/h" vs "m³/h")


def _instrument(msg: Message, group: CP) -> str | None:
    """The instrument (``PolId``) a group of a 3020 field-information upload is about, or ``None``."""
    if msg.cn != "3020":
        return None
    pol_id = group.params.get("PolId")
    return pol_id if isinstance(pol_id, str) and pol_id else None


def _groups(cp: CP) -> tuple[CP, ...]:
    """The data area and its further ``PolId`` groups (HJ 212-2017 C.40), each stored."""
    return (cp, *cp.groups) if cp.groups else (cp,)


def _info_parameter(instrument: str, code: str) -> tuple[str, float]:
    """(parameter, scale) of an info code of one instrument: ``hj212:<PolId>-<code>``, as sent.

    Field information is per instrument (HJ 212-2017 C.40: ``PolId=w01018;i11001-Info=…``), so
    the same info code of two instruments, uploaded with one DataTime, is two values, not a
    re-sent one.
    """
    return f"{UNMAPPED_PREFIX}{instrument}-{code}", 1.0


def _num(value: object) -> float | None:
    """A numeric field as float (the codec already gives floats; text is parsed, else None)."""
    if type(value) is float:
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _upload_layout(msg: Message) -> tuple[PeriodKind, datetime, str, str] | None:
    """(period, UTC DataTime, value field, O2-corrected field or "") of an upload that is stored
    as observations (the table in the module docstring); ``None`` for other CNs.

    Raises
    ------
    FieldValueError
        An upload without ``DataTime``, or with one that has no UTC instant (``field="DataTime"``).
    """
    period = UPLOAD_PERIODS.get(msg.cn)
    if period is None:
        return None
    if msg.cp.data_time is None:
        raise FieldValueError(f"CN={msg.cn} upload without DataTime", field="DataTime")
    if msg.cn == "2041":
        name, zname = "RT", ""
    elif msg.cn == "3020":
        name, zname = "Info", ""
    else:
        name = _VALUE_FIELD[period]
        zname = "Zs" + name
    try:
        data_time = msg.cp.data_time.astimezone(UTC)
    except OverflowError:  # 0001-01-01 00:00 China time is before the first instant a datetime holds
        raise FieldValueError(
            f"DataTime {msg.cp.data_time.isoformat()} has no UTC instant", field="DataTime"
        ) from None
    return period, data_time, name, zname


def _factor_values(
    fields: Mapping[str, Any], name: str, zname: str, raw_period: bool, scale: float
) -> tuple[float | None, float | None, str | None, float | None, float | None, float | None] | None:
    """(value, O2-corrected value, flag text, min, max, cou) of one factor, values and min/max
    times ``scale`` (to the canonical unit; ``cou`` is an amount and stays as sent); ``None``
    when the factor carries neither a value nor a flag."""
    get = fields.get
    value = _num(get(name))
    zs = _num(get(zname)) if zname else None
    if value is None and raw_period:  # some loggers send -Avg in 2011
        value = _num(get("Avg"))
    flag_text = get("Flag")
    if type(flag_text) is not str:
        flag_text = None
    if value is None and zs is None and flag_text is None:
        return None
    minimum, maximum, cou = get("Min"), get("Max"), get("Cou")
    minimum = None if minimum is None else _num(minimum)
    maximum = None if maximum is None else _num(maximum)
    if scale != 1.0:
        value = None if value is None else value * scale
        zs = None if zs is None else zs * scale
        minimum = None if minimum is None else minimum * scale
        maximum = None if maximum is None else maximum * scale
    return value, zs, flag_text, minimum, maximum, None if cou is None else _num(cou)


def observations_of(
    msg: Message, device: DeviceRef, *, frame_id: int | None, received_at: datetime
) -> list[Observation]:
    """The observations a decoded upload carries (empty for CNs without values).

    Raises
    ------
    FieldValueError
        An upload without ``DataTime`` (``field="DataTime"``), or a value outside its
        parameter's plausible range (``field`` the wire field, e.g. ``a21004-Avg``).
    """
    layout = _upload_layout(msg)
    if layout is None:
        return []
    period, data_time, name, zname = layout
    late = is_late(period, data_time, received_at)
    raw_period = period is PeriodKind.RAW
    out: list[Observation] = []
    for group in _groups(msg.cp):
        instrument = _instrument(msg, group)
        for code, fields in group.factors.items():
            parameter, scale = (
                parameter_for(code, msg.st) if instrument is None else _info_parameter(instrument, code)
            )
            values = _factor_values(fields, name, zname, raw_period, scale)
            if values is None:
                continue
            value, zs, flag_text, minimum, maximum, cou = values
            _check_plausible(code, parameter, (value, None, zs, minimum, maximum), name, zname)
            out.append(
                Observation(
                    data_time,
                    device.id,
                    device.site_id,
                    period,
                    parameter,
                    value,
                    DeviceFlag.parse(flag_text),
                    zs,
                    minimum,
                    maximum,
                    cou,
                    frame_id,
                    late,
                    received_at,
                )
            )
    return out


#: Canonical parameter -> (low, high) [canonical unit] a value must lie in (kernel/data/parameter_ranges.csv).
_RANGES: dict[str, tuple[float, float]] = plausible_ranges()
#: Index of an entry's checked fields (:data:`~greenport.storage.monitoring.MEASUREMENT_FIELDS`)
#: -> the wire field's suffix (the value's own field name is given by the upload's layout).
_CHECKED_SUFFIX = {2: "Zs", 3: "Min", 4: "Max"}


def _check_plausible(code: str, parameter: str, values: Sequence[Any], name: str, zname: str) -> None:
    """Refuse a value no instrument can produce (outside ``_RANGES``) or that is not finite.

    ``values`` are an entry's first five fields (value, flag, zs_value, min_value, max_value)
    in the canonical unit.

    Raises
    ------
    FieldValueError
        ``field`` the wire field (``a21004-Avg``, ``a21004-ZsAvg``, ``a21004-Min``...).
    """
    bounds = _RANGES.get(parameter)
    for index, value in enumerate(values[:5]):
        if index == 1 or type(value) is not float:
            continue
        finite = value - value == 0.0
        if finite and (bounds is None or bounds[0] <= value <= bounds[1]):
            continue
        suffix = name if index == 0 else (zname or "Zs" + name) if index == 2 else _CHECKED_SUFFIX[index]
        field = f"{code}-{suffix}"
        if not finite:
            raise FieldValueError(f"{field}: {value!r} is not a finite number", field=field)
        assert bounds is not None
        unit = canonical_unit(parameter)
        raise FieldValueError(
            f"{field} = {value:g} {unit} is outside the plausible range of {parameter} "
            f"[{bounds[0]:g}, {bounds[1]:g}] {unit} (kernel/data/parameter_ranges.csv): no instrument "
            "produces it",
            field=field,
        )


def _check_entries(
    entries: Mapping[str, list[Any]],
    codes: Sequence[tuple[Mapping[str, Any], Mapping[str, tuple[str, float]]]],
    name: str,
    zname: str,
) -> None:
    """:func:`_check_plausible` of every entry of a reading, for the hot path: the common case
    (a value in range, no other field) costs a dict look-up and two comparisons. ``codes`` holds
    each PolId group's factors with its code -> (parameter, scale) table, to name the wire field."""
    ranges = _RANGES
    for parameter, entry in entries.items():
        bounds = ranges.get(parameter)
        if bounds is None:
            continue  # a code kept as sent (hj212:...): no range known; pack_measurements checks finiteness
        value = entry[0]
        if len(entry) == 2 and (value is None or bounds[0] <= value <= bounds[1]):
            continue
        code = next(
            (c for factors, params in codes for c in factors if params.get(c, ("",))[0] == parameter),
            parameter,
        )
        _check_plausible(code, parameter, entry, name, zname)


#: (ST, 3020 instrument) -> factor code -> (parameter, scale): :func:`parameter_for` (or
#: :func:`_info_parameter`) without the call, for the hot path.
_PARAMETERS: dict[tuple[str | None, str | None], dict[str, tuple[str, float]]] = {}
#: device flag text -> the letter stored (``DeviceFlag.parse``), for the hot path.
_FLAG_LETTERS: dict[str | None, str] = {None: "N", "": "N"} | {flag.value: flag.value for flag in DeviceFlag}


def reading_row(
    msg: Message,
    device: DeviceRef,
    *,
    frame_id: int | None,
    received_at: datetime,
    time_value: Callable[[datetime], Any],
) -> tuple[tuple[Any, ...] | None, datetime | None]:
    """The ingest hot path of :func:`observations_of`: the same values as the one row of
    ``observations`` they are stored as (``data_time, device_id, period, site_id, frame_id, late,
    received_at, n_values, measurements``; :func:`greenport.storage.monitoring_repo.reading_rows`
    gives the same row from the observations), instants converted once per frame with
    ``time_value`` (the storage dialect's), and the frame's UTC DataTime. The row is ``None`` for
    CNs without values and for uploads whose factors carry nothing; the time is ``None`` for CNs
    without values.

    Raises
    ------
    FieldValueError
        An upload without ``DataTime`` (``field="DataTime"``), a value that is not finite
        once converted to its canonical unit (``field`` the factor code), or a value outside its
        parameter's plausible range (``field`` the wire field, e.g. ``a21004-Avg``; checked here
        in Python on what either projection gave, for about 0.2 µs a value).
    """
    layout = _upload_layout(msg)
    if layout is None:
        return None, None
    period, data_time, name, zname = layout
    st = msg.st
    groups = _groups(msg.cp)
    letters = _FLAG_LETTERS
    raw_period = period is PeriodKind.RAW
    entries: dict[str, list[Any]] = {}
    codes: list[tuple[Mapping[str, Any], Mapping[str, tuple[str, float]]]] = []
    for group in groups:
        instrument = _instrument(msg, group)
        params = _PARAMETERS.get((st, instrument))
        if params is None:
            params = _PARAMETERS[st, instrument] = {}
        codes.append((group.factors, params))
        fast = factor_entries(group.factors, name, zname, params, letters)
        if fast is not None:
            if not entries:
                entries = fast
            else:  # a further PolId group: its instrument's names are its own
                for parameter, entry in fast.items():
                    entries.setdefault(parameter, entry)
            continue
        for code, fields in group.factors.items():
            # what the compiled projection declines: observations_of's rules, as entries
            found = params.get(code)
            if found is None:
                found = params[code] = (
                    parameter_for(code, st) if instrument is None else _info_parameter(instrument, code)
                )
            parameter, scale = found
            values = _factor_values(fields, name, zname, raw_period, scale)
            if values is None or parameter in entries:
                continue  # nothing sent; or a second code of one parameter (2005 and 2017): the first is kept
            value, zs, flag_text, minimum, maximum, cou = values
            letter = letters.get(flag_text)
            if letter is None:
                letter = DeviceFlag.parse(flag_text).value
            entries[parameter] = measurement_entry(value, letter, zs, minimum, maximum, cou)
    if not entries:
        return None, data_time
    _check_entries(entries, codes, name, zname)
    try:
        measurements = pack_measurements(entries)
    except ValueError as exc:
        bad = {
            name for name, entry in entries.items() if any(type(v) is float and v - v != 0.0 for v in entry)
        }
        code = next(
            code
            for group in groups
            for code in group.factors
            if _PARAMETERS[st, _instrument(msg, group)].get(code, ("",))[0] in bad
        )
        raise FieldValueError(f"{code}: {exc} once converted to the canonical unit", field=code) from None
    return (
        time_value(data_time),
        device.id,
        period.value,
        device.site_id,
        frame_id,
        1 if is_late(period, data_time, received_at) else 0,  # an int: binds faster than a bool
        time_value(received_at),
        len(entries),
        measurements,
    ), data_time
