"""Assessments service over real storage (SQLite and PostgreSQL): values, immutable runs, period comparison."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from greenport.assessments import service
from greenport.demo.assessments import _clean, demo_values
from greenport.kernel.errors import InvalidInput, NotFound
from greenport.storage.evaluation import EvaluationRunRow, IndicatorValueRow
from greenport.storage.uow import UnitOfWork

SYSTEM = "department_eco_performance"


def _store(db, period, values=None):
    with UnitOfWork(db) as uow:
        return service.record_values(
            uow, system_id=SYSTEM, period=period, values=values or _clean(SYSTEM, demo_values(SYSTEM, period))
        )


def test_run_is_stored_with_version_hash_inputs_and_results(db):
    assert _store(db, "2022") == 27 * 11  # 27 departments x 11 indicators (case_on_time_closure, issue 17)
    with UnitOfWork(db) as uow:
        run = service.run_assessment(uow, system_id=SYSTEM, period="2022")
    assert run.id is not None
    with UnitOfWork(db) as uow:
        stored = service.get_run(uow, run_id=run.id)
    assert stored.version_hash == run.version_hash and len(stored.version_hash) == 64
    assert stored.inputs["data"]["市生态环境局"]["eco_task_completion"] is not None
    assert len(stored.unit_rows()) == 27
    row = stored.unit_rows()[0]
    assert {"unit", "label", "total", "rank", "grade"} <= set(row)
    assert stored.results["system_id"] == SYSTEM
    assert stored.created_at.tzinfo is not None


def test_rerun_is_a_new_row_and_the_old_run_is_unchanged(db):
    _store(db, "2022")
    with UnitOfWork(db) as uow:
        first = service.run_assessment(uow, system_id=SYSTEM, period="2022")
    # a correction of one value, then a rerun
    _store(db, "2022", {"市生态环境局": {"eco_task_completion": 50}})
    with UnitOfWork(db) as uow:
        second = service.run_assessment(uow, system_id=SYSTEM, period="2022")
    assert second.id != first.id
    with UnitOfWork(db) as uow:
        old = service.get_run(uow, run_id=first.id)
        runs = service.list_runs(uow, system_id=SYSTEM, period="2022")
        count = uow.session.scalar(select(func.count()).select_from(EvaluationRunRow))
    assert count == 2 and [r.id for r in runs] == [second.id, first.id]
    assert old.results == first.results
    total = {r["unit"]: r["total"] for r in second.unit_rows()}["市生态环境局"]
    old_total = {r["unit"]: r["total"] for r in old.unit_rows()}["市生态环境局"]
    assert total < old_total


def test_compare_two_periods(db):
    for period in ("2021", "2022"):
        _store(db, period)
        with UnitOfWork(db) as uow:
            service.run_assessment(uow, system_id=SYSTEM, period=period)
    with UnitOfWork(db) as uow:
        comparison = service.compare_periods(uow, system_id=SYSTEM, period_a="2021", period_b="2022")
    assert comparison.same_version
    assert len(comparison.units) == 27
    unit = comparison.units[0]
    assert unit.delta == pytest.approx(unit.total_b - unit.total_a)
    assert set(unit.dimensions) == {"task_completion", "duty_performance", "publicity_coordination"}
    assert comparison.to_dict()["units"][0]["unit"] == unit.unit_key


def test_unknown_indicator_is_refused_and_nothing_written(db):
    with pytest.raises(InvalidInput, match="not an indicator"), UnitOfWork(db) as uow:
        service.record_values(
            uow, system_id=SYSTEM, period="2022", values={"市财政局": {"eco_task_completion": 90, "bogus": 1}}
        )
    with UnitOfWork(db) as uow:
        assert uow.session.scalar(select(func.count()).select_from(IndicatorValueRow)) == 0


def test_bad_value_and_missing_period(db):
    with pytest.raises(InvalidInput, match="not a number"), UnitOfWork(db) as uow:
        service.record_values(
            uow, system_id=SYSTEM, period="2022", values={"市财政局": {"eco_task_completion": "x"}}
        )
    with pytest.raises(NotFound), UnitOfWork(db) as uow:
        service.run_assessment(uow, system_id=SYSTEM, period="1999")
    with pytest.raises(NotFound), UnitOfWork(db) as uow:
        service.compare_periods(uow, system_id=SYSTEM, period_a="1999", period_b="2022")


def test_missing_value_under_refuse_policy_rolls_back(db):
    values = _clean(SYSTEM, demo_values(SYSTEM, "2022"))
    values["市财政局"]["green_procurement"] = None
    _store(db, "2022", values)
    with pytest.raises(InvalidInput, match="green_procurement"), UnitOfWork(db) as uow:
        service.run_assessment(uow, system_id=SYSTEM, period="2022")
    with UnitOfWork(db) as uow:
        assert service.list_runs(uow) == []
