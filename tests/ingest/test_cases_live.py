"""End to end over TCP (issue 17, "What must hold"): an hourly SO2 mean over the limit, sent as an
HJ 212 frame to the real ingest server, becomes an alarm and a case in the inbox of the officer
of the village holding the stack within 10 s; then the process's clock, moved past the deadline,
makes the case timer (run by the alarm evaluator of the same process) remind, then escalate.

The process's wall clock is injected (``IngestServer(wall_clock=...)``) and starts at MONDAY
(2025-03-03 09:00 Beijing), so the deadline is a date of the 2025 calendar whatever day the test
runs; the frames' DataTime is an hour of that morning.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

from sqlalchemy import update

from greenport.accounts import service as accounts
from greenport.accounts.passwords import hash_password
from greenport.alarms import service as alarms
from greenport.cases import service as cases
from greenport.cases.model import Case, CaseAction, CaseSource
from greenport.ingest.server import IngestConfig, IngestServer
from greenport.ingest.simulator import frame_bytes
from greenport.kernel.time import CHINA_TZ
from greenport.protocol import FrameBuffer
from greenport.protocol.redact import mask_password
from greenport.storage.db import Database
from greenport.storage.registry import DeviceRow, SiteRow
from greenport.storage.uow import UnitOfWork
from tests.cases.grid import MONDAY, make_grid

WITHIN = 10.0  # [s]
DEVICE_PASSWORD = "123456"


class Clock:
    """The process's "now", moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _stack_with_a_device(db: Database, site_id: int) -> None:
    """GAS01 (in the east village) as a blast-furnace hot stove under steel ultra-low emission
    (SO2 hourly limit 50 mg/m³), with logger GPGAS01."""
    with db.session() as session:
        session.execute(
            update(SiteRow)
            .where(SiteRow.id == site_id)
            .values(emission_standard="steel_ultra_low", process="blast_furnace_hot_stove")
        )
        session.add(
            DeviceRow(
                mn="GPGAS01", password_hash=hash_password(DEVICE_PASSWORD, profile="device"), site_id=site_id
            )
        )


def _hourly_frame(hour: datetime, so2: float) -> bytes:
    """A CN 2061 hourly upload (HJ 212-2017 §6.6.3: DataTime is the start of the hour)."""
    stamp = hour.astimezone(CHINA_TZ).strftime("%Y%m%d%H%M%S")
    segment = (
        f"QN={stamp}000;ST=31;CN=2061;PW={DEVICE_PASSWORD};MN=GPGAS01;Flag=5;CP=&&DataTime={stamp};"
        f"a21026-Avg={so2},a21026-Flag=N;a19001-Avg=16.0,a19001-Flag=N&&"
    )
    return frame_bytes(segment)


async def _send(port: int, payload: bytes) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    await writer.drain()
    buffer, got = FrameBuffer(), []
    try:
        while not got:
            data = await asyncio.wait_for(reader.read(65536), WITHIN)
            if not data:
                break
            got.extend(item for item in buffer.feed(data) if isinstance(item, bytes))
    finally:
        writer.close()
    return got


def _inbox_case(db: Database, username: str, now: datetime) -> Case | None:
    with UnitOfWork(db) as uow:
        officer = accounts.principal_of(uow, accounts.get_user(uow, username=username))
        waiting = cases.inbox(uow, principal=officer, now=now)["new"]
    return next((c for c in waiting if c.source is CaseSource.ALARM), None)


def _events(db: Database, case_id: int) -> list[tuple[str, str, str]]:
    with UnitOfWork(db) as uow:
        return [(e.action.value, e.actor, e.note) for e in uow.cases.events(case_id)]


async def _until(check: object, deadline: float) -> object:
    """Poll ``check`` (a callable run in a thread) until it returns something truthy, or the deadline."""
    while True:
        found = await asyncio.to_thread(check)  # type: ignore[arg-type]
        if found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


async def test_an_exceedance_over_tcp_becomes_a_case_that_reminds_then_escalates(db: Database) -> None:
    grid = make_grid(db)
    _stack_with_a_device(db, grid.sites["GAS01"])
    clock = Clock(MONDAY)
    # the device's hourly value becomes the hour's aggregate (what the mean rule judges) on the aggregator's pass
    config = IngestConfig(port=0, aggregate_interval=0.2, alarm_interval=0.1, case_timer_seconds=60)
    server = IngestServer(db, config, wall_clock=clock)
    await server.start()
    try:
        hour = MONDAY - timedelta(hours=1)  # 08:00-09:00 Beijing
        sent = time.monotonic()
        packet = _hourly_frame(hour, so2=180.0)
        replies = await _send(server.port, packet)
        assert replies, "the frame was not acknowledged"
        case = await _until(lambda: _inbox_case(db, "east1", clock.now), sent + WITHIN)
        assert isinstance(case, Case), "no alarm case reached east1's inbox within 10 s"
        assert time.monotonic() - sent <= WITHIN
        assert case.assignee == "east1" and case.category == "illegal_emission"
        assert case.alarm_id is not None and case.grid_cell_code == "G320582100202"
        # 3 working days for a major case, from Monday: Thursday 2025-03-06, at the close of office hours
        assert case.due_at is not None
        assert case.due_at.astimezone(CHINA_TZ).date() == datetime(2025, 3, 6).date()

        clock.now = case.due_at - timedelta(minutes=1)  # the next pass's timer is due (60 s passed)
        reminded = await _until(
            lambda: [e for e in _events(db, case.id) if e[0] == CaseAction.REMIND.value],
            time.monotonic() + WITHIN,
        )
        assert reminded and reminded[0][1] == "system"
        assert not [e for e in _events(db, case.id) if e[0] == CaseAction.ESCALATE.value]

        clock.now = case.due_at + timedelta(days=14)  # past the town's and the city's working days
        escalated = await _until(
            lambda: [e for e in _events(db, case.id) if e[0] == CaseAction.ESCALATE.value][1:],
            time.monotonic() + WITHIN,
        )
        assert escalated, _events(db, case.id)
    finally:
        await server.close()
    history = _events(db, case.id)
    assert [actor for action, actor, _ in history if action == "escalate"] == ["system", "system"]
    with UnitOfWork(db) as uow:
        stored = uow.cases.get_case(case.id)
    assert stored is not None and stored.escalation_level == 2
    assert set(stored.steps_done) == {"remind", "notice", "reprimand", "escalate_town", "escalate_city"}
    # the case is traceable to its alarm and to the bytes the device sent (issue 17)
    with UnitOfWork(db) as uow:
        officer = accounts.principal_of(uow, accounts.get_user(uow, username="townofficer"))
        assert stored.alarm_id is not None
        evidence = alarms.evidence_frames(uow, officer, stored.alarm_id)
    assert [(reading.parameter, reading.value) for reading, _ in evidence] == [("flue_so2", 180.0)]
    # as received, but for the device's password, which is never stored (greenport.protocol.redact)
    assert evidence[0][1].raw == mask_password(packet) and evidence[0][1].cn == "2061"
    assert DEVICE_PASSWORD.encode() not in evidence[0][1].raw
