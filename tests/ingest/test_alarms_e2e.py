"""End to end over TCP (issue 16, "What must hold"): the real ingest server with its alarm
evaluator, the real simulator injecting an exceedance, an offline device and a flat-line; the
three alarms exist within 10 s of the frames (or, for offline, of the silence) that cause them,
at the injected devices' sites. And two servers on one database, both evaluating, raise no alarm
twice.

The rules are a test file with holds and silences short enough for a run of seconds (the
shipped ones wait 2 h for offline); the simulator sends 5 frames per second per device with
30 s of DataTime per frame.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from greenport.accounts.model import Principal, Role
from greenport.alarms import service as alarms
from greenport.alarms.model import Alarm, AlarmState, EventKind
from greenport.alarms.rules import load_rules_text
from greenport.ingest.server import IngestConfig, IngestServer
from greenport.ingest.simulator import InjectionReport, SimConfig, SimDevice, SimResult, simulate
from greenport.storage.db import Database
from greenport.storage.registry import SiteRow
from greenport.storage.uow import UnitOfWork

from .conftest import PASSWORD, Fixture

RULES = load_rules_text(
    """
rules:
  - id: e2e-realtime-exceedance
    kind: realtime_exceedance
    severity: minor
    name_zh: 实时超标
    name_en: real-time exceedance
    site_kinds: [gas_outlet]
    parameters: [flue_so2]
    hold: 3
    recovery: 3
  - id: e2e-offline
    kind: offline
    severity: major
    name_zh: 离线
    name_en: offline
    site_kinds: [gas_outlet, water_outlet, air_station, water_section]
    params: {after_minutes: 0.03}   # 1.8 s of silence (the injection's is a third of the run, 3 s)
  - id: e2e-flat-line
    kind: flat_line
    severity: major
    name_zh: 恒值
    name_en: flat line
    site_kinds: [air_station]
    parameters: [pm2_5]
    hold: 5
    recovery: 2
    params: {period: realtime}
""",
    source="e2e-rules.yaml",
)
ADMIN = Principal(user_id=1, username="admin", display_name="管理员", role=Role.CITY_ADMIN)
WITHIN = timedelta(seconds=10)
INJECT = frozenset({"exceedance", "offline", "flatline"})
DURATION = 9.0  # [s]: the injections take the middle third, 3 s


def _outlet_with_a_limit(db: Database) -> None:
    """GAS01 as a blast-furnace hot stove under steel ultra-low emission (SO2 50 mg/m³)."""
    with db.session() as session:
        session.execute(
            update(SiteRow)
            .where(SiteRow.code == "GAS01")
            .values(emission_standard="steel_ultra_low", process="blast_furnace_hot_stove")
        )


async def _server(db: Database, **overrides: Any) -> IngestServer:
    config = IngestConfig(port=0, aggregate_interval=0, alarm_interval=0.2, alarm_rules=RULES, **overrides)
    server = IngestServer(db, config)
    await server.start()
    return server


def _sim_config(port: int, start: datetime) -> SimConfig:
    return SimConfig(
        port=port, rate=5, duration=DURATION, step=30, drain=15, seed=16, start=start, inject=INJECT
    )


def _alarms(db: Database) -> list[Alarm]:
    with UnitOfWork(db) as uow:
        fired, _ = alarms.visible_alarms(uow, ADMIN, limit=1000)
    return fired


def _firing_recorded_at(db: Database, alarm: Alarm) -> datetime:
    with UnitOfWork(db) as uow:
        history = alarms.events(uow, ADMIN, alarm.id)
    return next(
        e.recorded_at for e in history if e.kind is EventKind.STATE and e.to_state is AlarmState.FIRING
    )


def _received_at(db: Database, site_id: int, parameter: str, data_time: datetime) -> datetime:
    with UnitOfWork(db) as uow:
        found = uow.monitoring.observations(
            start=data_time, end=data_time + timedelta(microseconds=1), site_ids=[site_id]
        )
    [reading] = [o for o in found if o.parameter == parameter]
    assert reading.received_at is not None
    return reading.received_at


async def _until_alarms(db: Database, wanted: set[str], deadline: float) -> list[Alarm]:
    """Poll the database until an alarm of each rule of ``wanted`` has fired, or the deadline."""
    while True:
        found = await asyncio.to_thread(_alarms, db)
        if wanted <= {a.rule_id for a in found} or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)


def _second(moment: datetime) -> datetime:
    """The DataTime as the frame carries it (HJ 212-2017 §6.3: YYYYMMDDhhmmss; the simulator
    spreads its devices by milliseconds that the wire format drops)."""
    return moment.replace(microsecond=0)


def _site_of(fixture: Fixture, report: InjectionReport) -> int:
    return fixture.devices[report.mn][1]


async def test_injected_faults_become_alarms_within_ten_seconds(city: Fixture) -> None:
    _outlet_with_a_limit(city.db)
    sims = [SimDevice(mn, PASSWORD, kind) for mn, (_, _, kind) in city.devices.items()]
    server = await _server(city.db)
    try:
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        result: SimResult = await simulate(sims, _sim_config(server.port, start))
        found = await _until_alarms(
            city.db,
            {"e2e-realtime-exceedance", "e2e-offline", "e2e-flat-line"},
            time.monotonic() + WITHIN.total_seconds(),
        )
    finally:
        await server.close()
    assert result.acked == result.sent and result.unacked == 0
    report = {r.name: r for r in result.injections}
    by_rule: dict[str, list[Alarm]] = {}
    for alarm in found:
        by_rule.setdefault(alarm.rule_id, []).append(alarm)

    # the exceedance: at the injected outlet, SO2, first breach among the injected frames
    exceedance = report["exceedance"]
    [over] = [a for a in by_rule["e2e-realtime-exceedance"] if a.site_id == _site_of(city, exceedance)]
    assert exceedance.first is not None and exceedance.last is not None
    assert _second(exceedance.first) <= over.first_breach_at <= _second(exceedance.last)
    assert over.fired_at is not None and over.peak is not None and over.limit == 50.0
    assert over.peak > 3 * over.limit
    caused_by = _received_at(city.db, over.site_id, "flue_so2", over.fired_at)
    assert _firing_recorded_at(city.db, over) - caused_by <= WITHIN

    # the flat line: at the injected air station, PM2.5 repeated from the injected frames on
    flat = report["flatline"]
    [stuck] = [a for a in by_rule["e2e-flat-line"] if a.site_id == _site_of(city, flat)]
    assert flat.first is not None and flat.last is not None
    assert _second(flat.first) <= stuck.first_breach_at <= _second(flat.last)
    assert stuck.parameter == "pm2_5"
    assert stuck.fired_at is not None
    caused_by = _received_at(city.db, stuck.site_id, "pm2_5", stuck.fired_at)
    assert _firing_recorded_at(city.db, stuck) - caused_by <= WITHIN

    # offline: the silent device's site; raised on the clock within 10 s of the silence's limit
    silent = report["offline"]
    offline = [a for a in by_rule["e2e-offline"] if a.site_id == _site_of(city, silent)]
    assert offline, f"no offline alarm at the silent device's site: {by_rule.get('e2e-offline')}"
    first = offline[0]
    assert first.fired_at is not None and first.parameter == ""
    assert _firing_recorded_at(city.db, first) - first.fired_at <= WITHIN
    assert first.state is AlarmState.RESOLVED  # the device came back and re-sent its frames


@pytest.mark.postgres
async def test_two_servers_on_one_database_raise_no_alarm_twice(city: Fixture) -> None:
    """Both evaluate (a lease decides who, pass by pass) and both receive the same devices' data."""
    if not city.url.startswith("postgresql"):
        pytest.skip("two processes on one SQLite file are not a deployment")
    _outlet_with_a_limit(city.db)
    sims = [SimDevice(mn, PASSWORD, kind) for mn, (_, _, kind) in city.devices.items()]
    first = await _server(city.db)
    second_db = Database.from_url(city.url)
    second = await _server(second_db)
    try:
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        results = await asyncio.gather(
            simulate(sims, _sim_config(first.port, start)), simulate(sims, _sim_config(second.port, start))
        )
        await _until_alarms(
            city.db,
            {"e2e-realtime-exceedance", "e2e-offline", "e2e-flat-line"},
            time.monotonic() + WITHIN.total_seconds(),
        )
        await asyncio.sleep(1.0)  # a few more passes of both evaluators
    finally:
        await first.close()
        await second.close()
        second_db.dispose()
    assert all(r.acked == r.sent for r in results)
    assert first.metrics.alarm_passes + second.metrics.alarm_passes > 0
    found = _alarms(city.db)
    with UnitOfWork(city.db) as uow:
        pending, _ = alarms.visible_alarms(uow, ADMIN, status="pending", limit=1000)
    open_per_key = Counter((a.rule_id, a.site_id, a.parameter) for a in [*found, *pending] if a.is_open)
    assert all(n == 1 for n in open_per_key.values())
    report = {r.name: r for r in results[0].injections}
    per_key = Counter((a.rule_id, a.site_id, a.parameter) for a in found)
    assert per_key["e2e-realtime-exceedance", _site_of(city, report["exceedance"]), "flue_so2"] == 1
    assert per_key["e2e-flat-line", _site_of(city, report["flatline"]), "pm2_5"] == 1
    assert per_key["e2e-offline", _site_of(city, report["offline"]), ""] == 1
