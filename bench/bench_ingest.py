"""Benchmark of ``greenport ingest``: sustained frames/s stored and acknowledged, ack latency, zero loss.

Runs real server subprocess(es) (``greenport ingest --workers N``) and a load generator (this
process) with 1,000 devices of 8 factors each, on SQLite (WAL, synchronous=FULL) and on
PostgreSQL (``--postgres URL`` or GREENPORT_TEST_POSTGRES_URL).

The load generator is built not to steal the server's CPU: every frame is encoded before the
clock starts (its own small encoder, checked once against ``greenport.protocol.decode``), the
1,000 device connections are asyncio Protocols (uvloop when installed), and a device sends its
next frame when an acknowledgement frees a place in its window (``--window`` frames in flight,
default 1; ``--rate`` paces each device, 0 = as fast as the acks come back). Unacknowledged frames
are re-sent after a reconnect, oldest first.

Afterwards it checks that every frame sent is stored exactly once (observation rows = frames x 8)
and acknowledged, and measures the raw insert rate of the same database with the same repository
function the ingest writer uses (one process, no network, no parsing), so that the ingest figure
reads as a share of what the database can take.

    .venv/bin/python bench/bench_ingest.py [--devices 1000] [--duration 15] [--window 1] [--rate 0]
        [--workers 1] [--postgres URL] [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from greenport.accounts.passwords import hash_password
from greenport.enterprises.model import SiteKind, SiteLevel
from greenport.ingest.simulator import PROFILES, simulated_value
from greenport.kernel.time import CHINA_TZ
from greenport.protocol import crc16_hj212, decode
from greenport.regions.model import DivisionLevel
from greenport.storage.db import Database, normalise_url
from greenport.storage.migrate import upgrade
from greenport.storage.registry import DeviceRow, DivisionRow, SiteRow
from greenport.storage.uow import UnitOfWork

KINDS = (SiteKind.AIR_STATION, SiteKind.GAS_OUTLET, SiteKind.WATER_OUTLET, SiteKind.WATER_SECTION)
PASSWORD = "bench1"
FACTORS = 8
STEP = 30.0  # [s] of DataTime between two frames of a device (the usual RtdInterval)


def populate(db: Database, n: int) -> list[tuple[str, str]]:
    """n sites and devices; returns (MN, site kind) per device."""
    digest = hash_password(PASSWORD, profile="device")
    devices = []
    with db.session() as session:
        session.add(DivisionRow(code="320582000000", name="港城市", level=DivisionLevel.CITY))
        session.flush()
        for i in range(n):
            kind = KINDS[i % len(KINDS)]
            site = SiteRow(
                code=f"S{i:05d}",
                name=f"site {i}",
                kind=kind,
                level=SiteLevel.TOWN,
                town_code="320582000000",
                lon=120.5,
                lat=31.9,
            )
            session.add(site)
            session.flush()
            session.add(DeviceRow(mn=f"BENCH{i:05d}", password_hash=digest, site_id=site.id))
            devices.append((f"BENCH{i:05d}", kind.value))
    return devices


# -- frames, encoded before the clock starts ---------------------------------------------------------


def encode_frames(
    mn: str, kind: str, index: int, count: int, start: datetime
) -> tuple[list[bytes], list[bytes]]:
    """``count`` CN 2011 frames (Flag=5: ack wanted) of one device and their QNs (HJ 212-2017 §6.3)."""
    st, factors = PROFILES[kind]
    rng = random.Random(index)
    pools = []
    for code, mean, noise, corrected in factors:
        variants = []
        for _ in range(16):
            value = simulated_value(code, rng.gauss(mean, mean * noise))
            item = f"{code}-Rtd={value:.3f}"
            if corrected:
                item += f",{code}-ZsRtd={value * 15 / 12:.3f}"
            variants.append(item + f",{code}-Flag=N")
        pools.append(variants)
    frames, qns = [], []
    first = start.astimezone(CHINA_TZ) + timedelta(milliseconds=index % 1000)
    ms = f"{first.microsecond // 1000:03d}"
    for k in range(count):
        local = first + timedelta(seconds=k * STEP)
        stamp = local.strftime("%Y%m%d%H%M%S")
        values = ";".join(pool[(k + j) % 16] for j, pool in enumerate(pools))
        segment = (
            f"QN={stamp}{ms};ST={st};CN=2011;PW={PASSWORD};MN={mn};Flag=5;CP=&&DataTime={stamp};{values}&&"
        ).encode()
        frames.append(b"##%04d%s%04X\r\n" % (len(segment), segment, crc16_hj212(segment)))
        qns.append((stamp + ms).encode())
    return frames, qns


# -- the load generator ----------------------------------------------------------------------------


class Device:
    __slots__ = ("frames", "next", "pending", "qns", "resent", "tokens", "transport")

    def __init__(self, frames: list[bytes], qns: list[bytes]) -> None:
        self.frames = frames
        self.qns = qns
        self.next = 0
        self.pending: dict[bytes, tuple[int, float]] = {}  # QN -> (frame index, sent at)
        self.transport: asyncio.Transport | None = None
        self.tokens = 0.0
        self.resent = 0


class LoadGenerator:
    def __init__(self, devices: list[Device], *, window: int, rate: float) -> None:
        self.devices = devices
        self.window = window
        self.rate = rate
        self.sending = False
        self.counting = False
        self.acked = 0
        self.acked_in_window = 0
        self.latencies: list[float] = []
        self.exhausted = 0

    def pump(self, dev: Device) -> None:
        """Send what the window (and the pacing) allows, in one write."""
        transport = dev.transport
        if not self.sending or transport is None:
            return
        room = self.window - len(dev.pending)
        if self.rate > 0:
            room = min(room, int(dev.tokens))
        if room <= 0:
            return
        end = min(dev.next + room, len(dev.frames))
        if end <= dev.next:
            return
        now = time.perf_counter()
        for i in range(dev.next, end):
            dev.pending[dev.qns[i]] = (i, now)
        if self.rate > 0:
            dev.tokens -= end - dev.next
        transport.write(b"".join(dev.frames[dev.next : end]))
        dev.next = end
        if end == len(dev.frames):
            self.exhausted += 1

    def on_ack(self, dev: Device, qn: bytes) -> None:
        entry = dev.pending.pop(qn, None)
        if entry is None:
            return
        self.acked += 1
        if self.counting:
            self.acked_in_window += 1
            self.latencies.append(time.perf_counter() - entry[1])

    def resend(self, dev: Device) -> None:
        if dev.pending and dev.transport is not None:
            now = time.perf_counter()
            order = sorted(dev.pending.items(), key=lambda item: item[1][0])
            for qn, (i, _) in order:
                dev.pending[qn] = (i, now)
            dev.resent += len(order)
            dev.transport.write(b"".join(dev.frames[i] for _, (i, _) in order))


class DeviceProtocol(asyncio.Protocol):
    def __init__(self, gen: LoadGenerator, dev: Device) -> None:
        self.gen = gen
        self.dev = dev
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.dev.transport = transport  # type: ignore[assignment]  # uvloop's is not an asyncio.Transport

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        gen, dev = self.gen, self.dev
        start = 0
        while True:
            end = buffer.find(b"\r\n", start)
            if end < 0:
                break
            line = buffer[start:end]
            start = end + 2
            at = line.find(b"QN=")
            if at >= 0 and b"CN=9014" in line:
                gen.on_ack(dev, line[at + 3 : at + 20])
        self.buffer = buffer[start:]
        gen.pump(dev)

    def connection_lost(self, exc: Exception | None) -> None:
        self.dev.transport = None


async def connect(gen: LoadGenerator, dev: Device, port: int) -> bool:
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(
            loop.create_connection(lambda: DeviceProtocol(gen, dev), "127.0.0.1", port), 10
        )
    except (OSError, TimeoutError):
        return False
    gen.resend(dev)
    return True


async def drive(devices: list[Device], port: int, args: argparse.Namespace) -> dict[str, Any]:
    gen = LoadGenerator(devices, window=args.window, rate=args.rate)
    for batch in range(0, len(devices), 200):
        await asyncio.gather(*(connect(gen, d, port) for d in devices[batch : batch + 200]))
    # warm-up: one frame per device, so that every log-in (argon2) happens before the clock starts
    gen.sending = True
    saved_window, gen.window = gen.window, 1
    for dev in devices:
        dev.tokens = 1.0
        gen.pump(dev)
    gen.sending = False  # an ack of the warm-up sends nothing more
    deadline = time.perf_counter() + 300
    while any(d.pending for d in devices) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    gen.window = saved_window
    gen.sending = True
    reconnects = 0

    async def reconnect_lost() -> None:
        nonlocal reconnects
        lost = [d for d in devices if d.transport is None]
        if lost:
            reconnects += len(lost)
            await asyncio.gather(*(connect(gen, d, port) for d in lost))

    print(
        f"warm-up done (every device logged in), timed run of {args.duration:g} s",
        file=sys.stderr,
        flush=True,
    )
    gen.counting = True
    started = time.perf_counter()
    phases = random.Random(2022)
    for dev in devices:
        if gen.rate > 0:  # paced loggers are not synchronised: spread their sending phases
            dev.tokens = phases.random()
        else:
            dev.tokens = 1.0
            gen.pump(dev)
    last = started
    tick = 0.01
    while (now := time.perf_counter()) - started < args.duration:
        if gen.rate > 0:
            dt, last = now - last, now
            for dev in devices:
                dev.tokens = min(dev.tokens + dt * gen.rate, gen.window + 1.0)
                gen.pump(dev)
        await asyncio.sleep(tick)
        if int((now - started) / 0.5) != int((time.perf_counter() - started) / 0.5):
            await reconnect_lost()
    seconds = time.perf_counter() - started
    gen.counting = False
    gen.sending = False
    drain_deadline = time.perf_counter() + args.drain
    while any(d.pending for d in devices) and time.perf_counter() < drain_deadline:
        await reconnect_lost()
        await asyncio.sleep(0.1)
    for dev in devices:
        if dev.transport is not None:
            dev.transport.close()
    await asyncio.sleep(0.05)
    data = sorted(gen.latencies)

    def pct(p: float) -> float | None:
        return round(data[min(len(data) - 1, round(p / 100 * (len(data) - 1)))] * 1000, 1) if data else None

    sent = sum(d.next for d in devices)
    return {
        "seconds": seconds,
        "sent": sent,
        "acknowledged": gen.acked,
        "unacknowledged": sum(len(d.pending) for d in devices),
        "acked_in_window": gen.acked_in_window,
        "p50_ms": pct(50),
        "p99_ms": pct(99),
        "resent": sum(d.resent for d in devices),
        "reconnects": reconnects,
        "devices_out_of_frames": gen.exhausted,
    }


def run_generator(devices: list[Device], port: int, args: argparse.Namespace) -> dict[str, Any]:
    runner: Callable[..., Any] = asyncio.run
    if args.loop == "uvloop":
        import uvloop

        runner = uvloop.run
    result: dict[str, Any] = runner(drive(devices, port, args))
    return result


# -- server and database ---------------------------------------------------------------------------


def start_server(url: str, args: argparse.Namespace) -> tuple[subprocess.Popen[str], int]:
    cmd = [
        sys.executable,
        "-m",
        "greenport",
        "ingest",
        "--port",
        "0",
        "--database",
        url,
        "--aggregate-interval",
        "0",
        "--log-level",
        "WARNING",
        "--max-connections-per-device",
        "4",
        # every simulated device connects from 127.0.0.1: the per-address cap (100 by default, meant
        # for one site's NAT) would refuse most of them, so allow them all (and a reconnect each)
        "--max-connections-per-address",
        str(2 * args.devices),
        "--commit-interval",
        str(args.commit_interval),
        "--workers",
        str(args.workers),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, int(json.loads(line)["port"])


def raw_insert_rate(db: Database, rows: int) -> float:
    """Values/s of the ingest writer's own repository call alone (``store_rows``): batches of
    1,000 frames of 8 factors (1,000 readings holding 8,000 values, with their 1,000 audit frame
    rows), one commit each, time-ordered like live data. Counted in values (observation rows of
    the old one-row-per-value layout) so that it reads against the ingest figure in values/s."""
    from greenport.storage.monitoring import pack_measurements
    from greenport.storage.monitoring_repo import time_value_for

    tv = time_value_for(db.dialect)
    base = datetime(2030, 1, 1, tzinfo=UTC)
    raw = b"##0000" + b"x" * 300 + b"0000\r\n"
    batch_frames = 1000
    started = time.perf_counter()
    done = 0
    k = 0
    frame_id = 1 << 40
    while done < rows:
        readings: list[tuple[Any, ...]] = []
        frames: list[tuple[Any, ...]] = []
        for device in range(batch_frames):
            when = tv(base + timedelta(seconds=30 * k, milliseconds=device))
            frame_id += 1
            frames.append((frame_id, when, device + 1, "BENCH", "2011", "20300101000000000", None, raw))
            values = pack_measurements({f"p{j}": [1.0 + j + device / 7, "N"] for j in range(FACTORS)})
            readings.append((when, device + 1, "raw", 1, frame_id, 0, when, FACTORS, values))
        k += 1
        with UnitOfWork(db) as uow:
            uow.monitoring.store_rows(frames=frames, observations=readings)
        done += batch_frames * FACTORS
    return done / (time.perf_counter() - started)


def run_one(label: str, url: str, args: argparse.Namespace) -> dict[str, object]:
    upgrade(url)
    db = Database.from_url(url)
    registered = populate(db, args.devices)
    per_device = 1 + max(1, math.ceil(args.duration * (args.rate or args.max_rate) * 1.05))
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=per_device * STEP + 3600)
    t0 = time.perf_counter()
    devices = []
    for index, (mn, kind) in enumerate(registered):
        frames, qns = encode_frames(mn, kind, index, per_device, start)
        devices.append(Device(frames, qns))
    for dev in devices[: len(KINDS)]:  # the bench's encoder agrees with the codec
        message = decode(dev.frames[0])
        assert message.cn == "2011" and len(message.cp.factors) == FACTORS, message
    encode_seconds = time.perf_counter() - t0
    proc, port = start_server(url, args)
    try:
        result = run_generator(devices, port, args)
    finally:
        proc.terminate()
        proc.wait(30)
    with UnitOfWork(db) as uow:
        stored = uow.monitoring.count_observations()
        frame_rows = uow.monitoring.count_frames()
        refused = Counter(entry.reason for entry in uow.monitoring.quarantine(limit=1_000_000))
    rate = raw_insert_rate(db, args.raw_rows)
    db.dispose()
    sent = result["sent"]
    acked = result["acknowledged"]
    per_second = result["acked_in_window"] / result["seconds"]
    out: dict[str, object] = {
        "database": label,
        "devices": args.devices,
        "server_processes": args.workers,
        "window_frames_per_device": args.window,
        "offered": "closed loop (next frame on ack)"
        if args.rate <= 0
        else f"{args.devices * args.rate:g} frames/s",
        "seconds": round(result["seconds"], 2),
        "frames_stored_and_acked_per_second": round(per_second),
        "ack_latency_p50_ms": result["p50_ms"],
        "ack_latency_p99_ms": result["p99_ms"],
        "sent": sent,
        "acknowledged": acked,
        "resent": result["resent"],
        "reconnects": result["reconnects"],
        "devices_out_of_frames": result["devices_out_of_frames"],
        "observations_stored": stored,
        "frame_rows": frame_rows,
        "quarantined_by_reason": dict(refused),
        "stored_exactly_once": stored == sent * FACTORS,
        "zero_loss": sent > 0 and stored == sent * FACTORS and acked == sent,
        "raw_insert_values_per_second": round(rate),
        "ingest_values_per_second": round(per_second * FACTORS),
        "share_of_raw_insert_rate": round(per_second * FACTORS / rate, 3) if rate else None,
        "frames_encoded_before_the_clock": sent,
        "encode_seconds": round(encode_seconds, 1),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of the timed run")
    parser.add_argument(
        "--window", type=int, default=1, help="unacknowledged frames a device may have in flight"
    )
    parser.add_argument("--rate", type=float, default=0.0, help="frames/s per device (0 = next frame on ack)")
    parser.add_argument(
        "--max-rate", type=float, default=30.0, help="frames/s per device to encode for when --rate is 0"
    )
    parser.add_argument("--drain", type=float, default=120.0, help="seconds to wait for the last acks")
    parser.add_argument("--raw-rows", type=int, default=400_000)
    parser.add_argument("--workers", type=int, default=1, help="ingest processes on the port (SO_REUSEPORT)")
    parser.add_argument("--commit-interval", type=float, default=0.005)
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default=_default_loop())
    parser.add_argument("--postgres", default=os.environ.get("GREENPORT_TEST_POSTGRES_URL", ""))
    parser.add_argument("--only", choices=["sqlite", "postgres"], default=None)
    args = parser.parse_args()
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            result = run_one("sqlite (WAL, synchronous=FULL)", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
            print(json.dumps(result, indent=2), flush=True)
    if args.only in (None, "postgres"):
        if not args.postgres:
            print("PostgreSQL skipped: give --postgres URL or GREENPORT_TEST_POSTGRES_URL", flush=True)
        else:
            server = normalise_url(args.postgres)
            name = f"gp_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                result = run_one("postgresql", f"{server.rpartition('/')[0]}/{name}", args)
                print(json.dumps(result, indent=2), flush=True)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


def _default_loop() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


if __name__ == "__main__":
    main()
