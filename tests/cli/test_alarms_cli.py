"""``greenport alarms``: evaluate, list, show, acknowledge, silence and the rules, as an operator
uses them, on a real database; a bad rules file is refused naming file, rule and field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from greenport.accounts.service import audit_entries
from greenport.cli.main import app
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.alarms.conftest import make_outlets, realtime, store

runner = CliRunner()


def _url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def test_an_operator_evaluates_lists_shows_and_acknowledges(db: Database) -> None:
    outlets = make_outlets(db)
    # ten minutes ago the coal unit's SO2 went over its 35 mg/m³ ultra-low limit and stayed
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    store(db, realtime(outlets.gas, start, [{"flue_so2": 50.0 + i, "flue_o2": 6.0} for i in range(8)]))
    url = _url(db)
    evaluated = runner.invoke(app, ["alarms", "evaluate", "--database", url, "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.output)["opened"] == 1  # the real-time exceedance (no hourly mean yet)

    listed = runner.invoke(
        app,
        ["alarms", "list", "--status", "open", "--site", str(outlets.gas[1]), "--database", url, "--json"],
    )
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.output)["items"]
    realtime_alarm = next(a for a in items if a["rule_id"] == "outlet-realtime-exceedance")
    assert realtime_alarm["parameter"] == "flue_so2" and realtime_alarm["state"] == "firing"
    assert realtime_alarm["limit"] == 35.0 and realtime_alarm["peak"] == 57.0

    acked = runner.invoke(
        app, ["alarms", "ack", str(realtime_alarm["id"]), "--note", "已通知企业", "--database", url]
    )
    assert acked.exit_code == 0, acked.output
    shown = runner.invoke(app, ["alarms", "show", str(realtime_alarm["id"]), "--database", url, "--json"])
    body = json.loads(shown.output)
    assert body["alarm"]["acknowledged_by"] == "cli" and body["alarm"]["ack_note"] == "已通知企业"
    assert [e["to_state"] for e in body["events"] if e["kind"] == "state"] == ["pending", "firing"]
    assert body["events"][-1]["kind"] == "acknowledged"
    with UnitOfWork(db) as uow:  # the command line's action is audited like the web's
        [entry] = [e for e in audit_entries(uow) if e["entity"] == "alarm"]
    assert (entry["action"], entry["entity_id"]) == ("acknowledge", str(realtime_alarm["id"]))

    too_long = runner.invoke(
        app,
        [
            "alarms",
            "silence",
            str(realtime_alarm["id"]),
            "--hours",
            "400",
            "--reason",
            "检修",
            "--database",
            url,
        ],
    )
    assert too_long.exit_code == 2 and "until" in too_long.output
    human = runner.invoke(app, ["alarms", "list", "--database", url])
    assert human.exit_code == 0 and "outlet-realtime-exceedance" in human.output

    missing = runner.invoke(app, ["alarms", "show", "99999", "--database", url])
    assert missing.exit_code == 2 and "99999" in missing.output


def test_rules_are_listed_and_a_bad_file_is_refused_naming_file_rule_and_field(tmp_path: Path) -> None:
    listed = runner.invoke(app, ["alarms", "rules", "--json"])
    assert listed.exit_code == 0
    kinds = {rule["kind"] for rule in json.loads(listed.output)}
    assert {"realtime_exceedance", "offline", "flat_line", "air_quality_level"} <= kinds

    bad = tmp_path / "my-rules.yaml"
    bad.write_text(
        "rules:\n  - id: ok-rule\n    kind: offline\n    severity: major\n    name_zh: 离线\n    name_en: offline\n"
        "    site_kinds: [gas_outlet]\n  - id: bad-hold\n    kind: flat_line\n    severity: major\n"
        "    name_zh: 恒值\n    name_en: flat\n    site_kinds: [gas_outlet]\n    hold: 0\n",
        encoding="utf-8",
    )
    refused = runner.invoke(app, ["alarms", "rules", "--check", str(bad)])
    assert refused.exit_code == 2
    assert (
        "my-rules.yaml" in refused.output
        and "rule 2 (bad-hold)" in refused.output
        and "'hold'" in refused.output
    )


def test_the_evaluator_process_evaluates_what_ingest_marked(db: Database) -> None:
    outlets = make_outlets(db)
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    store(db, realtime(outlets.gas, start, [{"flue_so2": 50.0 + i, "flue_o2": 6.0} for i in range(5)]))
    watched = runner.invoke(
        app, ["alarms", "watch", "--passes", "1", "--interval", "0.05", "--database", _url(db)]
    )
    assert watched.exit_code == 0, watched.output
    listed = runner.invoke(app, ["alarms", "list", "--status", "firing", "--database", _url(db), "--json"])
    assert [a["rule_id"] for a in json.loads(listed.output)["items"]] == ["outlet-realtime-exceedance"]
