"""FrameBuffer: bytes in, frames out, resync on garbage, cap on unfinished frames."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenport.protocol import FrameBuffer, FramingError, ProtocolError, decode
from tests.protocol.golden import ROUND_TRIP

FRAMES = [frame for _, frame, _ in ROUND_TRIP]
A, B, C = FRAMES[0], FRAMES[4], FRAMES[8]


def frames_of(items: list[bytes | FramingError]) -> list[bytes]:
    return [item for item in items if isinstance(item, bytes)]


def errors_of(items: list[bytes | FramingError]) -> list[FramingError]:
    return [item for item in items if isinstance(item, FramingError)]


def test_coalesced_and_split_reads() -> None:
    buf = FrameBuffer()
    stream = A + B + C
    out = buf.feed(stream[:10]) + buf.feed(stream[10:150]) + buf.feed(stream[150:])
    assert out == [A, B, C]
    assert buf.pending == 0


def test_byte_by_byte() -> None:
    buf = FrameBuffer()
    out: list[bytes | FramingError] = []
    for byte in A + B:
        out += buf.feed(bytes([byte]))
    assert out == [A, B]


def test_garbage_before_and_between_frames_is_reported_and_skipped() -> None:
    buf = FrameBuffer()
    out = buf.feed(b"\x00\xffnoise" + A + b"junk!" + B)
    assert frames_of(out) == [A, B]
    assert [e.raw for e in errors_of(out)] == [b"\x00\xffnoise", b"junk!"]
    assert all(e.field == "frame" for e in errors_of(out))


def test_whitespace_between_frames_is_silent() -> None:
    assert FrameBuffer().feed(A + b"\r\n \n" + B) == [A, B]


def test_frame_without_crlf_is_ended_by_the_next_header() -> None:
    buf = FrameBuffer()
    out = buf.feed(A[:-2] + B)
    assert out == [A[:-2], B]
    assert decode(out[0]) == decode(A)


def test_truncated_frame_does_not_swallow_the_next_one() -> None:
    buf = FrameBuffer()
    out = buf.feed(A[:40] + B)
    assert out == [A[:40], B]
    with pytest.raises(ProtocolError):
        decode(out[0])
    assert decode(out[1]) == decode(B)


def test_wrong_declared_length_does_not_desynchronise() -> None:
    bad = b"##0999" + A[6:]
    assert FrameBuffer().feed(bad + B) == [bad, B]


def test_lf_only_terminator() -> None:
    assert FrameBuffer().feed(A[:-2] + b"\n" + B) == [A[:-2] + b"\n", B]


def test_cap_on_unfinished_frame() -> None:
    buf = FrameBuffer(max_frame_size=200)
    out = buf.feed(b"##0500" + b"x" * 300)
    assert len(errors_of(out)) == 1 and "unfinished frame" in str(errors_of(out)[0])
    assert buf.pending == 0
    assert buf.feed(A) == [A]


def test_cap_keeps_a_trailing_hash() -> None:
    buf = FrameBuffer(max_frame_size=200)
    out = buf.feed(b"##0500" + b"x" * 250 + b"#")
    assert len(errors_of(out)) == 1
    assert buf.feed(A[1:]) == [A]


def test_cap_on_terminated_frame() -> None:
    out = FrameBuffer(max_frame_size=50).feed(A + B)
    assert len(errors_of(out)) == 2 and frames_of(out) == []


def test_split_header_hash() -> None:
    buf = FrameBuffer()
    first = buf.feed(b"xx#")  # the lone '#' is kept: it may start the next header
    assert [e.raw for e in errors_of(first)] == [b"xx"] and frames_of(first) == []
    out = buf.feed(A[1:])
    assert frames_of(out) == [A]


def test_close_delivers_a_complete_unterminated_frame() -> None:
    buf = FrameBuffer()
    assert buf.feed(A[:-2]) == []
    assert buf.close() == [A[:-2]]
    with pytest.raises(RuntimeError):
        buf.feed(A)


def test_close_reports_a_truncated_frame() -> None:
    buf = FrameBuffer()
    buf.feed(A[:50])
    out = buf.close()
    assert len(errors_of(out)) == 1 and errors_of(out)[0].raw == A[:50]


def test_max_frame_size_must_be_sane() -> None:
    with pytest.raises(ValueError):
        FrameBuffer(max_frame_size=3)


@given(st.lists(st.sampled_from(FRAMES), max_size=8), st.lists(st.integers(1, 400), max_size=30))
def test_any_chunking_gives_the_same_frames(frames: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(frames)
    buf = FrameBuffer()
    out: list[bytes | FramingError] = []
    position = 0
    for size in cuts:
        out += buf.feed(stream[position : position + size])
        position += size
    out += buf.feed(stream[position:])
    out += buf.close()
    assert out == frames


@given(st.binary(max_size=2000), st.integers(1, 64))
def test_arbitrary_bytes_only_give_frames_or_framing_errors(data: bytes, chunk: int) -> None:
    buf = FrameBuffer(max_frame_size=300)
    out: list[bytes | FramingError] = []
    for i in range(0, len(data), chunk):
        out += buf.feed(data[i : i + chunk])
    out += buf.close()
    for item in out:
        assert isinstance(item, bytes | FramingError)
        if isinstance(item, bytes):
            assert item.startswith(b"##") and len(item) <= 300
    assert buf.pending == 0


@given(
    st.lists(
        st.one_of(
            st.sampled_from(FRAMES),
            st.binary(max_size=40).map(lambda b: b"##" + b + b"\r\n"),
            st.binary(max_size=40),
        ),
        max_size=6,
    ),
    st.sampled_from([20, 64, 10011]),
)
def test_one_frame_per_read_shortcut_equals_the_general_path(reads: list[bytes], cap: int) -> None:
    # bytes take the whole-frame shortcut when they can; a bytearray always takes the general path
    fast, general = FrameBuffer(cap), FrameBuffer(cap)
    for read in reads:
        got, want = fast.feed(read), general.feed(bytearray(read))
        assert [(type(i), i if isinstance(i, bytes) else (str(i), i.raw)) for i in got] == [
            (type(i), i if isinstance(i, bytes) else (str(i), i.raw)) for i in want
        ]
        assert fast.pending == general.pending
