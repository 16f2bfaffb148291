"""The CLI's human output shows times as a person in the city reads them: Beijing time,
``YYYY-MM-DD HH:MM`` (issue 14); ``--json`` keeps ISO 8601 with offset for programs.

A stored UTC instant of 30 June 2022 16:30 is 1 July 2022 00:30 in Beijing: the date changes
too, so a UTC time shown as local (or the reverse) cannot pass.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from greenport.accounts.model import Role
from greenport.accounts.service import create_user
from greenport.cli.main import app
from greenport.ingest.simulator import InjectionReport, SimResult
from greenport.monitoring.model import AggregationFailure, QuarantineEntry
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from greenport.storage.web import ApiTokenRow
from tests.ingest.conftest import populate

runner = CliRunner()

#: The stored instant (UTC) and how a person in the city reads it.
STORED = datetime(2022, 6, 30, 16, 30, tzinfo=UTC)
BEIJING = "2022-07-01 00:30"


def _url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def test_quarantine_and_failures_show_beijing_time_and_json_keeps_iso(db: Database) -> None:
    devices = populate(db)
    _, site, _ = devices["GPAIR01"]
    with UnitOfWork(db) as uow:
        uow.monitoring.store(
            observations=[],
            quarantine=[QuarantineEntry(STORED, "crc", b"##0010bad\r\n", peer="127.0.0.1:1", mn="GPAIR01")],
        )
        uow.monitoring.record_aggregation_failure(
            AggregationFailure(site, STORED, STORED + timedelta(minutes=5), "PM2.5 above any instrument")
        )
    url = _url(db)

    human = runner.invoke(app, ["ingest", "quarantine", "--database", url])
    assert human.exit_code == 0, human.output
    assert human.output.startswith(f"{BEIJING}  crc"), human.output
    machine = runner.invoke(app, ["ingest", "quarantine", "--database", url, "--json"])
    assert datetime.fromisoformat(json.loads(machine.output)[0]["received_at"]) == STORED
    assert json.loads(machine.output)[0]["received_at"].endswith("+00:00")

    human = runner.invoke(app, ["ingest", "failures", "--database", url])
    assert human.exit_code == 0, human.output
    assert human.output.startswith(f"{BEIJING}  site {site}"), human.output
    machine = runner.invoke(app, ["ingest", "failures", "--database", url, "--json"])
    assert json.loads(machine.output)[0]["period_start"] == STORED.isoformat()


def test_tokens_list_shows_created_and_expiry_in_beijing_time(db: Database) -> None:
    with UnitOfWork(db) as uow:
        user = create_user(uow, username="analyst", password="a-long-pass-phrase", role=Role.CITY_ADMIN)
        token_id = uow.accounts.add_token(
            digest="0" * 64, name="nightly export", user_id=user.id, expires_at=STORED + timedelta(days=90)
        )
        uow.session.get(ApiTokenRow, token_id).created_at = STORED  # type: ignore[union-attr]
    url = _url(db)

    human = runner.invoke(app, ["users", "tokens", "list", "--database", url])
    assert human.exit_code == 0, human.output
    assert f"created {BEIJING}, expires 2022-09-29 00:30" in human.output, human.output
    machine = json.loads(runner.invoke(app, ["users", "tokens", "list", "--database", url, "--json"]).output)
    (token,) = machine["data"]
    assert datetime.fromisoformat(token["created_at"]) == STORED and token["created_at"].endswith("+00:00")


def test_simulate_report_names_the_injection_window_in_beijing_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from greenport.cli.ingest import print_simulation

    injection = InjectionReport(
        "exceedance", "GPGAS01", ("a21026",), "SO2 raised", first=STORED, last=STORED + timedelta(minutes=9)
    )
    print_simulation(SimResult(1, 10, 10, 0, 0, 0, 0, 60.0, injections=[injection]))
    out = capsys.readouterr().out
    assert f"DataTime {BEIJING} to 2022-07-01 00:39 (Beijing time)" in out, out
    assert injection.to_dict()["from"] == STORED.isoformat()  # --json keeps ISO with offset
