"""Fixtures of the notification tests: people in two towns, a real local SMTP sink (aiosmtpd) and
a real local HTTP receiver standing in for a group robot, both started by the tests."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller

from greenport.accounts import service as accounts
from greenport.notifications.model import Notice, Severity
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.regions.conftest import TOWN, TOWN_2, seed_small_registry

PASSWORD = "correct horse battery staple"
#: The clock of every test (no test reads the wall clock).
NOW = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)


def make_notice(**changes: Any) -> Notice:
    base = Notice(
        topic="alarm",
        subject_id=12,
        event="firing",
        severity=Severity.MAJOR,
        title_zh="SO2 小时均值超标",
        title_en="SO2 hourly mean over the limit",
        body_zh="DA-A 排口 SO2 小时均值 120 mg/m³，限值 100 mg/m³。",
        body_en="Outlet DA-A: SO2 hourly mean 120 mg/m³, limit 100 mg/m³.",
        link="/alarms/12",
        occurred_at=NOW,
        dedupe_key="alarm:12:firing",
        site_id=3,
        town_code=TOWN,
        enterprise_id=None,
        park_id=None,
    )
    return replace(base, **changes)


@dataclass(frozen=True)
class People:
    db: Database
    ids: dict[str, int]


@pytest.fixture
def people(db: Database) -> People:
    """city_admin, a town officer of TOWN and one of TOWN_2 (all with e-mail), a public user."""
    seed_small_registry(db)
    specs: dict[str, dict[str, Any]] = {
        "city_admin": {"role": "city_admin", "email": "admin@city.example"},
        "officer_a": {"role": "town_officer", "division_code": TOWN, "email": "a@town.example"},
        "officer_b": {"role": "town_officer", "division_code": TOWN_2, "email": "b@town.example"},
        "citizen": {"role": "public", "email": "citizen@example.com"},
    }
    ids = {}
    with UnitOfWork(db) as uow:
        for name, spec in specs.items():
            email = spec.pop("email")
            user = accounts.create_user(uow, username=name, password=PASSWORD, **spec)
            accounts.set_email(uow, username=name, email=email)
            assert user.id is not None
            ids[name] = user.id
    return People(db=db, ids=ids)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _SinkHandler:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[tuple[int, list[Any]]]:
    """A real SMTP server on 127.0.0.1: (its port, the envelopes it received)."""
    handler = _SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, handler.envelopes
    finally:
        controller.stop()


@dataclass
class Receiver:
    """A real HTTP server standing in for a robot: it records each POST and answers with the
    next status of ``statuses`` (200 ``{"errcode": 0}`` once they are used up)."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server's naming
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length) or b"null")
            parts = urlsplit(self.path)
            state.requests.append({"path": parts.path, "query": parse_qs(parts.query), "json": body})
            status = state.statuses.pop(0) if state.statuses else 200
            answer = json.dumps({"errcode": 0 if status == 200 else 500, "errmsg": "ok"}).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/robot/send?access_token=TOPSECRET"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
