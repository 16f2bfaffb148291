"""Limits that keep one source from taking the server or the database (issue 12, items 4 and 5):
a frame's deadline counts from its first byte, connections are capped per source address, the
quarantine is rate-limited per address, keeps a bounded prefix of junk and is purged after its
retention. Real sockets; the only timings are small timeouts the assertions do not race."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

from typer.testing import CliRunner

from greenport.cli.main import app
from greenport.ingest.limits import TokenBuckets
from greenport.kernel.time import utcnow
from greenport.monitoring.model import QuarantineEntry
from greenport.protocol import decode
from greenport.storage.uow import UnitOfWork

from .conftest import Fixture
from .test_server import WHEN, air_frame, exchange, start


async def test_a_sender_trickling_a_frame_is_cut_and_a_real_device_is_served(city: Fixture) -> None:
    """Before: the frame timeout counted from the last byte, so a byte every 0.1 s (a 205-byte
    frame in 20 s) was never cut by a 0.5 s timeout. Now it is cut 0.5 s after its first byte."""
    server = await start(city, frame_timeout=0.5)
    frame = air_frame("GPAIR01", WHEN)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)

        async def trickle() -> int:
            sent = 0
            for byte in frame[:-2]:  # never finished
                if writer.is_closing() or reader.at_eof():
                    break
                writer.write(bytes([byte]))
                sent += 1
                try:
                    await writer.drain()
                except ConnectionError:
                    break
                await asyncio.sleep(0.1)
            return sent

        trickling = asyncio.ensure_future(trickle())
        served = await exchange(server.port, air_frame("GPAIR02", WHEN), replies=1)
        closed = await asyncio.wait_for(reader.read(), 15)  # the cut: end of stream
        sent = await trickling
        writer.close()
    finally:
        await server.close()
    assert closed == b"" and sent < len(frame) - 2  # cut before the frame could end
    assert [decode(r).cn for r in served] == ["9014"]
    with UnitOfWork(city.db) as uow:
        (entry,) = uow.monitoring.quarantine(reason="idle")
    assert frame.startswith(entry.raw.replace(b"******", b"123456")) and "first byte" in (entry.detail or "")


async def test_connections_are_capped_per_source_address(city: Fixture) -> None:
    server = await start(city, max_connections_per_address=2)
    try:
        held = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(2)]
        refused_reader, refused_writer = await asyncio.open_connection("127.0.0.1", server.port)
        refused = await asyncio.wait_for(refused_reader.read(), 5)
        refused_writer.close()
        # another address (a device elsewhere) still gets a slot and its acknowledgement
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port, local_addr=("127.0.0.2", 0))
        writer.write(air_frame("GPAIR01", WHEN))
        await writer.drain()
        ack = await asyncio.wait_for(reader.read(65536), 10)
        writer.close()
        for _, held_writer in held:
            held_writer.close()
        await asyncio.sleep(0.2)
        again = await exchange(server.port, air_frame("GPAIR02", WHEN), replies=1)  # slots given back
    finally:
        await server.close()
    assert refused == b""
    assert decode(ack).cn == "9014" and len(again) == 1
    assert server.metrics.errors.get("too_many_connections") == 1


def test_token_buckets_allow_a_burst_then_the_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate=2.0, burst=3, clock=lambda: now[0], size=2)
    assert [buckets.take("a") for _ in range(4)] == [True, True, True, False]
    now[0] = 0.5  # one token back
    assert [buckets.take("a"), buckets.take("a")] == [True, False]
    assert buckets.take("b")  # each address its own bucket


async def test_quarantine_is_rate_limited_per_address_and_junk_is_kept_as_a_bounded_prefix(
    city: Fixture,
) -> None:
    """Before: every refused item was stored whole (20 MiB of junk became 20 MiB of rows). Now
    an address stores ``quarantine_burst`` entries (rate 0: no more), the rest is counted, and an
    entry keeps at most ``quarantine_raw_limit`` bytes with the length and SHA-256 of the whole."""
    server = await start(
        city, quarantine_rate=0.0, quarantine_burst=3, quarantine_raw_limit=100, max_auth_failures=100
    )
    junk = b"x" * 20_000
    unknown = [air_frame("NOSUCHMN", WHEN + timedelta(seconds=k)) for k in range(6)]
    try:
        _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(junk + b"".join(unknown))
        await writer.drain()
        await asyncio.sleep(0.5)
        served = await exchange(server.port, air_frame("GPAIR01", WHEN), replies=1)  # authenticated: served
        writer.close()
        await asyncio.sleep(0.3)
    finally:
        await server.close()
    assert len(served) == 1
    with UnitOfWork(city.db) as uow:
        entries = uow.monitoring.quarantine(limit=100)
    assert len(entries) == 3
    assert server.metrics.quarantine_dropped == 4  # junk + 6 unknown MNs = 7 items, 3 stored
    assert "greenport_ingest_quarantine_dropped_total 4" in server.metrics.render()
    (framing,) = [e for e in entries if e.reason == "framing"]
    assert framing.raw == junk[:100]
    assert f"20000 bytes, sha256 {hashlib.sha256(junk).hexdigest()}" in (framing.detail or "")


def old_and_new_entries(fixture: Fixture) -> None:
    now = utcnow()
    with UnitOfWork(fixture.db) as uow:
        uow.monitoring.store(
            quarantine=[
                QuarantineEntry(
                    received_at=now - timedelta(days=days), reason="framing", raw=b"x", detail=str(days)
                )
                for days in (200, 91, 10)
            ]
        )


async def test_the_server_purges_quarantine_entries_older_than_the_retention(city: Fixture) -> None:
    old_and_new_entries(city)
    server = await start(city, quarantine_retention_days=90, purge_interval=3600)
    try:
        for _ in range(100):  # the first purge runs at start, in a thread
            if server.metrics.quarantine_purged:
                break
            await asyncio.sleep(0.05)
    finally:
        await server.close()
    assert server.metrics.quarantine_purged == 2
    with UnitOfWork(city.db) as uow:
        assert [e.detail for e in uow.monitoring.quarantine()] == ["10"]


def test_ingest_quarantine_purge_deletes_what_is_older_than_the_days_given(city: Fixture) -> None:
    old_and_new_entries(city)
    result = CliRunner().invoke(
        app, ["ingest", "quarantine", "--purge", "--days", "100", "--database", city.url, "--json"]
    )
    assert result.exit_code == 0, result.output
    assert '"purged": 1' in result.output
    with UnitOfWork(city.db) as uow:
        assert sorted(e.detail or "" for e in uow.monitoring.quarantine()) == ["10", "91"]
