"""Benchmark of ``greenport ingest``: sustained frames/s stored and acknowledged, ack latency, zero loss.

Runs a real server subprocess (``greenport ingest``) and the simulator (this process) with 1,000
devices of 8 factors each, on SQLite (WAL, synchronous=FULL) and on PostgreSQL
(``--postgres URL`` or GREENPORT_TEST_POSTGRES_URL). Afterwards it checks that every frame sent is
stored exactly once, and measures the raw insert rate of the same database with the same
repository function (one process, no network, no parsing), so that the ingest figure reads as a
share of what the database can take.

    .venv/bin/python bench/bench_ingest.py [--devices 1000] [--rate 20] [--duration 20] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from greenport.accounts.passwords import hash_password
from greenport.enterprises.model import SiteKind, SiteLevel
from greenport.ingest.simulator import SimConfig, SimDevice, simulate
from greenport.kernel.time import PeriodKind
from greenport.monitoring.model import Observation
from greenport.regions.model import DivisionLevel
from greenport.storage.db import Database, normalise_url
from greenport.storage.migrate import upgrade
from greenport.storage.registry import DeviceRow, DivisionRow, SiteRow
from greenport.storage.uow import UnitOfWork

KINDS = (SiteKind.AIR_STATION, SiteKind.GAS_OUTLET, SiteKind.WATER_OUTLET, SiteKind.WATER_SECTION)
PASSWORD = "bench1"


def populate(db: Database, n: int) -> list[SimDevice]:
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
            devices.append(SimDevice(f"BENCH{i:05d}", PASSWORD, kind.value))
    return devices


def start_server(url: str, workers: int = 1) -> tuple[subprocess.Popen[str], int]:
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
        "--workers",
        str(workers),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, int(json.loads(line)["port"])


def raw_insert_rate(db: Database, rows: int) -> float:
    """Rows/s of ``MonitoringRepository.store`` alone: batches of 8,000 rows, one commit each."""
    base = datetime(2030, 1, 1, tzinfo=UTC)
    batch = 8000
    started = time.perf_counter()
    done = 0
    k = 0
    while done < rows:
        obs = []
        for _ in range(batch // 8):
            when = base + timedelta(seconds=30 * k)
            k += 1
            obs.extend(
                Observation(when, 1, 1, PeriodKind.RAW, f"p{j}", 1.0 + j, received_at=when) for j in range(8)
            )
        with UnitOfWork(db) as uow:
            uow.monitoring.store(observations=obs)
        done += len(obs)
    return done / (time.perf_counter() - started)


def run_one(label: str, url: str, args: argparse.Namespace) -> dict[str, object]:
    upgrade(url)
    db = Database.from_url(url)
    devices = populate(db, args.devices)
    proc, port = start_server(url, args.workers)
    try:
        config = SimConfig(
            port=port, rate=args.rate, duration=args.duration, drain=300, tick=0.05, warmup=True
        )
        result = asyncio.run(simulate(devices, config))
    finally:
        proc.terminate()
        proc.wait(30)
    with UnitOfWork(db) as uow:
        stored = uow.monitoring.count_observations()
        frames = uow.monitoring.count_frames()
    summary = result.to_dict()
    rate = raw_insert_rate(db, args.raw_rows)
    db.dispose()
    factors = 8
    out = {
        "database": label,
        "devices": args.devices,
        "workers": args.workers,
        "offered_frames_per_second": args.devices * args.rate,
        "sent": result.sent,
        "acknowledged": result.acked,
        "frames_stored_and_acked_per_second": round((result.acked - args.devices) / result.seconds, 1),
        "seconds_to_drain": round(result.seconds, 2),
        "ack_latency_p50_ms": summary["ack_latency_p50_ms"],
        "ack_latency_p99_ms": summary["ack_latency_p99_ms"],
        "observations_stored": stored,
        "frames_rows": frames,
        "stored_exactly_once": stored == result.sent * factors,  # every frame sent, once, 8 rows each
        "all_acknowledged": result.acked == result.sent,
        "zero_loss": stored == result.sent * factors and result.acked == result.sent,
        "raw_insert_rows_per_second": round(rate),
        "ingest_rows_per_second": round((result.acked - args.devices) * factors / result.seconds),
    }
    out["share_of_raw_insert_rate"] = round(out["ingest_rows_per_second"] / rate, 3) if rate else None  # type: ignore[operator]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="frames/s per device")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of sending")
    parser.add_argument("--raw-rows", type=int, default=400_000)
    parser.add_argument("--workers", type=int, default=1, help="ingest processes on the port (SO_REUSEPORT)")
    parser.add_argument("--postgres", default=os.environ.get("GREENPORT_TEST_POSTGRES_URL", ""))
    parser.add_argument("--only", choices=["sqlite", "postgres"], default=None)
    args = parser.parse_args()
    results = []
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(
                run_one("sqlite (WAL, synchronous=FULL)", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
            )
            print(json.dumps(results[-1], indent=2), flush=True)
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
                results.append(run_one("postgresql", f"{server.rpartition('/')[0]}/{name}", args))
                print(json.dumps(results[-1], indent=2), flush=True)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
