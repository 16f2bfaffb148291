"""The ingest hot path gives what the plain path gives: the reading row = the observations of
``observations_of`` as the writer stores them (and they come back out of it unchanged), cached 9014 replies = ``encode(reply_for(msg))``
byte for byte (real packets of hj212_packets.csv and generated ones)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenport.ingest.pipeline import UPLOAD_PERIODS, observations_of, reading_row
from greenport.ingest.simulator import frame_bytes
from greenport.monitoring.model import DeviceRef, Observation
from greenport.protocol import (
    CrcVariant,
    FieldValueError,
    Message,
    ProtocolError,
    decode,
    encode,
    reply_for,
    reply_frame,
)
from greenport.storage.monitoring_repo import observations_in, reading_rows, time_value_for

from .test_packets import PACKETS

DEVICE = DeviceRef(id=3, mn="GPGAS01", site_id=9, password_hash="", crc_variant="hj212")
RECEIVED = datetime(2022, 3, 15, 1, 10, tzinfo=UTC)


def plain_rows(observations: list[Observation], tv: Any) -> list[tuple[Any, ...]]:
    """The rows ``BatchWriter.submit`` makes of domain observations (the plain path)."""
    return reading_rows(observations, tv)


def first_per_parameter(observations: list[Observation]) -> list[Observation]:
    """What the table keeps of them: the first value of each parameter, by parameter name."""
    kept: dict[str, Observation] = {}
    for o in observations:
        kept.setdefault(o.parameter, o)
    return [kept[name] for name in sorted(kept)]


def packets() -> list[Message]:
    """Every packet of the CSV that decodes (with any CRC variant)."""
    out = []
    with PACKETS.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                out.append(decode(row["packet"].encode("utf-8"), allow_crc_variants=set(CrcVariant)))
            except ProtocolError:
                continue
    return out


def check_same(msg: Message) -> None:
    for dialect in ("sqlite", "postgresql"):
        tv = time_value_for(dialect)
        if msg.cn in UPLOAD_PERIODS and msg.cp.data_time is None:
            continue
        try:
            row, data_time = reading_row(msg, DEVICE, frame_id=7, received_at=RECEIVED, time_value=tv)
        except FieldValueError as refused:  # both paths refuse the same field (a value out of range)
            with pytest.raises(FieldValueError) as also:
                observations_of(msg, DEVICE, frame_id=7, received_at=RECEIVED)
            assert also.value.field == refused.field
            continue
        expected = observations_of(msg, DEVICE, frame_id=7, received_at=RECEIVED)
        assert ([] if row is None else [row]) == plain_rows(expected, tv)
        if row is not None and dialect == "postgresql":  # instants stay datetimes: read back as stored
            assert observations_in(*row[:7], row[8]) == first_per_parameter(expected)
        if msg.cn in UPLOAD_PERIODS:
            assert data_time is not None and data_time == msg.cp.data_time
    for _ in range(2):  # the second time from the cached tail
        fast = reply_frame(msg)
        slow = reply_for(msg)
        assert fast == (None if slow is None else encode(slow))


def test_real_packets_give_the_same_rows_and_replies_on_both_paths() -> None:
    messages = packets()
    assert len(messages) >= 10
    for msg in messages:
        check_same(msg)


def test_the_python_loop_gives_the_same_rows_as_the_compiled_factor_entries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the compiled ``factor_entries`` (a machine without a C compiler), ``reading_row``
    builds every reading in its own loop: the same rows again."""
    import greenport.ingest.pipeline as pipeline

    monkeypatch.setattr(pipeline, "factor_entries", lambda *args: None)
    for msg in packets():
        check_same(msg)
    segment = (  # usual factors, an O2-corrected one and a vendor code
        "ST=32;CN=2011;PW=1;MN=GPGAS01;CP=&&DataTime=20220315091000;a34004-Rtd=35.5,a34004-Flag=N;"
        "w00000-Rtd=12.25,w00000-Flag=T;a21026-Rtd=12.25,a21026-ZsRtd=15.5;a99948-Rtd=1&&"
    )
    check_same(decode(frame_bytes(segment)))


@settings(max_examples=80, deadline=None)
@given(
    cn=st.sampled_from(["2011", "2051", "2061", "2031", "2041", "3020", "2081", "1013"]),
    st_code=st.sampled_from(["22", "31", "32", "21"]),
    flag=st.sampled_from([None, 0, 1, 4, 5, 8, 9, 13]),
    qn=st.one_of(st.none(), st.from_regex(r"[0-9]{17,20}", fullmatch=True)),
    pw=st.from_regex(r"[0-9A-Za-z]{0,8}", fullmatch=True),
    factors=st.lists(
        st.tuples(
            st.sampled_from(["a21002", "a00000", "a99948", "w01018", "a34004", "SB1", "i12001"]),
            st.floats(min_value=-1000, max_value=99999, allow_nan=False).map(lambda v: round(v, 3)),
            st.sampled_from([None, "N", "M", "D", "P", ""]),
            st.booleans(),
        ),
        max_size=6,
        unique_by=lambda item: item[0],
    ),
    hours=st.integers(min_value=-2, max_value=48),
)
def test_generated_uploads_give_the_same_rows_and_replies(
    cn: str,
    st_code: str,
    flag: int | None,
    qn: str | None,
    pw: str,
    factors: list[tuple[str, float, str | None, bool]],
    hours: int,
) -> None:
    when = (RECEIVED - timedelta(hours=hours)).astimezone(UTC)
    suffix = {"2011": "Rtd", "3020": "Info", "2041": "RT"}.get(cn, "Avg")
    items = []
    for code, value, letter, extra in factors:
        parts = [f"{code}-{suffix}={value:g}"]
        if extra:
            parts += [
                f"{code}-Zs{suffix}={value * 1.2:g}",
                f"{code}-Min={value / 2:g}",
                f"{code}-Max={value * 2:g}",
            ]
        if letter is not None:
            parts.append(f"{code}-Flag={letter}" if letter else f"{code}-Flag=")
        items.append(",".join(parts))
    stamp = when.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    head = (f"QN={qn};" if qn else "") + f"ST={st_code};CN={cn};PW={pw};MN=GPGAS01;"
    head += f"Flag={flag};" if flag is not None else ""
    segment = head + "CP=&&" + ";".join([f"DataTime={stamp}", *items]) + "&&"
    try:
        msg = decode(frame_bytes(segment))
    except ProtocolError:
        return  # not a frame the server would route (e.g. an empty Flag value)
    check_same(msg)


def test_field_information_is_kept_per_instrument() -> None:
    """HJ 212-2017 C.40: 3020 info is about one instrument (PolId). The same info code of two
    instruments with one DataTime is two values, on both paths; without PolId it is the device's."""
    info = "ST=32;CN=3020;PW=1;MN=GPGAS01;CP=&&DataTime=20220315091000;{pol}i12001-Info=1,i12003-Info=25.5&&"
    names = []
    for pol in ("PolId=w01018;", "PolId=w21003;", ""):
        msg = decode(frame_bytes(info.format(pol=pol)))
        check_same(msg)
        names.append(
            sorted(o.parameter for o in observations_of(msg, DEVICE, frame_id=7, received_at=RECEIVED))
        )
    assert names == [
        ["hj212:w01018-i12001", "hj212:w01018-i12003"],
        ["hj212:w21003-i12001", "hj212:w21003-i12003"],
        ["hj212:i12001", "hj212:i12003"],
    ]


def test_a_value_that_overflows_its_unit_conversion_is_refused_naming_the_factor() -> None:
    """w00000 is sent in L/s and stored in m³/h (× 3.6): 1e308 L/s has no finite m³/h, and JSON
    could only hold it as null, so the frame is refused (quarantined as a bad value) instead."""
    segment = (
        "ST=32;CN=2011;PW=123456;MN=GPGAS01;CP=&&DataTime=20220315091000;w01018-Rtd=12.5;w00000-Rtd=1e308&&"
    )
    msg = decode(frame_bytes(segment))
    tv = time_value_for("sqlite")
    with pytest.raises(FieldValueError) as caught:
        reading_row(msg, DEVICE, frame_id=7, received_at=RECEIVED, time_value=tv)
    assert caught.value.field == "w00000-Rtd" and "not a finite number" in caught.value.message
