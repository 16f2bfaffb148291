"""``greenport demo`` background services: the server and the simulated devices start and stop."""

from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path

from greenport.bootstrap import Container
from greenport.config import Settings
from greenport.ingest.demo_services import FOREVER, INJECT_WINDOW, start_background_services
from greenport.ingest.simulator import SimConfig, SimDevice, Simulator
from greenport.storage.db import Database
from greenport.storage.migrate import upgrade

from .conftest import PASSWORD, populate


def free_port_pair() -> int:
    """A port whose next port is free too: the demo serves its metrics on the ingest port + 1
    (a lone free port raced with whatever held the next one, and the test failed now and then)."""
    for _ in range(50):
        with socket.socket() as probe, socket.socket() as neighbour:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
            try:
                neighbour.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise RuntimeError("no two adjacent free ports on 127.0.0.1")


def test_background_services_serve_metrics_and_stop(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    db = Database.from_url(url)
    devices = [SimDevice(mn, PASSWORD, kind) for mn, (_, _, kind) in populate(db).items()]
    port = free_port_pair()
    settings = Settings(database_url=url, mode="demo", ingest_port=port, alarm_interval=0.2)
    container = Container(settings, db)
    stop = start_background_services(container, devices=devices)
    assert stop is not None
    try:
        deadline = time.monotonic() + 10
        body = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port + 1}/metrics", timeout=2) as response:
                    body = response.read().decode()
                if "greenport_ingest_connections 5" in body and "greenport_alarm_passes_total 0" not in body:
                    break
            except OSError:
                pass
            time.sleep(0.2)
    finally:
        stop()
    assert "greenport_ingest_connections 5" in body  # the five demo devices are connected
    # the demo's ingest evaluates the alarm rules (every GREENPORT_ALARM_INTERVAL seconds)
    assert "greenport_alarm_passes_total" in body and "greenport_alarm_passes_total 0" not in body
    db.dispose()


def test_the_injections_act_in_their_window() -> None:
    """The demo plays its injections from 1 to 21 minutes (long enough for the shipped real-time
    flat-line rule: 30 unchanged 30-s values); a timed run, in its middle third."""
    devices = [SimDevice("GPGAS01", PASSWORD, "gas_outlet")]
    live = Simulator(devices, SimConfig(duration=FOREVER, inject_window=INJECT_WINDOW))
    assert not live.injecting(59.0) and live.injecting(60.0) and live.injecting(20 * 60.0)
    assert not live.injecting(21 * 60.0)
    assert INJECT_WINDOW[1] - INJECT_WINDOW[0] >= 31 * 30  # 31 frames at one per 30 s
    timed = Simulator(devices, SimConfig(duration=9.0))
    assert [timed.injecting(t) for t in (2.9, 3.0, 5.9, 6.0)] == [False, True, True, False]
