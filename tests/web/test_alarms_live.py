"""End to end (issue 16, "What must hold"): the simulator injects an exceedance, an offline device
and a flat line over TCP into the real ingest server with its evaluator; the three alarms exist
within 10 s; an officer's 一张图 map in headless Chromium rings the three sites.

A real uvicorn serves the app, a real HJ 212 ingest server evaluates every 0.2 s with the rules of
the TCP end-to-end test (short holds and silences, for a run of seconds), the simulator
(its own encoder) sends as three data loggers of the web test city.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import update

from tests.ingest.test_alarms_e2e import INJECT, RULES
from tests.web.conftest import DEVICE_PASSWORD, City, _seed
from tests.web.test_browser import CHROMIUM_ARGS, LoopThread, _login, chromium_path, free_port

pytestmark = pytest.mark.browser

WANTED = {"e2e-realtime-exceedance", "e2e-offline", "e2e-flat-line"}


@pytest.fixture
def live_alarms(tmp_path: Path) -> Iterator[dict[str, Any]]:
    chromium = chromium_path()
    import uvicorn

    from greenport.alarms.rules import load_rules
    from greenport.bootstrap import build
    from greenport.config import Settings
    from greenport.ingest.server import IngestConfig, IngestServer
    from greenport.storage.registry import SiteRow
    from greenport.web.app import create_app

    # one rules file for the web app and the ingest server, as in a deployment
    rules_file = tmp_path / "rules.yaml"
    declared = [
        {k: v for k, v in r.to_dict().items() if v not in (None, "") and k != "family"} for r in RULES
    ]
    rules_file.write_text(yaml.safe_dump({"rules": declared}, allow_unicode=True), encoding="utf-8")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'live.db'}", alarm_rules=rules_file)
    container = build(settings, migrate=True)
    city = City()
    _seed(container, city)
    with container.db.session() as session:  # both outlets: blast-furnace hot stoves, SO2 50 mg/m³
        session.execute(
            update(SiteRow)
            .where(SiteRow.id.in_([city.ids["out1"], city.ids["out2"]]))
            .values(emission_standard="steel_ultra_low", process="blast_furnace_hot_stove")
        )
    port = free_port()
    web = uvicorn.Server(
        uvicorn.Config(create_app(container=container), host="127.0.0.1", port=port, log_level="warning")
    )
    web_thread = threading.Thread(target=web.run, daemon=True)
    web_thread.start()
    loop = LoopThread()
    ingest = IngestServer(
        container.db,
        IngestConfig(
            port=0,
            aggregate_interval=0,
            commit_interval=0.002,
            alarm_interval=0.2,
            alarm_rules=load_rules(rules_file),
        ),
    )
    loop.run(ingest.start())
    deadline = time.monotonic() + 10
    while not web.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield {"base": f"http://127.0.0.1:{port}", "city": city, "ingest_port": ingest.port,
               "chromium": chromium, "container": container}  # fmt: skip
    finally:
        loop.run(ingest.close())
        loop.stop()
        web.should_exit = True
        web_thread.join(10)
        container.db.dispose()


def _fired(container: Any) -> list[Any]:
    from greenport.accounts.model import COMMAND_LINE
    from greenport.alarms import service

    with container.uow() as uow:
        found, _ = service.visible_alarms(uow, COMMAND_LINE, limit=100)
    return found


def _open(container: Any) -> dict[str, Any]:
    return {a.rule_id: a for a in _fired(container) if a.rule_id in WANTED and a.is_open}


def test_injected_faults_are_alarms_within_ten_seconds_and_ringed_on_the_map(
    live_alarms: dict[str, Any],
) -> None:
    from playwright.sync_api import sync_playwright

    from greenport.ingest.simulator import SimConfig, SimDevice, simulate

    city, container = live_alarms["city"], live_alarms["container"]
    # exceedance: the first gas outlet; offline: the middle device; flat line: the first air station
    devices = [
        SimDevice(mn=f"MN{city.ids[key]:010d}", password=DEVICE_PASSWORD, site_kind=kind)
        for key, kind in (("out1", "gas_outlet"), ("out2", "gas_outlet"), ("airA", "air_station"))
    ]
    inject_from = 3.0  # [s] into the run; the faults last until 2 s before its end
    config = SimConfig(
        port=live_alarms["ingest_port"], rate=2, duration=45.0, step=30, drain=15, seed=16,
        start=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1), inject=INJECT,
        inject_window=(inject_from, 43.0),
    )  # fmt: skip
    with ThreadPoolExecutor(1) as pool:  # the simulator runs while the officer looks
        started = time.monotonic()
        running = pool.submit(asyncio.run, simulate(devices, config))
        # the three alarms fire within 10 s of the faults starting (holds: 1.5 s, 2.5 s; silence 1.8 s)
        deadline = started + inject_from + 10
        found = _open(container)
        while set(found) != WANTED and time.monotonic() < deadline:
            time.sleep(0.2)
            found = _open(container)
        assert set(found) == WANTED, [(a.rule_id, a.site_id, a.state) for a in _fired(container)]
        assert found["e2e-realtime-exceedance"].site_id == city.ids["out1"]
        assert found["e2e-offline"].site_id == city.ids["out2"]
        assert found["e2e-flat-line"].site_id == city.ids["airA"]

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=live_alarms["chromium"], args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                _login(page, live_alarms["base"], "bureau_analyst")
                page.wait_for_selector("#map canvas", timeout=30000)
                # the map as ECharts drew it: the ring series holds one ring per site with open alarms
                ringed = page.evaluate(
                    """() => {
                        const chart = echarts.getInstanceByDom(document.getElementById('map'));
                        const rings = chart.getOption().series.find(
                            s => (s.data || []).some(d => d.site_id && d.itemStyle && d.itemStyle.borderColor));
                        return rings ? rings.data.map(d => [d.site_id, d.name]) : [];
                    }"""
                )
                by_site = {site_id: name for site_id, name in ringed}
                assert {city.ids["out1"], city.ids["out2"], city.ids["airA"]} <= set(by_site), ringed
                assert "实时超标" in by_site[city.ids["out1"]] and "离线" in by_site[city.ids["out2"]]
                assert "恒值" in by_site[city.ids["airA"]]
                # the console lists them too
                page.goto(f"{live_alarms['base']}/alarms?status=open")
                listed = page.inner_text("main")
                assert "实时超标" in listed and "离线" in listed and "恒值" in listed
            finally:
                browser.close()
        result = running.result(120)
    assert result.unacked == 0
    assert {r.name: r.mn for r in result.injections} == {
        "exceedance": devices[0].mn, "offline": devices[1].mn, "flatline": devices[2].mn,
    }  # fmt: skip
