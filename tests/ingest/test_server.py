"""The server in-process on 127.0.0.1:0: acknowledged means stored, once; bad input quarantined."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from greenport.ingest.server import IngestConfig, IngestServer
from greenport.ingest.simulator import frame_bytes, upload_segment
from greenport.protocol import FrameBuffer, decode
from greenport.protocol.messages import Message
from greenport.protocol.redact import mask_password
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


async def test_a_new_password_or_a_disabled_device_takes_effect_on_open_connections(city: Fixture) -> None:
    """The bureau changes GPAIR01's password and disables GPAIR02 while both are connected and
    logged in: after the next check against the registry, old credentials are refused on the
    same connections, the new password is accepted, and an unchanged device is left alone."""
    from sqlalchemy import update

    from greenport.accounts.passwords import hash_password
    from greenport.storage.registry import DeviceRow

    server = await start(city, max_auth_failures=10, auth_refresh=0)
    conns = {}
    try:
        for mn in ("GPAIR01", "GPAIR02", "GPSEC01"):
            conns[mn] = await asyncio.open_connection("127.0.0.1", server.port)

        async def send(mn: str, frame: bytes) -> list[bytes]:
            reader, writer = conns[mn]
            writer.write(frame)
            await writer.drain()
            try:
                data = await asyncio.wait_for(reader.read(65536), 2)
            except TimeoutError:
                return []
            return [item for item in FrameBuffer().feed(data) if isinstance(item, bytes)]

        for k, mn in enumerate(("GPAIR01", "GPAIR02", "GPSEC01")):
            assert len(await send(mn, air_frame(mn, WHEN + timedelta(minutes=k)))) == 1
        assert await server.revalidate() == set()  # nothing changed: nobody is checked again

        with UnitOfWork(city.db) as uow:
            uow.session.execute(
                update(DeviceRow)
                .where(DeviceRow.mn == "GPAIR01")
                .values(password_hash=hash_password("n3w-pw", profile="device"))
            )
            uow.session.execute(update(DeviceRow).where(DeviceRow.mn == "GPAIR02").values(active=False))
        assert await server.revalidate() == {"GPAIR01", "GPAIR02"}

        later = WHEN + timedelta(minutes=10)
        assert await send("GPAIR01", air_frame("GPAIR01", later)) == []  # the old password
        assert len(await send("GPAIR01", air_frame("GPAIR01", later, pw="n3w-pw"))) == 1
        assert await send("GPAIR02", air_frame("GPAIR02", later)) == []  # disabled
        assert len(await send("GPSEC01", air_frame("GPSEC01", later))) == 1  # unchanged, still served
    finally:
        for _, writer in conns.values():
            writer.close()
        await server.close()
    with UnitOfWork(city.db) as uow:
        refused = {(e.mn, e.reason) for e in uow.monitoring.quarantine()}
    assert refused == {("GPAIR01", "bad_password"), ("GPAIR02", "unknown_mn")}


async def test_a_split_upload_is_merged_into_one_reading_each_value_with_its_frame(city: Fixture) -> None:
    """HJ 212-2017 §6.3.3: a logger may split one upload over several packets (PNUM/PNO), each with
    the same DataTime and some of the factors. Every packet is acknowledged after it is stored; the
    reading ends up with all the factors, each linked to the frame it came in, and the packets
    re-sent after a lost ack add nothing."""
    from greenport.protocol import encode

    parts = []
    for number, values in enumerate(
        ([("a34004", 35.0, None), ("a34002", 60.0, None)], [("a21026", 9.0, None)]), 1
    ):
        msg = decode(
            frame_bytes(upload_segment(st="22", mn="GPAIR01", pw=PASSWORD, data_time=WHEN, values=values))
        )
        parts.append(encode(replace(msg, qn=f"{msg.qn[:-1]}{number}", pnum=2, pno=number)))
    server = await start(city)
    try:
        first = await exchange(server.port, parts[0], replies=1)
        both_again = await exchange(server.port, parts[1] + parts[0] + parts[1], replies=3)
    finally:
        await server.close()
    assert len(first) == 1 and len(both_again) == 3
    with UnitOfWork(city.db) as uow:
        stored = uow.monitoring.observations(start=WHEN, end=WHEN + timedelta(seconds=1))
        assert uow.monitoring.count_observations() == 3
    values = {o.parameter: o.value for o in stored}
    assert values == {"pm2_5": 35.0, "pm10": 60.0, "so2": 9.0}
    frames = {o.parameter: o.frame_id for o in stored}
    assert frames["pm2_5"] == frames["pm10"] != frames["so2"]
    with UnitOfWork(city.db) as uow:
        audit = {o.parameter: uow.monitoring.frame(o.frame_id) for o in stored}
    assert all(frame is not None for frame in audit.values())
    assert b"a21026" in audit["so2"].raw and b"a34004" in audit["pm2_5"].raw  # type: ignore[union-attr]


async def test_what_a_refused_frame_claims_never_fails_the_batch_of_its_neighbours(city: Fixture) -> None:
    """An unknown MN longer than the quarantine's column, with a NUL in it, and a factor code of
    60 characters with a bad value: both quarantined (cut to fit, raw bytes whole), and a good
    frame committed in the same group commit is stored and acknowledged (on PostgreSQL such a
    row used to fail the whole transaction)."""
    server = await start(city, commit_interval=0.3)
    long_mn = "M" * 100 + "\x00" + "N"
    long_code = "a" + "9" * 59
    claims = frame_bytes(
        upload_segment(st="22", mn=long_mn, pw=PASSWORD, data_time=WHEN, values=[("a34004", 1.0, None)])
    ) + frame_bytes(
        f"QN=20220601080000001;ST=22;CN=2011;PW={PASSWORD};MN=GPAIR01;Flag=5;"
        f"CP=&&DataTime=20220601080000;{long_code}-Rtd=abc&&"
    )

    async def unanswered() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(claims)
        try:
            return await asyncio.wait_for(reader.read(65536), 1.5)
        except TimeoutError:
            return b""
        finally:
            writer.close()

    try:
        refused, good = await asyncio.gather(
            unanswered(), exchange(server.port, air_frame("GPAIR02", WHEN), replies=1)
        )
    finally:
        await server.close()
    assert refused == b"" and [decode(r).cn for r in good] == ["9014"]
    with UnitOfWork(city.db) as uow:
        entries = {e.reason: e for e in uow.monitoring.quarantine()}
        stored = uow.monitoring.observations(start=WHEN, end=WHEN + timedelta(minutes=1))
    assert {o.device_id for o in stored} == {city.devices["GPAIR02"][0]}
    unknown = entries["unknown_mn"]
    assert unknown.mn is not None and len(unknown.mn) == 64 and unknown.mn.endswith("…")
    assert long_mn.encode() in unknown.raw  # the whole claim, as sent
    bad_value = next(e for reason, e in entries.items() if reason != "unknown_mn")
    assert bad_value.field is not None and len(bad_value.field) <= 40 and bad_value.field.startswith("a999")


async def test_a_data_time_without_a_utc_instant_is_quarantined_not_dropped(city: Fixture) -> None:
    """DataTime 00010101000000 (China time) is a valid HJ 212 time but has no UTC instant."""
    server = await start(city)
    ancient = frame_bytes(
        f"QN=20220601080000001;ST=22;CN=2011;PW={PASSWORD};MN=GPAIR01;Flag=5;"
        "CP=&&DataTime=00010101000000;a34004-Rtd=35.0,a34004-Flag=N&&"
    )
    try:
        replies = await exchange(server.port, ancient + air_frame("GPAIR01", WHEN), replies=1)
    finally:
        await server.close()
    assert [decode(r).qn for r in replies] == [decode(air_frame("GPAIR01", WHEN)).qn]
    with UnitOfWork(city.db) as uow:
        [entry] = uow.monitoring.quarantine()
    assert (entry.reason, entry.field, entry.raw) == ("bad_value", "DataTime", mask_password(ancient))


async def test_a_frame_the_server_fails_on_is_quarantined_and_the_connection_goes_on(
    city: Fixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug met by one frame: the frame is kept with its raw bytes (reason ``server_error``), not
    acknowledged, and the frames behind it on the same connection are stored and acknowledged."""
    from greenport.ingest import server as server_module

    real = server_module.reading_row

    def fails_on_13(msg: Message, *args: Any, **kwargs: Any) -> Any:
        if msg.cp.factors["a34004"]["Rtd"] == 13.0:
            raise RuntimeError("a bug")
        return real(msg, *args, **kwargs)

    monkeypatch.setattr(server_module, "reading_row", fails_on_13)
    server = await start(city)
    bad = air_frame("GPAIR01", WHEN, pm25=13.0)
    after = [air_frame("GPAIR01", WHEN + timedelta(seconds=30 * k)) for k in (1, 2)]
    try:  # first log-in (awaited path), then a frame handled synchronously
        replies = await exchange(server.port, bad + after[0], replies=1)
        replies += await exchange(server.port, after[1] + bad, replies=1)
    finally:
        await server.close()
    assert [decode(r).qn for r in replies] == [decode(f).qn for f in after]
    with UnitOfWork(city.db) as uow:
        entries = uow.monitoring.quarantine()
        stored = uow.monitoring.observations(start=WHEN, end=WHEN + timedelta(hours=1))
    assert [(e.reason, e.raw, e.mn) for e in entries] == [("server_error", mask_password(bad), "GPAIR01")] * 2
    assert all(e.detail == "RuntimeError: a bug" for e in entries)
    assert sorted({o.data_time for o in stored}) == [WHEN + timedelta(seconds=30 * k) for k in (1, 2)]
