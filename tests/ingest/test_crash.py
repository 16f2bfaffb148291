"""SIGKILL mid-stream: every acknowledged frame is stored exactly once and, after the simulator has
re-sent what was never acknowledged, the total equals what was sent (issue 4, "What must hold")."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime

from greenport.ingest.simulator import SimConfig, SimDevice, simulate
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork

from .conftest import PASSWORD, populate

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def spawn(url: str, port: int = 0) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "greenport",
            "ingest",
            "--port",
            str(port),
            "--database",
            url,
            "--aggregate-interval",
            "0",
            "--log-level",
            "WARNING",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, "server did not start"
    return proc, int(json.loads(line)["port"])


async def test_sigkill_mid_stream_loses_no_acknowledged_frame(db: Database, database_url: str) -> None:
    devices = populate(db)
    sims = [SimDevice(mn, PASSWORD, kind) for mn, (_, _, kind) in devices.items()]
    proc, port = spawn(database_url)
    restarted: list[subprocess.Popen[str]] = []

    async def killer() -> None:
        await asyncio.sleep(2.0)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        await asyncio.sleep(0.5)
        new, _ = await asyncio.to_thread(spawn, database_url, port)
        restarted.append(new)

    try:
        config = SimConfig(port=port, rate=25, duration=5, step=30, drain=30, seed=4)
        result, _ = await asyncio.gather(simulate(sims, config), killer())
    finally:
        for p in [proc, *restarted]:
            if p.poll() is None:
                p.terminate()
                p.wait(10)
    assert proc.returncode == -signal.SIGKILL
    assert result.reconnects >= len(sims)  # every device saw the crash
    assert result.sent > 300 and result.acked == result.sent and result.unacked == 0
    with UnitOfWork(db) as uow:
        stored = uow.monitoring.count_observations()
        observations = uow.monitoring.observations(start=EPOCH, end=EPOCH.replace(year=2100))
    frames = {(o.device_id, o.data_time) for o in observations}
    assert len(frames) == result.sent  # each sent frame once, none invented
    assert stored == result.sent * 8  # 8 factors per simulated frame, no duplicate
