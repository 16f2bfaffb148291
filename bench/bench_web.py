"""Latency of the dashboard API and pages under 50 concurrent clients, on the demo city.

    .venv/bin/python bench/bench_web.py [--db var/bench_web.db] [--clients 50] [--requests 20]
        [--client raw|httpx] [--no-pin] [--wrk SECONDS] [--workers N] [--fast]

Builds the demo city (registry + a year of hourly monitoring data, ``greenport.demo``) into
``--db`` once (reused afterwards), serves it with ``greenport serve`` (uvicorn with uvloop and
httptools, one process) on a free 127.0.0.1 port, gives a bureau analyst a bearer token, then
runs ``--clients`` concurrent clients that each request every endpoint ``--requests`` times,
one request at a time on a keep-alive connection.

The default client (``raw``) speaks HTTP/1.1 on asyncio streams (uvloop) and costs tens of µs
per request, so the load generator does not eat the server's CPU; ``httpx`` is the heavier,
earlier client. By default the server is pinned to the first CPU and the client (and wrk) to the
others (``os.sched_setaffinity``), so that on a 2-core machine they do not compete; ``--no-pin``
lets the scheduler place them. If ``wrk`` is on PATH, ``wrk -c CLIENTS --latency`` figures per
endpoint follow. Prints p50/p95/p99/max per endpoint [ms], the throughput and PASS/FAIL against
the goal of issue 6: p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ENDPOINTS = ("/api/dashboard", "/", "/fragments/dashboard", "/api/public/air", "/public")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_city(db: Path, fast: bool) -> str:
    from greenport.bootstrap import build
    from greenport.config import Settings

    url = f"sqlite:///{db}"
    if db.exists():
        return url
    db.parent.mkdir(parents=True, exist_ok=True)
    from greenport.demo.build import build_demo

    started = time.perf_counter()
    container = build(Settings(database_url=url, mode="demo"), migrate=True)
    _ctx, summary = build_demo(container, fast=fast)
    container.db.dispose()
    sys.stdout.write(
        f"built demo city in {time.perf_counter() - started:.0f} s: "
        f"{summary.get('monitoring', {}).get('observations', '?')} observations\n"
    )
    return url


def analyst_token(url: str) -> str:
    from datetime import timedelta

    from sqlalchemy import select

    from greenport.accounts.secret_tokens import digest, new_secret
    from greenport.bootstrap import build
    from greenport.config import Settings
    from greenport.kernel.time import utcnow
    from greenport.storage.registry import UserRow

    container = build(Settings(database_url=url), migrate=True)
    with container.uow() as uow:
        user = uow.session.scalar(
            select(UserRow).where(UserRow.role.in_(["bureau_analyst", "city_admin"])).limit(1)
        )
        assert user is not None, "the demo city has no analyst"
        token = "gp_bench_" + new_secret()
        uow.accounts.add_token(
            digest=digest(token), name="bench", user_id=user.id, expires_at=utcnow() + timedelta(days=90)
        )
    container.db.dispose()
    return token


Sink = dict[str, list[float]]


async def httpx_client(base: str, token: str, requests: int, out: Sink, start: asyncio.Barrier) -> None:
    """One client with httpx (convenient, but its CPU cost is a large share of a small machine)."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        await client.get(ENDPOINTS[0])  # connect (untimed)
        await start.wait()
        for _ in range(requests):
            for path in ENDPOINTS:
                started = time.perf_counter()
                response = await client.get(path)
                out[path].append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")


async def raw_client(base: str, token: str, requests: int, out: Sink, start: asyncio.Barrier) -> None:
    """One client on a raw asyncio stream: HTTP/1.1 keep-alive, one connection, a request at a
    time; parses only the status line and Content-Length (tens of µs per request)."""
    host, _, port = base.removeprefix("http://").partition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    wire = {
        path: (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nAccept: */*\r\n\r\n"
        ).encode()
        for path in ENDPOINTS
    }

    async def get(path: str) -> tuple[int, bytes]:
        writer.write(wire[path])
        head = await reader.readuntil(b"\r\n\r\n")
        lower = head.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at < 0:
            raise RuntimeError(f"{path}: no Content-Length ({head[:200]!r})")
        length = int(lower[at + 17 : lower.index(b"\r\n", at + 2)])
        return int(head[9:12]), await reader.readexactly(length)

    try:
        await get(ENDPOINTS[0])  # connect (untimed)
        await start.wait()
        for _ in range(requests):
            for path in ENDPOINTS:
                started = time.perf_counter()
                status, body = await get(path)
                out[path].append((time.perf_counter() - started) * 1000)
                if status != 200:
                    raise RuntimeError(f"{path}: {status} {body[:200]!r}")
    finally:
        writer.close()


CLIENTS = {"raw": raw_client, "httpx": httpx_client}


async def run(
    base: str, token: str, clients: int, requests: int, kind: str, workers: int = 1
) -> tuple[Sink, float]:
    """The figures of ``clients`` concurrent clients and the time they took [s]: one warm-up
    round first fills the server's caches, then every client connects, and all start together."""
    client = CLIENTS[kind]
    out: Sink = {p: [] for p in ENDPOINTS}
    # warm-up: one round on a few connections at once, so that every worker fills its caches
    warm = max(1, min(clients, 4 * workers))
    warmed = asyncio.Barrier(warm)
    await asyncio.gather(*(client(base, token, 1, {p: [] for p in ENDPOINTS}, warmed) for _ in range(warm)))
    start = asyncio.Barrier(clients + 1)
    tasks = [asyncio.create_task(client(base, token, requests, out, start)) for _ in range(clients)]
    await start.wait()
    started = time.perf_counter()
    await asyncio.gather(*tasks)
    return out, time.perf_counter() - started


def run_loop(coro: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


def wrk_figures(base: str, token: str, clients: int, seconds: int, cpus: set[int] | None) -> dict[str, str]:
    """``wrk -c CLIENTS --latency`` per endpoint: p50/p90/p99 and requests/s as wrk prints them."""
    out = {}
    for path in ENDPOINTS:
        command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--latency"]
        command += ["-H", f"Authorization: Bearer {token}", base + path]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )
        text = result.stdout
        found = {k: re.search(rf"^\s+{k}%\s+(\S+)", text, re.M) for k in ("50", "90", "99")}
        rate = re.search(r"Requests/sec:\s+(\S+)", text)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
        out[path] = " ".join(
            [f"p{k} {m.group(1) if m else '?'}" for k, m in found.items()]
            + [f"{rate.group(1) if rate else '?'} req/s"]
            + ([f"NON-2XX {errors.group(1)}"] if errors else [])
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "bench_web.db")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--fast", action="store_true", help="demo with a few days of data (quick check)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--client", choices=sorted(CLIENTS), default="raw", help="load generator")
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="let server and client share every CPU (default: server on CPU 0, client on the others)",
    )
    parser.add_argument("--wrk", type=int, default=5, metavar="SECONDS", help="wrk run per endpoint; 0: none")
    parser.add_argument("--goal-ms", type=float, default=100.0, help="p95 goal [ms] (issue 6: 100)")
    args = parser.parse_args()
    url = build_city(args.db, args.fast)
    token = analyst_token(url)
    port = free_port()
    env = {**os.environ, "GREENPORT_LOG_LEVEL": "WARNING"}
    cpus = sorted(os.sched_getaffinity(0))
    pin = not args.no_pin and len(cpus) >= 2
    server_cpus, client_cpus = ({cpus[0]}, set(cpus[1:])) if pin else (None, None)
    command = [sys.executable, "-m", "greenport", "serve", "--database-url", url, "--port", str(port)]
    server = subprocess.Popen([*command, "--workers", str(args.workers)], env=env, cwd=ROOT)
    if server_cpus:
        os.sched_setaffinity(server.pid, server_cpus)  # workers started later inherit it
        os.sched_setaffinity(0, client_cpus or set(cpus))
    base = f"http://127.0.0.1:{port}"
    wrk: dict[str, str] = {}
    try:
        wait_until_up(base)
        out, elapsed = run_loop(run(base, token, args.clients, args.requests, args.client, args.workers))
        if args.wrk and shutil.which("wrk"):
            wrk = wrk_figures(base, token, args.clients, args.wrk, client_cpus)
    finally:
        server.terminate()
        server.wait(10)
    report(args, url, out, elapsed, wrk, pin=(server_cpus, client_cpus))


def wait_until_up(base: str) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/auth/me", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError("the server did not start within 60 s")


def report(
    args: argparse.Namespace,
    url: str,
    out: dict[str, list[float]],
    elapsed: float,
    wrk: dict[str, str],
    *,
    pin: tuple[set[int] | None, set[int] | None],
) -> None:
    write = sys.stdout.write
    total = sum(len(v) for v in out.values())
    server_cpus, client_cpus = pin
    placement = (
        f"server on CPU {sorted(server_cpus)}, client on CPU {sorted(client_cpus or [])}"
        if server_cpus
        else "not pinned"
    )
    write(
        f"bench_web: {args.clients} clients x {args.requests} rounds x {len(ENDPOINTS)} endpoints, "
        f"{args.workers} worker(s), client {args.client!r} ({placement}), {url}\n"
    )
    write(f"{'endpoint':24} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}\n")
    for path, values in out.items():
        values.sort()
        write(
            f"{path:24} {len(values):6d} {statistics.median(values):8.1f} {pct(values, 0.95):8.1f} "
            f"{pct(values, 0.99):8.1f} {values[-1]:8.1f}\n"
        )
    every = sorted(v for values in out.values() for v in values)
    p95 = pct(every, 0.95)
    write(
        f"{'all':24} {total:6d} {statistics.median(every):8.1f} {p95:8.1f} {pct(every, 0.99):8.1f} "
        f"{every[-1]:8.1f}   ({total / elapsed:.0f} requests/s)\n"
    )
    worst = max(pct(sorted(v), 0.95) for v in out.values())
    verdict = "PASS" if worst < args.goal_ms and p95 < args.goal_ms else "FAIL"
    write(
        f"goal p95 < {args.goal_ms:g} ms (overall and every endpoint): {verdict} (worst endpoint p95 {worst:.1f} ms)\n"
    )
    if wrk:
        write(f"wrk -t1 -c{args.clients} -d{args.wrk}s, same server, one endpoint at a time:\n")
        for path, line in wrk.items():
            write(f"  {path:24} {line}\n")


if __name__ == "__main__":
    main()
