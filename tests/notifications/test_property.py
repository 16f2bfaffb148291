"""Property: whatever the order of enqueues, failing and succeeding sends, crashed claims and clock
steps, every (notice, channel, recipient) ends delivered exactly once or failed after the last
attempt, and none is lost."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from greenport.notifications import service as notifications
from greenport.notifications.model import Channel, Delivery, DeliveryState, RetryPolicy
from greenport.notifications.ports import DeliveryError
from greenport.notifications.routes import parse_routes
from greenport.storage.db import Database
from greenport.storage.migrate import upgrade
from greenport.storage.notifications import NotificationOutboxRow
from greenport.storage.uow import UnitOfWork
from tests.notifications.conftest import NOW, make_notice

POLICY = RetryPolicy(delays=(1.0, 2.0), claim_seconds=10.0)
ROUTES = parse_routes(
    """
retry: {delays_seconds: [1, 2], claim_seconds: 10}
routes:
  - {name: robot_a, channel: webhook, topics: [alarm], flavour: wecom, url_env: GREENPORT_WEBHOOK_A}
  - {name: robot_b, channel: webhook, topics: [alarm], flavour: wecom, url_env: GREENPORT_WEBHOOK_B}
""",
    source="property.yaml",
).routes

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("enqueue"), st.integers(0, 3)),
        st.tuples(st.just("deliver"), st.lists(st.booleans(), max_size=8)),
        st.tuples(st.just("crash"), st.integers(1, 4)),
        st.tuples(st.just("wait"), st.integers(0, 12)),
    ),
    max_size=25,
)


class Scripted:
    """Succeeds or fails as the script says (success once the script is used up); counts successes."""

    def __init__(self) -> None:
        self.script: list[bool] = []
        self.delivered: Counter[int] = Counter()

    def send(self, delivery: Delivery) -> None:
        if self.script and not self.script.pop(0):
            raise DeliveryError("scripted failure")
        self.delivered[delivery.id] += 1


@pytest.fixture(scope="module")
def property_db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('property')) / 'outbox.db'}"
    upgrade(url)
    return Database.from_url(url)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_every_delivery_ends_delivered_once_or_failed_never_lost(property_db: Database, steps: list) -> None:
    db = property_db
    with UnitOfWork(db) as uow:
        uow.session.execute(delete(NotificationOutboxRow))
    sender = Scripted()
    factory = lambda: UnitOfWork(db)  # noqa: E731
    now = NOW
    enqueued: set[int] = set()
    for kind, value in steps:
        if kind == "enqueue":
            enqueued.add(value)
            with UnitOfWork(db) as uow:
                notifications.enqueue(
                    uow,
                    notice=make_notice(subject_id=value, dedupe_key=f"alarm:{value}"),
                    routes=ROUTES,
                    now=now,
                )
        elif kind == "deliver":
            sender.script = list(value)
            notifications.deliver_due(factory, now=now, senders={Channel.WEBHOOK: sender}, policy=POLICY)
        elif kind == "crash":  # claimed, never sent nor recorded
            with UnitOfWork(db) as uow:
                uow.notifications.claim_due(
                    now=now,
                    until=now + timedelta(seconds=POLICY.claim_seconds),
                    channels=[Channel.WEBHOOK],
                    limit=value,
                )
        else:
            now += timedelta(seconds=value)
    # drain: time passes, every send succeeds
    sender.script = []
    for _ in range(10):
        now += timedelta(seconds=POLICY.claim_seconds)
        notifications.deliver_due(factory, now=now, senders={Channel.WEBHOOK: sender}, policy=POLICY)
    with UnitOfWork(db) as uow:
        rows = notifications.outbox(uow, limit=1000)
    assert sorted((r.notice.dedupe_key, r.recipient) for r in rows) == sorted(
        (f"alarm:{n}", route) for n in enqueued for route in ("robot_a", "robot_b")
    )
    for row in rows:
        if row.state is DeliveryState.DELIVERED:
            assert sender.delivered[row.id] == 1, row
        else:
            assert row.state is DeliveryState.FAILED, row
            assert row.attempts == POLICY.max_attempts and sender.delivered[row.id] == 0, row
