"""``greenport calendar add|show`` on a real database: a deployment adds next year's notice, a stored
year overrides the shipped file, a bad file is refused naming file, row and column and stores nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from greenport.cli.main import app
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from greenport.workdays import service as workdays_service

runner = CliRunner()

NOTICE_2027 = """# source: 国务院办公厅关于2027年部分节假日安排的通知 (test file)
date,kind,name_zh,name_en
2027-01-01,holiday,元旦,New Year's Day
2027-02-06,holiday,春节,Spring Festival
2027-02-08,holiday,春节,Spring Festival
2027-02-20,workday,调休上班,Make-up working day
"""


def test_add_next_year_then_deadlines_compute(db: Database, database_url: str, tmp_path: Path) -> None:
    with UnitOfWork(db) as uow:
        assert 2027 not in workdays_service.calendar(uow).years
    path = tmp_path / "2027.csv"
    path.write_text(NOTICE_2027, encoding="utf-8")
    result = runner.invoke(app, ["calendar", "add", str(path), "--json", "--database", database_url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["year"] == 2027
    with UnitOfWork(db) as uow:
        cal = workdays_service.calendar(uow)
    assert cal.is_working_day(date(2027, 2, 20))  # a Saturday worked
    assert not cal.is_working_day(date(2027, 2, 8))  # a Monday off
    shown = runner.invoke(app, ["calendar", "show", "--year", "2027", "--json", "--database", database_url])
    listing = json.loads(shown.output)
    assert listing["origin"] == "stored"
    assert "2027年部分节假日安排" in listing["source"]
    assert [d["date"] for d in listing["make_up_workdays"]] == ["2027-02-20"]


def test_stored_year_overrides_the_shipped_one(db: Database, database_url: str, tmp_path: Path) -> None:
    shipped = runner.invoke(app, ["calendar", "show", "--year", "2024", "--json", "--database", database_url])
    listing = json.loads(shipped.output)
    assert listing["origin"] == "shipped" and "国办发明电〔2023〕7号" in listing["source"]
    assert {"date": "2024-02-04", "name_zh": "调休上班", "name_en": "Make-up working day"} in listing[
        "make_up_workdays"
    ]
    path = tmp_path / "2024.csv"
    path.write_text("# source: local correction\ndate,kind,name_zh,name_en\n2024-03-01,holiday,测试,test\n")
    assert runner.invoke(app, ["calendar", "add", str(path), "--database", database_url]).exit_code == 0
    with UnitOfWork(db) as uow:
        cal = workdays_service.calendar(uow)
    assert not cal.is_working_day(date(2024, 3, 1))
    assert not cal.is_working_day(date(2024, 2, 4))  # the stored table replaced the shipped one


def test_bad_file_is_refused_and_nothing_stored(db: Database, database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        NOTICE_2027 + "2027-02-09,workday,调休上班,x\n2028-01-01,holiday,元旦,x\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["calendar", "add", str(path), "--json", "--database", database_url])
    assert result.exit_code == 2
    body = json.loads(result.output)
    assert str(path) in body["error"]
    assert {(e["row"], e["column"]) for e in body["errors"]} == {(7, "kind"), (8, "date")}
    missing = runner.invoke(app, ["calendar", "show", "--year", "2027", "--json", "--database", database_url])
    assert missing.exit_code == 2
    assert "no working-day calendar for 2027" in json.loads(missing.output)["error"]
