"""``greenport cases``: an operator and a grid officer list, show and act on cases on a real
database (both engines), run the timer with a given time, and get clear errors with the exit status."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from greenport.cases import service
from greenport.cases.model import CaseSource, Location
from greenport.cli.main import app
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.cases.grid import MONDAY, make_grid

runner = CliRunner()


def _url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def _jpeg(path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (120, 80, 40)).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def _odour_in_west(db: Database) -> int:
    """An odour found on patrol in the west village on MONDAY (auto-dispatched to west1 or west2)."""
    with UnitOfWork(db) as uow:
        case = service.open_case(
            uow,
            source=CaseSource.PATROL,
            category="odour",
            description="刺鼻气味",
            now=MONDAY,
            location=Location(120.2, 31.5),
        )
    return case.id


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["cases", *args])
    return result.exit_code, result.output


def test_an_officer_works_a_case_through_the_command_line(db: Database, tmp_path: Path) -> None:
    make_grid(db)
    url = _url(db)
    case_id = _odour_in_west(db)

    code, out = _run("list", "--status", "dispatched", "--database", url, "--json")
    assert code == 0, out
    [listed] = json.loads(out)["items"]
    assert listed["id"] == case_id and listed["grid_cell_code"] == "G320582100201"
    officer = listed["assignee"]
    assert officer in ("west1", "west2")

    code, out = _run("list", "--as", "east1", "--database", url, "--json")  # not east1's cell
    assert code == 0 and json.loads(out)["total"] == 0

    for action in ("accept", "start"):
        code, out = _run("act", str(case_id), action, "--as", officer, "--database", url)
        assert code == 0, out
    photo = _jpeg(tmp_path / "after.jpg")
    code, out = _run(
        "act", str(case_id), "submit", "--as", officer, "--note", "已整改",
        "--photo", str(photo), "--lon", "120.2", "--lat", "31.5", "--database", url, "--json",
    )  # fmt: skip
    assert code == 0, out
    assert json.loads(out)["state"] == "submitted"

    code, out = _run("show", str(case_id), "--database", url, "--json")
    body = json.loads(out)
    assert [e["action"] for e in body["events"]] == ["dispatch", "accept", "start", "submit"]
    assert [e["version"] for e in body["events"]] == [1, 2, 3, 4]
    assert body["events"][-1]["actor"] == officer
    assert body["events"][-1]["attachments"][0]["media_type"] == "image/jpeg"
    assert "verify" in body["actions"]  # the operator is the city admin: verifier
    code, out = _run("show", str(case_id), "--database", url)
    assert code == 0 and "submit" in out and "已整改" in out


def test_refusals_exit_with_the_reason(db: Database) -> None:
    make_grid(db)
    url = _url(db)
    case_id = _odour_in_west(db)

    code, out = _run("act", str(case_id), "close", "--database", url, "--json")
    assert code == 2
    assert "dispatched" in json.loads(out)["error"]  # not from this state

    code, out = _run("act", str(case_id), "accept", "--as", "east1", "--database", url)
    assert code == 2 and "no case" in out  # east1 cannot see it

    code, out = _run("act", str(case_id), "comment", "--note", "x", "--version", "0", "--database", url)
    assert code == 2 and "conflict" in out  # a stale version

    code, out = _run("act", str(case_id), "comment", "--note", "x", "--lon", "120.2", "--database", url)
    assert code == 2 and "--lat" in out

    code, out = _run("list", "--status", "lost", "--database", url)
    assert code == 2 and "unknown status 'lost'" in out

    code, out = _run("show", "999", "--database", url, "--json")
    assert code == 2 and json.loads(out)["field"] == "case_id"

    code, out = _run("tick", "--now", "next week", "--database", url)
    assert code == 2 and "'next week' is not a time" in out
    with UnitOfWork(db) as uow:  # nothing refused was written
        assert [e.action for e in uow.cases.events(case_id)] == ["dispatch"]


def test_tick_takes_the_steps_due_at_the_time_given(db: Database) -> None:
    make_grid(db)
    url = _url(db)
    case_id = _odour_in_west(db)
    with UnitOfWork(db) as uow:
        due = uow.cases.get_case(case_id).due_at
    assert due is not None
    late = (due + timedelta(days=30)).isoformat()

    code, out = _run("tick", "--now", late, "--database", url, "--json")
    assert code == 0, out
    steps = [s["step"] for s in json.loads(out)["steps"]]
    assert sorted(steps) == sorted(["remind", "notice", "reprimand", "escalate_town", "escalate_city"])
    code, out = _run("tick", "--now", late, "--database", url, "--json")
    assert json.loads(out)["steps"] == []  # each step once per deadline

    code, out = _run("list", "--overdue", "--database", url, "--json")
    [case] = json.loads(out)["items"]
    assert case["escalation_level"] == 2


def test_open_from_alarms_with_none_fired_opens_nothing(db: Database) -> None:
    make_grid(db)
    code, out = _run("open-from-alarms", "--database", _url(db), "--json")
    assert code == 0, out
    assert json.loads(out) == {"opened": []}


def test_an_officer_opens_a_case_found_on_patrol_in_their_town_only(db: Database, tmp_path: Path) -> None:
    make_grid(db)
    url = _url(db)
    photo = _jpeg(tmp_path / "burning.jpg")
    code, out = _run(
        "open", "--category", "open_burning", "--description", "田间焚烧秸秆", "--lon", "120.2", "--lat", "31.5",
        "--photo", str(photo), "--as", "west1", "--database", url, "--json",
    )  # fmt: skip
    assert code == 0, out
    opened = json.loads(out)
    assert opened["source"] == "patrol" and opened["state"] == "dispatched"
    assert opened["grid_cell_code"].endswith("100201") and opened["assignee"] in ("west1", "west2")
    assert opened["department"] == "市城市管理局"

    code, out = _run(
        "open", "--category", "open_burning", "--description", "外镇", "--lon", "121.5", "--lat", "31.5",
        "--as", "west1", "--database", url, "--json",
    )  # fmt: skip
    assert code == 2 and "outside yours" in out
    code, out = _run("list", "--database", url, "--json")
    assert code == 0 and json.loads(out)["total"] == 1  # the refused one left nothing
