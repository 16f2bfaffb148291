"""Benchmark: latency of case actions under 50 concurrent officers (issue 17).

    .venv/bin/python bench/bench_cases.py [--database sqlite|postgresql|both] [--postgres URL]
        [--cases 2000] [--officers 50] [--actions 30] [--think 1000] [--reads 50]

Builds a city of the demo's size through the services (13 towns, 13 x 19 = 247 villages, each
with a boundary and a grid cell; one grid officer with an account per village, one town officer
per town), then opens ``--cases`` cases through :func:`greenport.cases.service.open_case` at points
inside the villages, so routing (point in polygon) and auto-dispatch (the cell's officer with the
fewest open cases) run for each. The accounts are user rows written directly, with a hash no
password matches: argon2id would cost ~0.3 s an account and no one logs in here.

Then ``--officers`` threads, each a grid officer with the most cases, act on their own cases
through :func:`greenport.cases.service.act`, one unit of work per action, about ``--think``
milliseconds apart (each pause drawn between 0.5 and 1.5 times it, the first action within the
first pause, so that the officers do not act in lockstep): accept, start, comment, submit (a note,
a ~20 kB JPEG and the place), then the town officer of the case verifies and closes it; case after
case until each has taken ``--actions`` actions. With the default pace (an action a second per
officer, faster than people click) the latency is what an officer waits; ``--think 0`` runs them
back to back, which measures the throughput at saturation (the latency then is mostly the queue
of 50 threads for two cores and one GIL). The CPU time this process spent per action is printed
too: on a shared machine it varies less than the latency.
Every action's latency (commit included) is recorded; a :class:`VersionConflict` is counted and the
action retried on the case as it now is. Finally one officer's and one town officer's
:func:`~greenport.cases.service.inbox` and :func:`~greenport.cases.service.list_cases` are timed
``--reads`` times each, with the city's cases in place.

SQLite: a file in a temporary folder (WAL, synchronous=FULL, as deployed); PostgreSQL: a throwaway
database created on ``--postgres`` (default ``GREENPORT_TEST_POSTGRES_URL``) and dropped after.
Goal of issue 17: p95 < 50 ms per action with 50 concurrent officers. Prints a table, then JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from greenport.accounts import service as accounts
from greenport.accounts.model import Principal
from greenport.cases import service
from greenport.cases.lifecycle import VersionConflict
from greenport.cases.model import Case, CaseSource, Location
from greenport.regions import service as regions
from greenport.storage.db import Database, normalise_url
from greenport.storage.migrate import upgrade
from greenport.storage.registry import UserRow
from greenport.storage.uow import UnitOfWork

GOAL_P95_MS = 50.0
CITY = "320582000000"
TOWNS = 13
VILLAGES_PER_TOWN = 19
#: The city's box [degrees]: towns are strips west to east, villages strips south to north in each.
WEST, EAST, SOUTH, NORTH = 120.0, 121.3, 31.0, 32.0
#: 2025-03-03 09:00 Beijing, a Monday and a working day.
MONDAY = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
#: What the officers found on patrol (codes of ``greenport/cases/data/categories.csv``).
CATEGORIES = ("odour", "construction_dust", "industrial_noise", "wastewater_discharge", "solid_waste_dumping")
#: A hash no password matches (not a PHC string): the bench's accounts are never logged in with.
NO_LOGIN = "!bench-account-no-login"
#: The handler's and the verifier's steps of one case, in order.
STEPS = ("accept", "start", "comment", "submit", "verify", "close")
PHOTO_BYTES = 20_000


def town_code(t: int) -> str:
    return f"{CITY[:6]}{100 + t:03d}000"


def village_code(t: int, v: int) -> str:
    return f"{CITY[:6]}{100 + t:03d}{201 + v:03d}"


def _box(x0: float, y0: float, x1: float, y1: float) -> str:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _town_box(t: int) -> tuple[float, float, float, float]:
    width = (EAST - WEST) / TOWNS
    return WEST + t * width, SOUTH, WEST + (t + 1) * width, NORTH


def _village_box(t: int, v: int) -> tuple[float, float, float, float]:
    x0, _, x1, _ = _town_box(t)
    height = (NORTH - SOUTH) / VILLAGES_PER_TOWN
    return x0, SOUTH + v * height, x1, SOUTH + (v + 1) * height


@dataclass
class City:
    db: Database
    officers: dict[str, Principal] = field(default_factory=dict)  # grid officers by user name
    town_officers: dict[str, Principal] = field(default_factory=dict)  # by town code


def build_city(db: Database) -> City:
    """Divisions with boundaries, grid cells, officers with accounts (module docstring)."""
    city = City(db)
    with UnitOfWork(db) as uow:
        regions.register_division(
            uow, code=CITY, name="港城市", level="city", boundary_geojson=_box(WEST, SOUTH, EAST, NORTH)
        )
        regions.add_grid_cell(uow, division_code=CITY)
        for t in range(TOWNS):
            regions.register_division(
                uow, code=town_code(t), name=f"镇{t}", parent_code=CITY, boundary_geojson=_box(*_town_box(t))
            )
            regions.add_grid_cell(uow, division_code=town_code(t))
            for v in range(VILLAGES_PER_TOWN):
                code = village_code(t, v)
                regions.register_division(
                    uow,
                    code=code,
                    name=f"村{t}-{v}",
                    parent_code=town_code(t),
                    boundary_geojson=_box(*_village_box(t, v)),
                )
                regions.add_grid_cell(uow, division_code=code)
        rows: list[tuple[UserRow, str | None]] = []
        for t in range(TOWNS):
            rows.append(
                (
                    UserRow(
                        username=f"town{t}",
                        password_hash=NO_LOGIN,
                        display_name=f"镇{t}",
                        role="town_officer",
                        division_code=town_code(t),
                    ),
                    None,
                )
            )
            for v in range(VILLAGES_PER_TOWN):
                code = village_code(t, v)
                rows.append(
                    (
                        UserRow(
                            username=f"grid-{code}",
                            password_hash=NO_LOGIN,
                            display_name=code,
                            role="grid_officer",
                            division_code=code,
                        ),
                        f"G{code}",
                    )
                )
        uow.session.add_all([row for row, _ in rows])
        uow.session.flush()
        for row, cell in rows:
            if cell is not None:
                regions.add_grid_officer(uow, grid_cell_code=cell, name=row.username, user_id=row.id)
    with UnitOfWork(db) as uow:
        for row, cell in rows:
            principal = replace(
                accounts.principal_of(uow, accounts.get_user(uow, username=row.username)), via="bench"
            )
            if cell is None:
                city.town_officers[row.division_code or ""] = principal
            else:
                city.officers[row.username] = principal
    return city


def open_cases(city: City, count: int, seed: int = 17) -> tuple[list[Case], list[float]]:
    """``count`` cases at points inside the villages (routed and dispatched by the service), one
    unit of work each, as the public form opens them; the cases and each opening's seconds."""
    rng = random.Random(seed)
    opened: list[Case] = []
    seconds: list[float] = []
    for k in range(count):
        t, v = rng.randrange(TOWNS), rng.randrange(VILLAGES_PER_TOWN)
        x0, y0, x1, y1 = _village_box(t, v)
        point = Location(rng.uniform(x0 + 1e-4, x1 - 1e-4), rng.uniform(y0 + 1e-4, y1 - 1e-4))
        began = time.perf_counter()
        with UnitOfWork(city.db) as uow:
            case = service.open_case(
                uow,
                source=CaseSource.PATROL,
                category=rng.choice(CATEGORIES),
                description=f"巡查发现的问题 {k}",
                now=MONDAY + timedelta(seconds=k),
                location=point,
            )
        seconds.append(time.perf_counter() - began)
        opened.append(case)
    return opened, seconds


def _photo(key: str) -> bytes:
    """A ~20 kB JPEG (its signature is what the photo checks read), distinct per ``key``."""
    body = hashlib.sha256(key.encode()).digest() * (PHOTO_BYTES // 32)
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + body + b"\xff\xd9"


@dataclass
class Outcome:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    conflicts: int = 0
    cpu_seconds: float = 0.0  # of this process (all threads) while the officers acted
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, action: str, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(action, []).append(seconds)


def officer_run(
    city: City,
    officer: Principal,
    cases: list[Case],
    *,
    actions: int,
    think: float,
    clock: Callable[[], datetime],
    outcome: Outcome,
    start: threading.Barrier,
) -> None:
    """One officer (and, for the verification, their town officer) taking ``actions`` actions."""
    with UnitOfWork(city.db) as uow:  # warm: the pool as a running server has it (untimed)
        uow.cases.get_case(cases[0].id)
    start.wait()
    pace = random.Random(officer.username)  # each officer their own pace (seeded: runs comparable)
    if think:
        time.sleep(pace.uniform(0, think))  # officers do not all start on the same instant
    queue = [(case, 0) for case in cases]  # (case as last seen, index of its next step)
    done = 0
    while done < actions and queue:
        case, step = queue.pop(0)
        action = STEPS[step]
        town = city.town_officers[case.town_code or ""]
        principal = officer if action in ("accept", "start", "comment", "submit") else town
        extra: dict[str, Any] = {"note": f"{action} #{case.id}"}
        if action == "submit":
            extra.update(photos=[(_photo(f"{case.id}"), "photo.jpg", "image/jpeg")], location=case.location)
        while True:
            began = time.perf_counter()
            try:
                with UnitOfWork(city.db) as uow:
                    after = service.act(
                        uow,
                        principal=principal,
                        case_id=case.id,
                        action=action,
                        expected_version=case.version,
                        now=clock(),
                        **extra,
                    )
            except VersionConflict:
                outcome.add("conflict", time.perf_counter() - began)
                with outcome.lock:
                    outcome.conflicts += 1
                with UnitOfWork(city.db) as uow:
                    current = uow.cases.get_case(case.id)
                assert current is not None
                case = current
                continue
            except Exception as exc:  # counted and shown: the bench goes on with the next case
                with outcome.lock:
                    outcome.errors[f"{action}: {type(exc).__name__}: {exc}"[:160]] += 1
                after = None
            break
        outcome.add(action, time.perf_counter() - began)
        done += 1
        if after is not None and step + 1 < len(STEPS):
            queue.insert(0, (after, step + 1))  # each case worked through, then the next
        if think:
            time.sleep(pace.uniform(0.5, 1.5) * think)


def concurrent_actions(
    city: City, cases: Sequence[Case], *, officers: int, actions: int, think: float
) -> tuple[Outcome, float, list[str]]:
    """``officers`` threads acting at once (module docstring); the outcome, the wall seconds and
    the officers who acted."""
    by_officer: dict[str, list[Case]] = {}
    for case in cases:
        if case.assignee:
            by_officer.setdefault(case.assignee, []).append(case)
    chosen = sorted(by_officer, key=lambda name: (-len(by_officer[name]), name))[:officers]
    outcome = Outcome()
    barrier = threading.Barrier(len(chosen) + 1)
    tick = MONDAY + timedelta(hours=1)
    lock = threading.Lock()

    def clock() -> datetime:  # an injected clock: a second later at every action
        nonlocal tick
        with lock:
            tick += timedelta(seconds=1)
            return tick

    threads = [
        threading.Thread(
            target=officer_run,
            args=(city, city.officers[name], by_officer[name]),
            kwargs={"actions": actions, "think": think, "clock": clock, "outcome": outcome, "start": barrier},
        )
        for name in chosen
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    began, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.join()
    outcome.cpu_seconds = time.process_time() - cpu
    return outcome, time.perf_counter() - began, chosen


def read_latency(city: City, officer: Principal, reads: int, now: datetime) -> dict[str, list[float]]:
    """Seconds of ``inbox`` and of ``list_cases`` (open cases, the first page) for ``officer``."""
    found: dict[str, list[float]] = {"inbox": [], "list_cases": []}
    for _ in range(reads):
        for name, read in (
            ("inbox", lambda uow: service.inbox(uow, principal=officer, now=now)),
            (
                "list_cases",
                lambda uow: service.list_cases(uow, principal=officer, now=now, status="open", limit=50),
            ),
        ):
            began = time.perf_counter()
            with UnitOfWork(city.db) as uow:
                read(uow)
            found[name].append(time.perf_counter() - began)
    return found


def _percentile(values: Sequence[float], p: float) -> float:
    data = sorted(values)
    return data[min(len(data) - 1, round(p / 100 * (len(data) - 1)))]


def _ms(values: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(1000 * statistics.median(values), 1),
        "p95_ms": round(1000 * _percentile(values, 95), 1),
        "p99_ms": round(1000 * _percentile(values, 99), 1),
        "max_ms": round(1000 * max(values), 1),
    }


def _pool(db: Database) -> str:
    pool: Any = db.engine.pool
    size = pool.size() if hasattr(pool, "size") else None
    overflow = getattr(pool, "_max_overflow", None)
    return f"{type(pool).__name__}" + (f" {size}+{overflow}" if size is not None else "")


def run_one(engine: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """The whole bench on one database (an empty one at ``url``, migrated here)."""
    upgrade(url)
    db = Database.from_url(url, **({"pool_size": args.pool_size} if args.pool_size else {}))
    try:
        began = time.perf_counter()
        city = build_city(db)
        built = time.perf_counter() - began
        cases, opening = open_cases(city, args.cases)
        outcome, wall, chosen = concurrent_actions(
            city, cases, officers=args.officers, actions=args.actions, think=args.think / 1000
        )
        every = [s for action, values in outcome.latencies.items() if action != "conflict" for s in values]
        busiest = city.officers[chosen[0]]
        town = city.town_officers[next(c.town_code for c in cases if c.assignee == chosen[0]) or ""]
        now = MONDAY + timedelta(hours=3)
        reads = {f"officer {k}": v for k, v in read_latency(city, busiest, args.reads, now).items()}
        reads.update({f"town {k}": v for k, v in read_latency(city, town, args.reads, now).items()})
    finally:
        db.dispose()
    actions = sum(len(v) for k, v in outcome.latencies.items() if k != "conflict")
    out: dict[str, Any] = {
        "engine": engine,
        "pool": _pool(db),
        "villages": TOWNS * VILLAGES_PER_TOWN,
        "officers_with_accounts": len(city.officers) + len(city.town_officers),
        "city_seconds": round(built, 1),
        "cases_opened": len(cases),
        "dispatched": sum(1 for c in cases if c.assignee),
        "open_case": _ms(opening),
        "open_cases_per_s": round(len(opening) / sum(opening), 1),
        "concurrent_officers": len(chosen),
        "think_ms": args.think,
        "actions": actions,
        "actions_per_s": round(actions / wall, 1),
        "cpu_ms_per_action": round(1000 * outcome.cpu_seconds / actions, 2),
        "conflicts": outcome.conflicts,
        "errors": dict(outcome.errors),
        "act": _ms(every),
        "by_action": {k: _ms(v) for k, v in sorted(outcome.latencies.items())},
        "reads": {k: _ms(v) for k, v in reads.items()},
    }
    out["goal_met"] = out["act"]["p95_ms"] < GOAL_P95_MS
    return out


def print_table(result: dict[str, Any]) -> None:
    print(
        f"\n== {result['engine']}: {result['villages']} village cells, {result['officers_with_accounts']} officers "
        f"with accounts (city built in {result['city_seconds']} s); pool {result['pool']}; "
        f"think {result['think_ms']:g} ms"
    )
    print(f"{'what':<22} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    rows = [("open_case (1 thread)", result["open_case"]), ("act (all)", result["act"])]
    rows += [(f"  {k}", v) for k, v in result["by_action"].items()]
    rows += list(result["reads"].items())
    for name, m in rows:
        print(f"{name:<22} {m['n']:>6} {m['p50_ms']:>8} {m['p95_ms']:>8} {m['p99_ms']:>8} {m['max_ms']:>8}")
    print(
        f"{result['cases_opened']} cases opened ({result['open_cases_per_s']}/s, {result['dispatched']} dispatched); "
        f"{result['concurrent_officers']} concurrent officers: {result['actions']} actions, "
        f"{result['actions_per_s']} actions/s ({result['cpu_ms_per_action']} ms of CPU each in this process), "
        f"{result['conflicts']} conflicts, "
        f"{sum(result['errors'].values())} errors; goal p95 < {GOAL_P95_MS:g} ms: "
        f"{'met' if result['goal_met'] else 'NOT met'}"
    )
    for message, n in result["errors"].items():
        print(f"  error x{n}: {message}")


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("GREENPORT_TEST_POSTGRES_URL", ""),
        help="PostgreSQL server URL (default GREENPORT_TEST_POSTGRES_URL); a throwaway database is made on it",
    )
    parser.add_argument("--cases", type=int, default=2000, help="cases opened before the officers act")
    parser.add_argument("--officers", type=int, default=50, help="concurrent officers (threads)")
    parser.add_argument("--actions", type=int, default=30, help="actions each officer takes")
    parser.add_argument(
        "--think",
        type=float,
        default=1000.0,
        help="milliseconds an officer waits between actions (0: back to back, the throughput at saturation)",
    )
    parser.add_argument(
        "--pool-size",
        type=int,
        default=0,
        help="connections the pool keeps (0: the app's default, 5 + 10 overflow)",
    )
    parser.add_argument("--reads", type=int, default=50, help="timed inbox and list_cases reads per officer")
    args = parser.parse_args(argv)
    results = []
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(
                run_one("sqlite (WAL, synchronous=FULL)", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
            )
            print_table(results[-1])
    if args.database in ("postgresql", "both"):
        if not args.postgres:
            print("PostgreSQL skipped: give --postgres URL or set GREENPORT_TEST_POSTGRES_URL")
        else:
            server = normalise_url(args.postgres)
            name = f"gp_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                results.append(run_one("postgresql", f"{server.rpartition('/')[0]}/{name}", args))
                print_table(results[-1])
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
