"""``greenport simulate --inject``: what was injected, and what it did, against a real server."""

from __future__ import annotations

import pytest

from greenport.cli.ingest import print_simulation
from greenport.ingest.server import IngestConfig, IngestServer
from greenport.ingest.simulator import SimConfig, SimDevice, simulate
from greenport.storage.db import Database
from tests.ingest.conftest import PASSWORD, populate


async def test_injections_are_reported_with_device_parameters_window_and_effect(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    devices = populate(db)
    sims = [SimDevice(mn, PASSWORD, kind) for mn, (_, _, kind) in devices.items()]
    server = IngestServer(db, IngestConfig(port=0, aggregate_interval=0))
    await server.start()
    try:
        config = SimConfig(
            port=server.port,
            rate=20,
            duration=1.5,
            step=30,
            drain=20,
            inject=frozenset({"exceedance", "flatline", "offline"}),
        )
        result = await simulate(sims, config)
    finally:
        await server.close()
    reports = {r["injection"]: r for r in result.to_dict()["injections"]}
    assert set(reports) == {"exceedance", "flatline", "offline"}
    exceedance = reports["exceedance"]
    assert exceedance["mn"] == "GPGAS01"  # the outlet device
    assert "a21026" in exceedance["parameters"]  # flue-gas SO2 among the raised values
    assert exceedance["frames"] > 0 and exceedance["acknowledged"] == exceedance["frames"]
    assert exceedance["from"] <= exceedance["to"]
    assert reports["flatline"]["mn"] == "GPAIR01"
    offline = reports["offline"]
    assert offline["frames"] > 0 and offline["acknowledged"] == offline["frames"]  # kept, re-sent, acked

    print_simulation(result)
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("injected exceedance"))
    assert "device GPGAS01" in line and "二氧化硫 a21026" in line and "(Beijing time)" in line
    assert f"{exceedance['frames']} frames sent, {exceedance['acknowledged']} acknowledged" in line
