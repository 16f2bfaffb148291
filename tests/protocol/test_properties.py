"""Hypothesis properties of the codec: round trip, corruption always caught, no crash but
ProtocolError on arbitrary input (STYLE.md habit 10). Seed inputs: the golden frames."""

from __future__ import annotations

import contextlib
import string
from datetime import datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from greenport.kernel.time import CHINA_TZ
from greenport.protocol import CP, NUMERIC_FIELDS, CrcVariant, Message, ProtocolError, decode, encode
from greenport.protocol.messages import TIME_PARAMS
from tests.protocol.golden import DECODE_ONLY, ROUND_TRIP

SAFE = string.ascii_letters + string.digits
token = st.text(SAFE, min_size=1, max_size=12)
code = st.text(SAFE, min_size=1, max_size=8)
moment = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(CHINA_TZ)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
number = st.floats(allow_nan=False, allow_infinity=False, width=64)
numeric_field = st.sampled_from(sorted(NUMERIC_FIELDS))
text_value = st.one_of(
    st.text(SAFE + ".-+_:/=& ", max_size=10).filter(lambda s: s.strip() == s and "//" not in s),
    st.text(SAFE + ";,. 清洗", max_size=10).map(lambda s: f"//{s}//").filter(lambda s: "//" not in s[2:-2]),
)


@st.composite
def factor_fields(draw: st.DrawFn) -> dict[str, object]:
    fields: dict[str, object] = {}
    for suffix in draw(st.lists(numeric_field, max_size=5, unique=True)):
        fields[suffix] = draw(number)
    for suffix in draw(st.lists(st.sampled_from(["Flag", "EFlag", "Info", "SN"]), max_size=2, unique=True)):
        fields[suffix] = draw(text_value)
    if draw(st.booleans()):
        fields["SampleTime"] = draw(moment)
    if not fields:
        fields["Rtd"] = draw(number)
    return fields


@st.composite
def messages(draw: st.DrawFn) -> Message:
    factors = draw(st.dictionaries(code, factor_fields(), max_size=6))
    params = draw(
        st.dictionaries(
            token.filter(lambda n: n != "DataTime" and n not in TIME_PARAMS),
            st.one_of(token, st.text(SAFE, max_size=5)),
            max_size=3,
        )
    )
    if draw(st.booleans()):
        params["BeginTime"] = draw(moment)
    packets = draw(st.booleans())
    return Message(
        qn=draw(st.none() | st.text("0123456789", min_size=1, max_size=20)),
        st=draw(token),
        cn=draw(st.text("0123456789", min_size=1, max_size=4)),
        pw=draw(st.none() | st.text(SAFE, max_size=24)),
        mn=draw(st.text(SAFE + "_", max_size=24)),
        flag=draw(st.none() | st.integers(0, 255)),
        pnum=draw(st.integers(1, 99)) if packets else None,
        pno=draw(st.integers(1, 99)) if packets else None,
        cp=CP(data_time=draw(st.none() | moment), params=params, factors=factors),
        crc_variant=draw(st.sampled_from(list(CrcVariant))),
    )


ALL_VARIANTS = frozenset(CrcVariant)


@settings(max_examples=150, deadline=None)
@given(messages())
def test_decode_encode_round_trip(message: Message) -> None:
    # one variant at a time: a CRC can be valid under two variants (e.g. a Modbus CRC 0xABAB)
    assert decode(encode(message), allow_crc_variants={message.crc_variant}) == message


SEEDS = [frame for _, frame, _ in ROUND_TRIP + DECODE_ONLY]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(SEEDS), st.data())
def test_single_byte_corruption_is_caught(frame: bytes, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(frame) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != frame[position]))
    corrupted = frame[:position] + bytes([new]) + frame[position + 1 :]
    assert_caught(frame, corrupted)


def assert_caught(frame: bytes, corrupted: bytes) -> None:
    try:
        message = decode(corrupted)
    except ProtocolError:
        return
    # the only harmless changes: the case of a CRC hex letter, or the CR of the optional CR LF
    assert message == decode(frame)
    assert corrupted[:-6] == frame[:-6] or corrupted[:-2] == frame[:-2]


@pytest.mark.parametrize("frame", [SEEDS[4], SEEDS[0]], ids=["E5", "E1"])
def test_every_single_byte_corruption_exhaustively(frame: bytes) -> None:
    for position in range(len(frame)):
        for new in range(256):
            if new != frame[position]:
                assert_caught(frame, frame[:position] + bytes([new]) + frame[position + 1 :])


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
@example(b"##")
@example(b"##0000")
@example(b"##0004&&&&")
@example(b"##0007CP=&&&&FFFF")
def test_arbitrary_bytes_raise_only_protocol_error(data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode(data, allow_crc_variants=ALL_VARIANTS)


@st.composite
def near_frames(draw: st.DrawFn) -> bytes:
    """Frames with a right length and CRC around a random segment: exercises the parser itself."""
    from greenport.protocol.crc import crc16_hj212_reference

    alphabet = "QNSTCPWMFlagDatTimeInfoSBRS=;,&-0123456789.eEnaif _/#xyzRtdAvg\t清"
    head = draw(
        st.sampled_from(
            [
                "",
                "ST=32;CN=2011;MN=M;",
                "QN=1;ST=32;CN=1;MN=;Flag=5;",
                "ST=3 2;CN=2011;PW= a ;MN=m&n;PNO=1;PNUM=2;",
                "QN=1,ST=32,CN=1,MN=x,Flag=5",
            ]
        )
    )
    segment = head + draw(st.sampled_from(["CP=&&", ""]))
    segment += draw(st.sampled_from(["", "DataTime=20160801084000;", "DataTime=20160801084000123,"]))
    segment += draw(st.text(alphabet, max_size=150)) + draw(st.sampled_from(["&&", ";&&", ""]))
    raw = segment.encode()
    return b"##%04d%s%04X\r\n" % (len(raw), raw, crc16_hj212_reference(raw))


@settings(max_examples=500, deadline=None)
@given(near_frames())
def test_well_framed_random_segments_raise_only_protocol_error(frame: bytes) -> None:
    try:
        message = decode(frame)
    except ProtocolError:
        return
    assert decode(encode(message)) == message


@settings(max_examples=150, deadline=None)
@given(messages())
def test_fast_path_equals_item_by_item_path(message: Message) -> None:
    from greenport.protocol import codec

    segment = codec.encode_segment(message)
    text = segment[segment.find("CP=&&") + 5 : -2]
    assert codec._decode_cp(text, []) == codec._decode_cp_items(text, [])
