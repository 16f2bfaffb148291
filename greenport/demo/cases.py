"""Demo stage: a year of cases on the grid (issue 17), played through the cases service.

Officers with accounts: the first officer of every town cell (``grid-<town code>``) and of four
village cells of 锦江镇 (the demo ``grid`` user is the officer of its village's cell, the others
``grid-<village code>``), so every case reaches a named person: a village's case goes to its
village officer where there is one, else up to the town cell (:mod:`greenport.cases.routing`).
Reports are routed by the village's division code (the demo villages have no boundaries), with a
point drawn inside the town for the map.

The year (:attr:`DemoContext.reference_year`) is played in time order with a moving clock
(seeded ``random.Random``, so two builds are identical): the alarms of the alarms stage open their
cases (:func:`service.open_from_alarms` just after each day's first alarm fired), and
:data:`REPORTS` citizen reports (fewer in fast mode) spread over towns, villages and categories
are filed through the public form's service. Each case is then handled by its officer: accepted,
started and submitted with evidence before its deadline (most), or late (:data:`LATE_SHARE`);
verified and closed by the town officer (``town`` in 锦江镇, the city admin elsewhere); a few are
reopened and handled again, and most reporters rate the handling. The deadline timer
(:func:`service.tick`) runs every morning, so late cases get their reminders, notices and
escalations as they would live.
"""

from __future__ import annotations

import heapq
import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from greenport.accounts import service as accounts
from greenport.accounts.model import Principal
from greenport.cases import service
from greenport.cases.categories import CATEGORIES
from greenport.cases.model import Case, CaseState, Location
from greenport.demo.alarms import all_alarms
from greenport.demo.city import VILLAGE_TOWN_PART
from greenport.demo.context import DemoContext
from greenport.demo.geo import bbox_of, point_inside
from greenport.kernel.time import CHINA_TZ, local_date, local_year_bounds
from greenport.regions import service as regions
from greenport.storage.cases import CaseRow
from greenport.storage.uow import UnitOfWork

#: Cases start this long after the year's start: a deadline in the first days of the first year
#: with a calendar has its reminder counted back into the year before, which has none (NoCalendar).
RUN_IN = timedelta(days=14)
#: Citizen reports over the year (fast mode: :data:`FAST_REPORTS`).
REPORTS = 300
FAST_REPORTS = 40
#: Share of cases replied after their deadline; of closed cases reopened; of citizen cases rated.
LATE_SHARE = 0.12
REOPEN_SHARE = 0.03
RATED_SHARE = 0.7
#: A photo's bytes for the demo's evidence (a JPEG signature: the photo checks read the type from it).
DEMO_PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
#: Categories citizens report (a device anomaly comes from an alarm, not a resident).
CITIZEN_CATEGORIES = tuple(code for code in CATEGORIES if code != "monitoring_device_anomaly")

Action = Callable[[datetime], None]


class _Player:
    """The year's clock: actions queued at instants and run in time order; the actions of one
    Beijing day share a unit of work (:meth:`uow`), committed when the next day's first action
    comes. One commit a day rather than one an action: the stage's time went mostly to SQLite's
    sync of ~3,000 commits; the history (each action an event at its own instant) is the same."""

    def __init__(self, ctx: DemoContext, rng: random.Random) -> None:
        self.ctx = ctx
        self.rng = rng
        self.queue: list[tuple[datetime, int, Action]] = []
        self.order = 0
        self.principals: dict[str, Principal] = {}
        self.counts: Counter[str] = Counter()
        self.day: UnitOfWork | None = None

    def at(self, when: datetime, action: Action) -> None:
        self.order += 1
        heapq.heappush(self.queue, (when, self.order, action))

    def run(self, until: datetime) -> None:
        with ExitStack() as days:
            today = None
            while self.queue and self.queue[0][0] < until:
                when, _, action = heapq.heappop(self.queue)
                if local_date(when) != today:
                    days.close()  # commits the day before
                    self.day = days.enter_context(self.ctx.uow())
                    today = local_date(when)
                action(when)
        self.day = None

    @contextmanager
    def uow(self) -> Iterator[UnitOfWork]:
        """The unit of work of the day being played (committed by :meth:`run`; an error rolls the
        day back and fails the build)."""
        assert self.day is not None, "actions run inside Player.run"
        yield self.day

    def principal(self, username: str) -> Principal:
        if username not in self.principals:
            with self.ctx.uow() as uow:
                user = accounts.get_user(uow, username=username)
                self.principals[username] = replace(accounts.principal_of(uow, user), via="demo")
        return self.principals[username]

    def verifier(self, case: Case) -> str:
        town_prefix = self.ctx.city_code[:6] + VILLAGE_TOWN_PART
        return "town" if (case.town_code or "").startswith(town_prefix) else "admin"

    # -- one case's handling ---------------------------------------------------------------------

    def handle(self, case: Case, *, reopened: bool = False) -> None:
        """Queue the handling of a dispatched case: accept, start, submit (on time or late),
        verify, close; then perhaps a rating and a reopening."""
        if case.assignee is None or case.due_at is None:
            return
        start = case.updated_at or case.opened_at
        late = self.rng.random() < LATE_SHARE
        accept = start + timedelta(minutes=self.rng.randint(20, 240))
        span = max(case.due_at - accept, timedelta(minutes=30))
        if late:
            submit = case.due_at + timedelta(hours=self.rng.choice([2, 20, 30, 50, 75, 100, 170]))
        else:
            submit = accept + span * self.rng.uniform(0.2, 0.9)
        steps = [
            (accept, case.assignee, "accept", {}),
            (accept + timedelta(minutes=15), case.assignee, "start", {}),
            (submit, case.assignee, "submit", self._evidence(case, "已现场处置，附整改照片。")),
            (
                submit + timedelta(hours=self.rng.randint(2, 20)),
                self.verifier(case),
                "verify",
                {"note": "核查属实"},
            ),
        ]
        close_at = steps[-1][0] + timedelta(hours=1)
        steps.append((close_at, self.verifier(case), "close", self._evidence(case, "核查通过，办结。")))
        self._chain(case.id, steps, then=lambda closed: self._after_close(closed, reopened))

    def _evidence(self, case: Case, note: str) -> dict[str, Any]:
        where = case.location or Location(120.6, 31.9)
        return {"note": note, "photos": [(DEMO_PHOTO, "photo.jpg", "image/jpeg")], "location": where}

    def _chain(
        self,
        case_id: int,
        steps: list[tuple[datetime, str, str, dict[str, Any]]],
        then: Callable[[Case], None],
    ) -> None:
        """Queue ``steps`` one after another (each queued when the previous one ran, so that the
        version it names is the case's version then, after the timer's steps in between)."""
        if not steps:
            return
        when, username, action, extra = steps[0]

        def run(now: datetime) -> None:
            with self.uow() as uow:
                current = uow.cases.get_case(case_id)
                assert current is not None
                after = service.act(
                    uow,
                    principal=self.principal(username),
                    case_id=case_id,
                    action=action,
                    expected_version=current.version,
                    now=max(now, current.updated_at or now),
                    **extra,
                )
            self.counts[action] += 1
            if len(steps) == 1:
                then(after)
            else:
                self._chain(case_id, steps[1:], then)

        self.at(when, run)

    def _after_close(self, case: Case, reopened: bool) -> None:
        closed_at = case.closed_at or case.updated_at or case.opened_at
        if case.tracking_number and self.rng.random() < RATED_SHARE:
            rating = self.rng.choices([5, 4, 3, 2, 1], weights=[55, 28, 10, 4, 3])[0]
            if reopened:
                rating = min(rating, 3)
            self.at(
                closed_at + timedelta(days=self.rng.randint(1, 5)), lambda now: self._rate(case, rating, now)
            )
        if not reopened and self.rng.random() < REOPEN_SHARE:
            self.at(closed_at + timedelta(days=self.rng.randint(2, 10)), lambda now: self._reopen(case, now))

    def _rate(self, case: Case, rating: int, now: datetime) -> None:
        with self.uow() as uow:
            current = uow.cases.get_case(case.id)
            if current is None or current.state is not CaseState.CLOSED or current.rating is not None:
                return
            service.act_as_reporter(
                uow, tracking_number=case.tracking_number or "", action="rate", now=now, rating=rating
            )
        self.counts["rate"] += 1

    def _reopen(self, case: Case, now: datetime) -> None:
        dispatcher = self.principal(self.verifier(case))
        with self.uow() as uow:
            current = uow.cases.get_case(case.id)
            assert current is not None
            now = max(now, current.updated_at or now)
            current = service.act(
                uow,
                principal=dispatcher,
                case_id=case.id,
                action="reopen",
                expected_version=current.version,
                now=now,
                note="回访不满意，重新办理",
            )
            current = service.act(
                uow,
                principal=dispatcher,
                case_id=case.id,
                action="dispatch",
                expected_version=current.version,
                now=now + timedelta(minutes=30),
            )
        self.counts["reopen"] += 1
        self.handle(current, reopened=True)


def _report_instant(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment of the year when residents report (7:00-21:00 Beijing)."""
    days = (end - start).days
    day = (start + timedelta(days=rng.randrange(days))).astimezone(CHINA_TZ)
    local = day.replace(hour=rng.randint(7, 20), minute=rng.randrange(60), second=0, microsecond=0)
    return local.astimezone(start.tzinfo)


def build(ctx: DemoContext) -> dict[str, Any]:
    """Give officers accounts, play the year's cases, and return the summary (``cases``)."""
    rng = random.Random(f"cases/{ctx.seed}")
    numbers = random.Random(f"cases/tracking/{ctx.seed}")
    with ctx.uow() as uow:
        officers = sorted({name for cell in uow.cases.grid_cells().values() for name in cell.usernames})
    year_start, end = local_year_bounds(ctx.reference_year)
    start = year_start + RUN_IN
    player = _Player(ctx, rng)
    with ctx.uow() as uow:
        towns = {code: regions.get_division(uow, code=code) for code in ctx.town_codes}

    def opened(case: Case) -> None:
        player.counts[f"opened_{case.source.value}"] += 1
        player.handle(case)

    # alarm cases: the timer's pass just after the first alarm of each day fired
    first_of_day: dict[Any, datetime] = {}
    for alarm in all_alarms(ctx):
        if alarm.fired_at is not None and start <= alarm.fired_at < end:
            day = alarm.fired_at.astimezone(CHINA_TZ).date()
            first_of_day[day] = min(first_of_day.get(day, alarm.fired_at), alarm.fired_at)

    def open_alarm_cases(now: datetime) -> None:
        with player.uow() as uow:
            ids = service.open_from_alarms(uow, now=now)
            cases = [uow.cases.get_case(i) for i in ids]
        for case in cases:
            if case is not None:
                opened(case)

    for fired in first_of_day.values():
        player.at(fired + timedelta(minutes=10), open_alarm_cases)

    # citizen reports
    count = FAST_REPORTS if ctx.fast else REPORTS
    for k in range(count):
        town = rng.choice(ctx.town_codes)
        villages = [v for v in ctx.village_codes if v.startswith(town[:9])]
        village = rng.choice(villages)
        category = rng.choice(CITIZEN_CATEGORIES)
        boundary = towns[town].boundary_geojson or ""
        lon_lat = point_inside(rng, boundary, _bbox(boundary)) if boundary else None
        client = f"198.51.100.{k % 250}"

        def file(
            now: datetime,
            village: str = village,
            category: str = category,
            point: Any = lon_lat,
            client: str = client,
        ) -> None:
            with player.uow() as uow:
                case = service.file_report(
                    uow,
                    category=category,
                    description=f"{CATEGORIES[category].name_zh}：居民反映，请尽快处理。",
                    now=now,
                    client=client,
                    division_code=village,
                    location=None if point is None else Location(*point),
                )
                # a tracking number is drawn from the OS's secrets (unguessable); the demo draws
                # it from its seed instead, so that two builds are identical (like its fixed salts)
                number = f"{(case.tracking_number or '')[:10]}-" + "".join(
                    numbers.choice(service.TRACKING_ALPHABET) for _ in range(8)
                )
                uow.session.execute(
                    update(CaseRow).where(CaseRow.id == case.id).values(tracking_number=number)
                )
                case = replace(case, tracking_number=number)
            opened(case)

        player.at(_report_instant(rng, start, end), file)

    # the deadline timer, every morning
    def tick(now: datetime) -> None:
        with player.uow() as uow:
            report = service.tick(uow, now=now)
        player.counts["timer_steps"] += len(report.steps)

    day = start + timedelta(hours=0, minutes=30)  # 08:30 Beijing is 00:30 UTC
    while day < end:
        player.at(day, tick)
        day += timedelta(days=1)
    player.run(end)

    with ctx.uow() as uow:
        report = service.case_statistics(
            uow, principal=player.principal("admin"), by="town", since=year_start, until=end, now=end
        )
    total = report.total
    return {
        "cases": {
            "officer_accounts": len(officers),
            "received": total.received,
            "closed": total.closed,
            "on_time_rate": None if total.on_time_rate is None else round(total.on_time_rate, 1),
            "reopened": total.reopened,
            "rated": total.rated,
            "actions": dict(sorted(player.counts.items())),
        }
    }


def _bbox(geojson: str) -> tuple[float, float, float, float]:
    return bbox_of([(p[0], p[1]) for p in json.loads(geojson)["coordinates"][0]])
