"""The compiled fast path (``greenport.protocol._speedups``) is built and changes nothing.

``decode`` hands plain upload frames to C and everything else to ``decode_python``, the
reference. These tests hold the two to the same answer, down to the type of every value and the
text of every error, on generated messages, on every single-byte corruption of real frames and on
arbitrary bytes; and the compiled CRC to the byte-by-byte loop of HJ 212-2017 Appendix A.
"""

from __future__ import annotations

import csv
import dataclasses
import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from greenport.kernel.time import CHINA_TZ
from greenport.protocol import (
    CrcVariant,
    EncodeError,
    Message,
    ProtocolError,
    codec,
    crc16_hj212,
    data_upload,
    encode,
    make_qn,
    reply_for,
    reply_frame,
)
from greenport.protocol.crc import crc16_hj212_reference, crc16_modbus, speedups
from tests.protocol.golden import DECODE_ONLY, ROUND_TRIP
from tests.protocol.test_properties import messages, near_frames

PACKETS = Path(__file__).resolve().parents[1] / "data" / "hj212" / "hj212_packets.csv"


def test_the_compiled_extension_is_built() -> None:
    # setup.py builds it optionally; a machine without a C compiler must fail here, not run slow
    assert speedups is not None, "greenport.protocol._speedups was not built (is a C compiler installed?)"
    assert codec.COMPILED


def outcome(decoder: object, frame: bytes) -> tuple[str, str]:
    """What a decoder makes of a frame: the repr of the message (types and notes included) or of the error."""
    try:
        message = decoder(frame)  # type: ignore[operator]
    except ProtocolError as exc:
        return (type(exc).__name__, f"{exc} field={exc.field} hint={exc.reply_hint} raw={exc.raw!r}")
    return ("ok", repr(message))


def assert_same(frame: bytes) -> None:
    assert outcome(codec.decode, frame) == outcome(codec.decode_python, frame)


def upload(rng: random.Random, fields: tuple[str, ...], cn: str) -> bytes:
    moment = datetime(2026, 5, 1, tzinfo=CHINA_TZ) + timedelta(minutes=rng.randrange(10**6))
    factors = {
        code: {
            field: ("N" if field == "Flag" else round(rng.uniform(-5, 900), rng.randrange(5)))
            for field in fields
        }
        for code in ("a21026", "a21004", "a34002", "w01018", "a01012", "a00000")
    }
    message = data_upload(
        st="22",
        cn=cn,
        mn="32058200000001",
        pw="123456",
        qn=make_qn(moment),
        data_time=moment,
        factors=factors,
    )
    return encode(message)


def test_plain_uploads_take_the_compiled_path_and_equal_the_reference() -> None:
    rng = random.Random(7)
    frames = [upload(rng, ("Rtd", "Flag"), "2011") for _ in range(200)]
    frames += [upload(rng, ("Cou", "Min", "Avg", "Max", "Flag"), "2051") for _ in range(200)]
    for frame in frames:
        assert speedups is not None and speedups.scan_frame(frame) is not None, frame
        assert_same(frame)


@settings(max_examples=300, deadline=None)
@given(messages())
def test_generated_messages_decode_the_same(message: object) -> None:
    frame = encode(message)  # type: ignore[arg-type]
    assert_same(frame)
    assert_same(frame.rstrip(b"\r\n"))
    assert_same(frame.lower())


SEEDS = [frame for _, frame, _ in ROUND_TRIP + DECODE_ONLY] + [
    upload(random.Random(1), ("Rtd", "Flag"), "2011")
]


@pytest.mark.parametrize("frame", SEEDS, ids=range(len(SEEDS)))
def test_every_single_byte_corruption_decodes_the_same(frame: bytes) -> None:
    for position in range(len(frame)):
        for new in (0x00, 0x20, 0x2C, 0x2D, 0x2E, 0x3B, 0x3D, 0x5F, 0x26, 0x30, 0x39, 0x41, 0x65, 0xE6):
            if new != frame[position]:
                assert_same(frame[:position] + bytes([new]) + frame[position + 1 :])


def test_real_packets_decode_the_same() -> None:
    for row in csv.DictReader(PACKETS.open(encoding="utf-8")):
        assert_same(row["packet"].encode("utf-8"))


@settings(max_examples=400, deadline=None)
@given(near_frames())
@example(b"##0034ST=32;CN=2011;MN=M;CP=&&DataTime=20161301084000&&0000\r\n")
def test_well_framed_random_segments_decode_the_same(frame: bytes) -> None:
    assert_same(frame)


@st.composite
def plain_frames(draw: st.DrawFn) -> bytes:
    """Frames of the plain shape with odd numbers, names and separators (right length and CRC)."""
    number = st.one_of(
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
        st.from_regex(r"[+-]?[0-9]{0,20}(\.[0-9]{0,25})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
        st.sampled_from(["inf", "nan", "-0", "1e999", "0x10", "1_0", "", ".", "+.5", "5."]),
    )
    items = []
    for _ in range(draw(st.integers(0, 6))):
        name = draw(st.sampled_from(["a21026", "w01018", "a-b", "", "x"])) + draw(
            st.sampled_from(["-Rtd", "-Flag", "-Avg", "-SampleTime", "-", "Rtd", "-Rtd-"])
        )
        value = draw(number) if name.endswith(("Rtd", "Avg")) else draw(st.sampled_from(["N", "", "D", "1"]))
        items.append(f"{name}={value}")
    separators = draw(st.lists(st.sampled_from([";", ","]), min_size=len(items), max_size=len(items)))
    body = "".join(sep + item for sep, item in zip(separators, items, strict=True))
    time = draw(
        st.sampled_from(["DataTime=20260101120000", "DataTime=20260230120000", "DataTime=2026010112000", ""])
    )
    text = (time + body) if time else body[1:]
    head = draw(
        st.sampled_from(
            ["QN=1;ST=22;CN=2011;PW=1;MN=M;Flag=5;", "ST=22;CN=2011;MN=;", "ST=22;CN=2011;MN=M;Flag=256;"]
        )
    )
    raw = f"{head}CP=&&{text}&&".encode()
    return b"##%04d%s%04X\r\n" % (len(raw), raw, crc16_hj212_reference(raw))


@settings(max_examples=500, deadline=None)
@given(plain_frames())
def test_plain_shaped_frames_decode_the_same(frame: bytes) -> None:
    assert_same(frame)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=2000))
@example(b"")
@example(b"\x00" * 7)
def test_compiled_crc_equals_appendix_a(data: bytes) -> None:
    assert crc16_hj212(data) == crc16_hj212_reference(data)
    assert crc16_hj212(bytearray(data)) == crc16_hj212_reference(data)
    assert crc16_hj212(memoryview(data)) == crc16_hj212_reference(data)


def test_compiled_modbus_crc_is_the_standard_check_value() -> None:
    # CRC-16/MODBUS check value over "123456789" (Greg Cook's CRC catalogue): 0x4B37
    assert crc16_modbus(b"123456789") == 0x4B37
    assert CrcVariant.MODBUS_SWAPPED.compute(b"123456789") == 0x374B


def test_appendix_a_example_through_the_compiled_path() -> None:
    segment = b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"
    assert crc16_hj212(segment) == 0x1C80


@settings(max_examples=300, deadline=None)
@given(messages(), st.sampled_from([None, 0, 1, 5, 9, 13, 255, 1023]))
def test_reply_frame_is_the_encoded_reply(message: Message, flag: int | None) -> None:
    message = dataclasses.replace(message, flag=flag)
    try:
        reply = reply_for(message)
        want: bytes | str | None = None if reply is None else encode(reply)
    except EncodeError as exc:
        want = str(exc)
    try:
        got: bytes | str | None = reply_frame(message)
    except EncodeError as exc:
        got = str(exc)
    assert got == want


def test_factor_entries_projects_only_the_usual_factors() -> None:
    from greenport.protocol import factor_entries

    codes = {
        "a21026": ("so2", 1.0),
        "a34004": ("pm2_5", 1.0),
        "w00000": ("water_flow", 3.6),
        "b1": ("so2", 1.0),
    }
    flags = {None: "N", "N": "N", "T": "T"}
    factors = {
        "a21026": {"Rtd": 12.5, "ZsRtd": 15.25, "Flag": "T"},
        "w00000": {"Rtd": 2.0},
        "a34004": {"Flag": "N"},
        "b1": {"Rtd": 99.0},  # a second code of so2: the first one is kept
        "x9": {},  # nothing sent: skipped
    }
    assert factor_entries(factors, "Rtd", "ZsRtd", codes, flags) == {
        "so2": [12.5, "T", 15.25],
        "water_flow": [7.2, "N"],
        "pm2_5": [None, "N"],
    }
    for unusual in (
        {"a21026": {"Rtd": 1.0, "Min": 0.5}},  # another field
        {"a21026": {"Rtd": "1.0"}},  # not a float
        {"a21026": {"Rtd": 1.0, "Flag": "Q"}},  # a flag the table does not know
        {"zz": {"Rtd": 1.0}},  # a code the table does not know
        {"w00000": {"Rtd": 1e308}},  # not finite once scaled
    ):
        assert factor_entries(unusual, "Rtd", "ZsRtd", codes, flags) is None
    assert factor_entries({"a21026": {"Rtd": 1.0, "ZsRtd": 2.0}}, "Rtd", "", codes, flags) is None
