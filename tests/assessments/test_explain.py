"""A stored run explains itself from what it stored, even after its system's YAML file changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenport.assessments import service
from greenport.demo.assessments import _clean, demo_values
from greenport.evaluation import load_system
from greenport.kernel.errors import NotFound, PermissionDenied
from greenport.storage.uow import UnitOfWork
from greenport.systems import get_system, system_text

SYSTEM = "department_eco_performance"
UNIT = "市生态环境局"


def _run_from_file(db, path: Path):
    system = load_system(path.read_text(encoding="utf-8"))
    with UnitOfWork(db) as uow:
        service.record_values(
            uow,
            system_id=SYSTEM,
            period="2022",
            values=_clean(SYSTEM, demo_values(SYSTEM, "2022")),
            system=system,
        )
        return service.run_assessment(uow, system_id=SYSTEM, period="2022", system=system)


def test_explanation_survives_a_changed_and_a_removed_yaml_file(db, tmp_path: Path) -> None:
    path = tmp_path / f"{SYSTEM}.yaml"
    path.write_text(
        system_text(SYSTEM).replace('version: "2013-trial.r1"', 'version: "local.r2"'), encoding="utf-8"
    )
    run = _run_from_file(db, path)
    # the run's system is not the shipped one: re-running the shipped YAML could not explain it
    assert run.version_hash != get_system(SYSTEM).version_hash
    with UnitOfWork(db) as uow:
        before = service.explain_run(uow, run_id=run.id, unit=UNIT)
    stored_row = next(row for row in run.unit_rows() if row["unit"] == UNIT)
    assert before["total"] == pytest.approx(stored_row["total"])
    assert before["rank"] == stored_row["rank"] and before["run_id"] == run.id
    assert before["dimensions"] and before["dimensions"][0]["indicators"]

    path.write_text(
        system_text(SYSTEM).replace('version: "2013-trial.r1"', 'version: "local.r3"'), encoding="utf-8"
    )
    with UnitOfWork(db) as uow:
        assert service.explain_run(uow, run_id=run.id, unit=UNIT) == before
    path.unlink()
    with UnitOfWork(db) as uow:
        assert service.explain_run(uow, run_id=run.id, unit=UNIT) == before


def test_unit_not_in_the_run_or_outside_the_scope_is_refused(db, tmp_path: Path) -> None:
    path = tmp_path / f"{SYSTEM}.yaml"
    path.write_text(system_text(SYSTEM), encoding="utf-8")
    run = _run_from_file(db, path)
    with UnitOfWork(db) as uow, pytest.raises(NotFound, match="not in run"):
        service.explain_run(uow, run_id=run.id, unit="no such department")
    with UnitOfWork(db) as uow, pytest.raises(PermissionDenied, match="outside your scope"):
        service.explain_run(uow, run_id=run.id, unit=UNIT, may_see=lambda run, unit: False)
