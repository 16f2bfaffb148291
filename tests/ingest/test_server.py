"""The server in-process on 127.0.0.1:0: acknowledged means stored, once; bad input quarantined."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from greenport.ingest.server import IngestConfig, IngestServer
from greenport.ingest.simulator import frame_bytes, upload_segment
from greenport.protocol import FrameBuffer, decode
from greenport.storage.uow import UnitOfWork

from .conftest import PASSWORD, Fixture

WHEN = datetime(2022, 6, 1, 2, 0, tzinfo=UTC)


def air_frame(mn: str, when: datetime, *, pw: str = PASSWORD, pm25: float = 35.0, flag: int = 5) -> bytes:
    values = [("a34004", pm25, None), ("a34002", 60.0, None), ("a21026", 9.0, None), ("a21005", 0.8, None)]
    return frame_bytes(upload_segment(st="22", mn=mn, pw=pw, data_time=when, values=values, flag=flag))


async def start(fixture: Fixture, **overrides: object) -> IngestServer:
    config = IngestConfig(port=0, aggregate_interval=0, **overrides)  # type: ignore[arg-type]
    server = IngestServer(fixture.db, config)
    await server.start()
    return server


async def exchange(port: int, payload: bytes, *, replies: int, timeout: float = 10.0) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    await writer.drain()
    buffer, got = FrameBuffer(), []
    try:
        while len(got) < replies:
            data = await asyncio.wait_for(reader.read(65536), timeout)
            if not data:
                break
            got.extend(item for item in buffer.feed(data) if isinstance(item, bytes))
    finally:
        writer.close()
    return got


async def test_upload_is_acknowledged_after_it_is_stored_and_stored_once(city: Fixture) -> None:
    server = await start(city)
    try:
        frames = b"".join(air_frame("GPAIR01", WHEN + timedelta(seconds=30 * k)) for k in range(5))
        replies = await exchange(server.port, frames + frames, replies=10)
    finally:
        await server.close()
    assert len(replies) == 10
    messages = [decode(r) for r in replies]
    assert {m.cn for m in messages} == {"9014"} and {m.st for m in messages} == {"91"}
    assert all(m.flag == 4 for m in messages)
    with UnitOfWork(city.db) as uow:
        observations = uow.monitoring.observations(start=WHEN, end=WHEN + timedelta(hours=1))
    assert len(observations) == 5 * 4  # re-sent frames stored once
    pm25 = [o for o in observations if o.parameter == "pm2_5"]
    assert [o.value for o in pm25] == [35.0] * 5
    assert all(o.frame_id is not None and o.late for o in pm25)


async def test_wrong_password_is_refused_recorded_and_the_connection_closed(city: Fixture) -> None:
    server = await start(city, max_auth_failures=2)
    try:
        bad = b"".join(air_frame("GPAIR01", WHEN + timedelta(seconds=k), pw="wrong1") for k in range(5))
        replies = await exchange(server.port, bad, replies=1, timeout=5)
        good = await exchange(server.port, air_frame("GPAIR02", WHEN), replies=1)
    finally:
        await server.close()
    assert replies == []
    assert len(good) == 1
    with UnitOfWork(city.db) as uow:
        entries = uow.monitoring.quarantine()
    assert {e.reason for e in entries} == {"bad_password"}
    assert 1 <= len(entries) <= 2 and all(e.mn == "GPAIR01" and e.field == "PW" for e in entries)


async def test_a_device_back_after_a_gap_is_asked_for_the_hours_it_missed(city: Fixture) -> None:
    server = await start(city, resend_gap=0.3)
    try:
        first = await exchange(server.port, air_frame("GPAIR01", WHEN), replies=1)
        await asyncio.sleep(0.5)
        later = await exchange(server.port, air_frame("GPAIR01", WHEN + timedelta(minutes=1)), replies=2)
    finally:
        await server.close()
    assert [decode(r).cn for r in first] == ["9014"]
    request = next(decode(r) for r in later if decode(r).cn == "2061")
    assert request.flag is not None and request.flag & 1  # a request wants 9011/9012 answers
    begin, end = request.cp.params["BeginTime"], request.cp.params["EndTime"]
    assert isinstance(begin, datetime) and begin.astimezone(UTC) == WHEN + timedelta(hours=1)
    assert isinstance(end, datetime) and end > begin


async def test_back_pressure_pauses_reading_and_everything_is_still_acknowledged_once(city: Fixture) -> None:
    """More frames waiting for the disk than ``max_pending_frames``: connections stop reading
    (``pause_reading``) and resume after the commit; nothing is lost or acknowledged twice."""
    server = await start(city, max_pending_frames=3, commit_interval=0.05)
    assert server.writer is not None and server.writer.on_pressure is not None
    pressure: list[bool] = []
    relay = server.writer.on_pressure

    def record(on: bool) -> None:
        pressure.append(on)
        relay(on)

    server.writer.on_pressure = record
    try:
        frames = [
            b"".join(air_frame(mn, WHEN + timedelta(seconds=30 * k)) for k in range(40))
            for mn in ("GPAIR01", "GPAIR02")
        ]
        replies = await asyncio.gather(*(exchange(server.port, payload, replies=40) for payload in frames))
    finally:
        await server.close()
    assert [len(r) for r in replies] == [40, 40]
    assert True in pressure and pressure[-1] is False  # paused, then resumed
    assert all(len({decode(r).qn for r in got}) == 40 for got in replies)
    with UnitOfWork(city.db) as uow:
        assert uow.monitoring.count_observations() == 2 * 40 * 4


async def test_connections_above_the_cap_are_closed_and_the_others_served(city: Fixture) -> None:
    server = await start(city, max_connections=1)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(air_frame("GPAIR01", WHEN))
        await writer.drain()
        first = await asyncio.wait_for(reader.read(65536), 5)
        refused_reader, refused_writer = await asyncio.open_connection("127.0.0.1", server.port)
        refused = await asyncio.wait_for(refused_reader.read(), 5)
        refused_writer.close()
        writer.close()
    finally:
        await server.close()
    assert decode(first).cn == "9014"
    assert refused == b""
    assert server.metrics.errors.get("too_many_connections") == 1
