"""The outbox on SQLite and PostgreSQL: enqueue once, deliver through a real SMTP sink and a real
HTTP receiver, retry with backoff, recover a crashed claim, never send one row twice."""

from __future__ import annotations

import email
import threading
from collections import Counter
from datetime import timedelta
from email import policy as email_policy
from typing import Any

import pytest

from greenport.accounts.model import Principal, Role
from greenport.notifications import service as notifications
from greenport.notifications.model import Channel, Delivery, DeliveryState, RetryPolicy
from greenport.notifications.ports import DeliveryError
from greenport.notifications.routes import parse_routes, shipped_routes
from greenport.notifications.senders import SmtpSender, WebhookSender, webhook_targets
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.notifications.conftest import NOW, People, Receiver, make_notice
from tests.regions.conftest import TOWN

POLICY = RetryPolicy(delays=(60.0, 300.0), claim_seconds=600.0)

ROBOTS = """
retry: {delays_seconds: [60, 300], claim_seconds: 600}
routes:
  - {name: ding, channel: webhook, topics: [alarm], flavour: dingtalk,
     url_env: GREENPORT_WEBHOOK_DING, secret_env: GREENPORT_WEBHOOK_DING_SECRET}
  - {name: wecom, channel: webhook, topics: [alarm], flavour: wecom, url_env: GREENPORT_WEBHOOK_WECOM}
"""


def _principal(people: People, name: str) -> Principal:
    return Principal(user_id=people.ids[name], username=name, display_name=name, role=Role.TOWN_OFFICER)


def _enqueue(db: Database, routes: Any = None, **changes: Any) -> int:
    with UnitOfWork(db) as uow:
        return notifications.enqueue(
            uow, notice=make_notice(**changes), routes=routes or shipped_routes().routes, now=NOW
        )


def _rows(db: Database, channel: Channel | None = None) -> list[Delivery]:
    with UnitOfWork(db) as uow:
        return notifications.outbox(uow, channel=channel)


def test_a_notice_enqueued_twice_is_stored_once(people: People) -> None:
    assert _enqueue(people.db) == 4  # bell + mail of city_admin and officer_a
    assert _enqueue(people.db) == 0  # the second process / retried transaction
    rows = _rows(people.db)
    assert sorted((r.channel.value, r.recipient) for r in rows) == [
        ("email", "a@town.example"),
        ("email", "admin@city.example"),
        ("in_app", str(people.ids["city_admin"])),
        ("in_app", str(people.ids["officer_a"])),
    ]
    assert {r.state for r in rows if r.channel is Channel.IN_APP} == {DeliveryState.DELIVERED}
    assert {r.state for r in rows if r.channel is Channel.EMAIL} == {DeliveryState.PENDING}


def test_notifications_commit_with_the_callers_transaction_or_not_at_all(people: People) -> None:
    with pytest.raises(RuntimeError), UnitOfWork(people.db) as uow:
        notifications.enqueue(uow, notice=make_notice(), routes=shipped_routes().routes, now=NOW)
        raise RuntimeError("the alarm could not be stored")
    assert _rows(people.db) == []


def test_each_user_reads_and_marks_only_their_own_in_app_rows(people: People) -> None:
    _enqueue(people.db)
    _enqueue(people.db, dedupe_key="alarm:13:firing", subject_id=13, town_code="320582101000")
    officer_a, officer_b = _principal(people, "officer_a"), _principal(people, "officer_b")
    with UnitOfWork(people.db) as uow:
        mine = notifications.inbox(uow, officer_a, unread_only=True)
        theirs = notifications.inbox(uow, officer_b)
        assert [d.notice.subject_id for d in mine] == [12]
        assert [d.notice.subject_id for d in theirs] == [13]
        # officer_a cannot mark officer_b's row read
        assert notifications.mark_read(uow, officer_a, [theirs[0].id, mine[0].id], now=NOW) == 1
    with UnitOfWork(people.db) as uow:
        assert notifications.inbox(uow, officer_a, unread_only=True) == []
        assert notifications.unread_count(uow, officer_b) == 1


def test_email_reaches_a_real_smtp_server(people: People, smtp_sink: tuple[int, list[Any]]) -> None:
    port, envelopes = smtp_sink
    _enqueue(people.db)
    sender = SmtpSender(host="127.0.0.1", port=port, from_addr="greenport@city.example")
    report = notifications.deliver_due(
        lambda: UnitOfWork(people.db), now=NOW, senders={Channel.EMAIL: sender}, policy=POLICY
    )
    assert (report.claimed, report.delivered) == (2, 2)
    received = {
        tuple(e.rcpt_tos): email.message_from_bytes(e.content, policy=email_policy.default) for e in envelopes
    }
    message = received[("a@town.example",)]
    assert message["To"] == "a@town.example"
    assert message["Subject"] == "[重要/major] SO2 小时均值超标 / SO2 hourly mean over the limit"
    assert "DA-A 排口 SO2 小时均值 120 mg/m³" in message.get_content()
    assert {r.state for r in _rows(people.db, Channel.EMAIL)} == {DeliveryState.DELIVERED}
    # delivered rows are not sent again
    again = notifications.deliver_due(lambda: UnitOfWork(people.db), now=NOW, senders={Channel.EMAIL: sender})
    assert again.claimed == 0 and len(envelopes) == 2


def test_robots_receive_their_markdown_shape_and_the_dingtalk_sign(
    people: People, receiver: Receiver
) -> None:
    config = parse_routes(ROBOTS, source="robots.yaml")
    environ = {
        "GREENPORT_WEBHOOK_DING": receiver.url,
        "GREENPORT_WEBHOOK_DING_SECRET": "SECtest",
        "GREENPORT_WEBHOOK_WECOM": receiver.url.replace("access_token", "key"),
    }
    assert _enqueue(people.db, routes=config.routes) == 2
    sender = WebhookSender(
        targets=webhook_targets(config, environ), config=config, clock_ms=lambda: 1700000000000
    )
    assert "TOPSECRET" not in repr(sender.targets)
    report = notifications.deliver_due(
        lambda: UnitOfWork(people.db), now=NOW, senders={Channel.WEBHOOK: sender}, policy=config.retry
    )
    assert report.delivered == 2
    by_shape = {tuple(sorted(r["json"]["markdown"])): r for r in receiver.requests}
    ding, wecom = by_shape[("text", "title")], by_shape[("content",)]
    assert ding["json"]["msgtype"] == wecom["json"]["msgtype"] == "markdown"
    assert ding["json"]["markdown"]["title"] == "SO2 小时均值超标"
    assert ding["query"]["timestamp"] == ["1700000000000"]
    # the sign as DingTalk recomputes it: urlencoded Base64 of HmacSHA256, decoded once by the server
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(
        hmac.new(b"SECtest", b"1700000000000\nSECtest", hashlib.sha256).digest()
    ).decode()
    assert ding["query"]["sign"] == [expected]
    assert "sign" not in wecom["query"]


def test_a_robot_answering_500_then_200_is_retried_and_delivered(people: People, receiver: Receiver) -> None:
    config = parse_routes(ROBOTS, source="robots.yaml")
    routes = [config.routes[1]]  # wecom
    _enqueue(people.db, routes=routes)
    sender = WebhookSender(
        targets=webhook_targets(config, {"GREENPORT_WEBHOOK_WECOM": receiver.url}), config=config
    )
    receiver.statuses = [500]
    factory = lambda: UnitOfWork(people.db)  # noqa: E731
    first = notifications.deliver_due(factory, now=NOW, senders={Channel.WEBHOOK: sender}, policy=POLICY)
    assert (first.retried, first.delivered) == (1, 0)
    [row] = _rows(people.db)
    assert (row.state, row.attempts, row.next_attempt_at) == (
        DeliveryState.PENDING,
        1,
        NOW + timedelta(seconds=60),
    )
    assert row.last_error == "webhook wecom: the robot answered HTTP 500"
    early = notifications.deliver_due(
        factory, now=NOW + timedelta(seconds=59), senders={Channel.WEBHOOK: sender}, policy=POLICY
    )
    assert early.claimed == 0  # backoff: not before its time
    second = notifications.deliver_due(
        factory, now=NOW + timedelta(seconds=60), senders={Channel.WEBHOOK: sender}, policy=POLICY
    )
    assert second.delivered == 1
    [row] = _rows(people.db)
    assert (row.state, row.attempts, row.last_error) == (DeliveryState.DELIVERED, 2, None)
    assert len(receiver.requests) == 2
    assert all("TOPSECRET" not in (r.last_error or "") for r in _rows(people.db))


def test_a_route_without_its_url_fails_after_the_last_attempt_naming_the_variable(people: People) -> None:
    config = parse_routes(ROBOTS, source="robots.yaml")
    _enqueue(people.db, routes=[config.routes[1]])
    sender = WebhookSender(targets={}, config=config)
    factory = lambda: UnitOfWork(people.db)  # noqa: E731
    for seconds in (0, 60, 360):
        notifications.deliver_due(
            factory, now=NOW + timedelta(seconds=seconds), senders={Channel.WEBHOOK: sender}, policy=POLICY
        )
    [row] = _rows(people.db)
    assert (row.state, row.attempts) == (DeliveryState.FAILED, POLICY.max_attempts)
    assert "set the environment variable GREENPORT_WEBHOOK_WECOM" in (row.last_error or "")
    with UnitOfWork(people.db) as uow:
        assert [d.id for d in notifications.outbox(uow, state="failed")] == [row.id]


class _Recorder:
    def __init__(self) -> None:
        self.sent: Counter[int] = Counter()
        self.lock = threading.Lock()

    def send(self, delivery: Delivery) -> None:
        with self.lock:
            self.sent[delivery.id] += 1


def test_a_crashed_claim_is_retried_after_it_expires(people: People) -> None:
    _enqueue(people.db)
    with UnitOfWork(people.db) as uow:  # a process claims both e-mail rows, then dies before sending
        claimed = uow.notifications.claim_due(
            now=NOW, until=NOW + timedelta(seconds=POLICY.claim_seconds), channels=[Channel.EMAIL], limit=10
        )
    assert len(claimed) == 2
    recorder = _Recorder()
    factory = lambda: UnitOfWork(people.db)  # noqa: E731
    during = notifications.deliver_due(
        factory, now=NOW + timedelta(seconds=599), senders={Channel.EMAIL: recorder}, policy=POLICY
    )
    assert during.claimed == 0  # still claimed by the dead process
    after = notifications.deliver_due(
        factory, now=NOW + timedelta(seconds=600), senders={Channel.EMAIL: recorder}, policy=POLICY
    )
    assert after.delivered == 2 and sorted(recorder.sent.values()) == [1, 1]
    assert {(r.state, r.attempts) for r in _rows(people.db, Channel.EMAIL)} == {(DeliveryState.DELIVERED, 1)}


def test_two_concurrent_delivery_passes_never_send_one_row_twice(people: People) -> None:
    for n in range(30):
        _enqueue(people.db, dedupe_key=f"alarm:{n}:firing", subject_id=n)
    recorder = _Recorder()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            while notifications.deliver_due(
                lambda: UnitOfWork(people.db),
                now=NOW,
                senders={Channel.EMAIL: recorder},
                limit=3,
                policy=POLICY,
            ).claimed:
                pass
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    emails = _rows(people.db, Channel.EMAIL)
    assert len(emails) == 60
    assert set(recorder.sent) == {r.id for r in emails}
    assert max(recorder.sent.values()) == 1
    assert {r.state for r in emails} == {DeliveryState.DELIVERED}


def test_a_sender_error_never_leaks_the_robot_token(people: People) -> None:
    config = parse_routes(ROBOTS, source="robots.yaml")
    _enqueue(people.db, routes=[config.routes[1]])

    class Leaky:
        def send(self, delivery: Delivery) -> None:
            raise DeliveryError("POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRETKEY refused")

    notifications.deliver_due(
        lambda: UnitOfWork(people.db), now=NOW, senders={Channel.WEBHOOK: Leaky()}, policy=POLICY
    )
    [row] = _rows(people.db)
    assert "SECRETKEY" not in (row.last_error or "") and "key=***" in (row.last_error or "")


def test_town_scope_comes_from_the_users_division(people: People) -> None:
    # a notice of TOWN reaches officer_a (TOWN) and not officer_b (TOWN_2) nor the public user
    _enqueue(people.db, town_code=TOWN)
    recipients = {r.recipient for r in _rows(people.db)}
    assert str(people.ids["officer_b"]) not in recipients and "b@town.example" not in recipients
    assert str(people.ids["citizen"]) not in recipients and "citizen@example.com" not in recipients
