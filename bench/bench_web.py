"""Latency of the dashboard API and pages under 50 concurrent clients, on the demo city.

    .venv/bin/python bench/bench_web.py [--db var/bench_web.db] [--clients 50] [--requests 20] [--fast]

Builds the demo city (registry + a year of hourly monitoring data, ``greenport.demo``) into
``--db`` once (reused afterwards), serves it with ``greenport serve`` (uvicorn, one process) on a
free 127.0.0.1 port, gives a bureau analyst a bearer token, then runs ``--clients`` httpx async
clients that each request every endpoint ``--requests`` times. Prints p50/p95/max per endpoint
[ms] and the throughput. Goal (issue 6): p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

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
    from sqlalchemy import select

    from greenport.bootstrap import build
    from greenport.config import Settings
    from greenport.storage.registry import UserRow
    from greenport.web import auth

    container = build(Settings(database_url=url), migrate=True)
    with container.uow() as uow:
        user = uow.session.scalar(
            select(UserRow).where(UserRow.role.in_(["bureau_analyst", "city_admin"])).limit(1)
        )
        assert user is not None, "the demo city has no analyst"
        token = "gp_bench_" + auth.new_secret()
        uow.web.add_token(digest=auth.digest(token), name="bench", user_id=user.id, expires_at=None)
    container.db.dispose()
    return token


async def client_loop(base: str, token: str, requests: int, out: dict[str, list[float]]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        for _ in range(requests):
            for path in ENDPOINTS:
                started = time.perf_counter()
                response = await client.get(path)
                out[path].append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")


async def run(base: str, token: str, clients: int, requests: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {p: [] for p in ENDPOINTS}
    await client_loop(base, token, 1, {p: [] for p in ENDPOINTS})  # warm-up (fills the cache)
    await asyncio.gather(*(client_loop(base, token, requests, out) for _ in range(clients)))
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
    args = parser.parse_args()
    url = build_city(args.db, args.fast)
    token = analyst_token(url)
    port = free_port()
    env = {**os.environ, "GREENPORT_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "greenport", "serve", "--database-url", url, "--port", str(port)],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/auth/me", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        started = time.perf_counter()
        out = asyncio.run(run(base, token, args.clients, args.requests))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(10)
    total = sum(len(v) for v in out.values())
    sys.stdout.write(
        f"bench_web: {args.clients} clients x {args.requests} rounds x {len(ENDPOINTS)} endpoints, "
        f"{args.workers} worker(s), {url}\n"
    )
    sys.stdout.write(f"{'endpoint':28} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}\n")
    for path, values in out.items():
        values.sort()
        p95 = values[int(0.95 * (len(values) - 1))]
        sys.stdout.write(
            f"{path:28} {len(values):6d} {statistics.median(values):8.1f} {p95:8.1f} {values[-1]:8.1f}\n"
        )
    every = sorted(v for values in out.values() for v in values)
    sys.stdout.write(
        f"{'all':28} {total:6d} {statistics.median(every):8.1f} {every[int(0.95 * (total - 1))]:8.1f} {every[-1]:8.1f}"
        f"   ({total / elapsed:.0f} requests/s)\n"
    )


if __name__ == "__main__":
    main()
