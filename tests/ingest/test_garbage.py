"""Bad input never kills a neighbour and is never dropped silently (issue 4, "What must hold")."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

from greenport.protocol.redact import mask_password
from greenport.storage.uow import UnitOfWork

from .conftest import Fixture
from .test_server import WHEN, air_frame, exchange, start


def reasons(fixture: Fixture) -> dict[str, int]:
    with UnitOfWork(fixture.db) as uow:
        entries = uow.monitoring.quarantine(limit=1000)
    out: dict[str, int] = {}
    for entry in entries:
        out[entry.reason] = out.get(entry.reason, 0) + 1
    return out


async def send_and_close(port: int, payload: bytes, *, linger: float = 0.2) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    await writer.drain()
    await asyncio.sleep(linger)
    writer.close()
    try:
        return await asyncio.wait_for(reader.read(), 2)
    except (TimeoutError, ConnectionError):
        return b""


async def test_garbage_on_one_connection_does_not_disturb_another(city: Fixture) -> None:
    server = await start(city, max_frame_size=4096)
    rng = random.Random(212)
    good = b"".join(air_frame("GPAIR01", WHEN + timedelta(seconds=30 * k)) for k in range(20))
    frame = air_frame("GPAIR02", WHEN)
    wrong_crc = frame[:-6] + (b"0000" if frame[-6:-2] != b"0000" else b"1111") + b"\r\n"
    garbage = [
        bytes(rng.randrange(256) for _ in range(3000)),  # random bytes
        frame[: len(frame) // 2],  # truncated frame at end of stream
        b"##9999QN=" + b"x" * 6000,  # huge length, never finished: over the frame cap
        wrong_crc,
        air_frame("NOSUCHMN", WHEN),
    ]
    try:
        results = await asyncio.gather(
            exchange(server.port, good, replies=20),
            *(send_and_close(server.port, payload) for payload in garbage),
        )
        await asyncio.sleep(0.3)
    finally:
        await server.close()
    assert len(results[0]) == 20  # the neighbour got every acknowledgement
    assert all(reply == b"" for reply in results[1:])  # nothing bad was acknowledged
    found = reasons(city)
    assert found.get("framing", 0) >= 2  # random bytes, truncated frame
    assert found.get("oversize") == 1
    assert found.get("crc") == 1
    assert found.get("unknown_mn") == 1
    with UnitOfWork(city.db) as uow:
        entries = uow.monitoring.quarantine(limit=100)
    crc = next(e for e in entries if e.reason == "crc")
    assert crc.raw == mask_password(wrong_crc) and crc.mn == "GPAIR02" and crc.field == "CRC"
    assert all(e.raw for e in entries if e.reason != "oversize")


async def test_slow_connection_is_cut_with_a_reason(city: Fixture) -> None:
    server = await start(city, frame_timeout=0.3)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(air_frame("GPAIR01", WHEN)[:40])
        await writer.drain()
        closed = await asyncio.wait_for(reader.read(), 5)
        writer.close()
    finally:
        await server.close()
    assert closed == b""
    assert reasons(city).get("idle") == 1
    with UnitOfWork(city.db) as uow:
        (entry,) = uow.monitoring.quarantine(reason="idle")
    assert entry.raw == air_frame("GPAIR01", WHEN)[:40] and "slow" in (entry.detail or "")


async def test_connections_per_device_are_capped(city: Fixture) -> None:
    server = await start(city, max_connections_per_device=1)
    try:
        first_reader, first_writer = await asyncio.open_connection("127.0.0.1", server.port)
        first_writer.write(air_frame("GPAIR01", WHEN))
        await asyncio.wait_for(first_reader.read(200), 10)  # its ack
        second = await exchange(
            server.port, air_frame("GPAIR01", WHEN + timedelta(seconds=30)), replies=1, timeout=5
        )
        first_writer.close()
    finally:
        await server.close()
    assert second == []
    assert reasons(city).get("too_many_connections") == 1
