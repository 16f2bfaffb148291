"""Fuzz the running server with random and mutated frames (issue 12, "Keep it found").

Seeds: the real packets of ``tests/data/ingest/hj212_packets.csv`` (and of
``../shared/data/hj212-packets`` when present beside the checkout) and valid uploads of registered
devices, so that mutations reach every stage: framing, CRC, syntax, log-in, values. After every
example a well-behaved device on its own connection must still be acknowledged, and no frame
may make the server fail (``server_error``). Bounded: ``max_examples`` examples, each one short
connection.
"""

from __future__ import annotations

import asyncio
import csv
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from itertools import count
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenport.ingest.server import IngestServer
from greenport.protocol import FrameBuffer, decode

from .conftest import Fixture
from .test_server import WHEN, air_frame, start

PACKET_FILES = (
    Path(__file__).resolve().parents[1] / "data" / "ingest" / "hj212_packets.csv",
    Path(__file__).resolve().parents[3] / "shared" / "data" / "hj212-packets" / "hj212_packets.csv",
)


def seeds() -> list[bytes]:
    out = [air_frame("GPAIR02", WHEN + timedelta(minutes=k), pm25=float(k)) for k in range(3)]
    out.append(air_frame("GPAIR02", WHEN, pm25=1e308))
    for path in PACKET_FILES:
        if path.exists():
            with path.open(encoding="utf-8", newline="") as handle:
                out += [row["packet"].encode("utf-8") + b"\r\n" for row in csv.DictReader(handle)]
    return out


SEEDS = seeds()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    frame = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, max(len(frame) - 1, 0)))
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate", "digits"]))
        if op == "flip" and frame:
            frame[at] = draw(st.integers(0, 255))
        elif op == "insert":
            frame[at:at] = draw(
                st.sampled_from([b"##", b"&&", b";", b",", b"=", b"\r\n", b"\x00", b"9" * 40])
            )
        elif op == "delete":
            del frame[at : at + draw(st.integers(1, 8))]
        elif op == "truncate":
            del frame[at:]
        elif op == "duplicate":
            frame += frame[at:]
        elif op == "digits":
            frame[at:at] = draw(
                st.sampled_from([b"1e308", b"-1e308", b"nan", b"inf", b"99999999999999999999"])
            )
    return bytes(frame)


payloads = st.one_of(
    mutated(),
    st.lists(mutated(), min_size=2, max_size=4).map(b"".join),
    st.binary(max_size=3000),
)


@pytest.fixture
def running(city: Fixture) -> Iterator[IngestServer]:
    """The server on an event loop of its own thread, so that Hypothesis drives plain sockets."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(start(city, max_auth_failures=2), loop).result(30)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def acknowledged(device: socket.socket, frame: bytes) -> list[bytes]:
    device.sendall(frame)
    buffer, got = FrameBuffer(), []
    while not got:
        data = device.recv(65536)
        if not data:
            break
        got += [item for item in buffer.feed(data) if isinstance(item, bytes)]
    return got


def test_random_and_mutated_frames_never_stop_a_well_behaved_device(
    city: Fixture, running: IngestServer
) -> None:
    port = running.port
    seconds = count()
    device = socket.create_connection(("127.0.0.1", port), timeout=30)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(payload=payloads)
    def fuzz(payload: bytes) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as attacker:
            attacker.sendall(payload)
        frame = air_frame("GPAIR01", WHEN + timedelta(seconds=next(seconds)))
        replies = acknowledged(device, frame)
        assert [decode(r).qn for r in replies] == [decode(frame).qn]

    try:
        fuzz()
    finally:
        device.close()
    assert running.metrics.errors.get("server_error", 0) == 0, running.metrics.errors
