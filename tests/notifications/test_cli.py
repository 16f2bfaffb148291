"""``greenport notifications deliver|outbox`` and ``greenport users set --email``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from greenport.accounts import service as accounts
from greenport.cli.main import app
from greenport.notifications.model import DeliveryState
from greenport.storage.uow import UnitOfWork
from tests.notifications.conftest import People
from tests.notifications.test_outbox import _enqueue, _rows

runner = CliRunner()


def _url(people: People) -> str:
    return people.db.engine.url.render_as_string(hide_password=False)


def test_deliver_once_sends_the_due_email_through_the_configured_smtp_server(
    people: People, smtp_sink: tuple[int, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, envelopes = smtp_sink
    monkeypatch.setenv("GREENPORT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("GREENPORT_SMTP_PORT", str(port))
    _enqueue(people.db)
    result = runner.invoke(app, ["notifications", "deliver", "--once", "--json", "--database", _url(people)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"claimed": 2, "delivered": 2, "retried": 0, "failed": 0}
    assert len(envelopes) == 2
    listed = runner.invoke(
        app, ["notifications", "outbox", "--state", "delivered", "--json", "--database", _url(people)]
    )
    body = json.loads(listed.output)
    assert body["count"] == 4 and {row["state"] for row in body["data"]} == {DeliveryState.DELIVERED.value}


def test_users_set_email_is_stored_and_a_bad_address_is_refused(people: People) -> None:
    ok = runner.invoke(
        app, ["users", "set", "officer_a", "--email", "new@town.example", "--database", _url(people)]
    )
    assert ok.exit_code == 0, ok.output
    with UnitOfWork(people.db) as uow:
        assert accounts.get_user(uow, username="officer_a").email == "new@town.example"
    bad = runner.invoke(
        app, ["users", "set", "officer_a", "--email", "a@b\nBcc: x@y.z", "--json", "--database", _url(people)]
    )
    assert bad.exit_code == 2 and json.loads(bad.output)["field"] == "email"
    assert _rows(people.db) == []
