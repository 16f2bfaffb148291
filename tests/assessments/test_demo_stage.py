"""The demo stage stores values for every shipped system and runs each (registry stage first)."""

from __future__ import annotations

import pytest

from greenport.assessments import service
from greenport.bootstrap import build
from greenport.config import Settings
from greenport.demo import assessments as stage
from greenport.demo.assessments import WELL_OFF_2019
from greenport.demo.city import build_registry
from greenport.demo.context import DemoContext
from greenport.systems import system_ids


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('assess') / 'demo.db'}"
    container = build(Settings(database_url=url, mode="demo"), migrate=True)
    ctx = DemoContext(container=container, fast=True)
    build_registry(ctx)  # the registry stage only (no monitoring backfill)
    summary = stage.build(ctx)
    yield container, ctx, summary
    container.db.dispose()


def test_every_system_has_runs_for_2021_and_2022(demo):
    container, _, summary = demo
    stage = summary["assessments"]
    assert set(stage) == set(system_ids())
    with container.uow() as uow:
        for system_id in system_ids():
            for period in ("2021", "2022"):
                run = service.latest_run(uow, system_id=system_id, period=period)
                assert run.unit_rows(), (system_id, period)


def test_towns_and_leaders_are_the_13_town_level_units(demo):
    container, ctx, _ = demo
    with container.uow() as uow:
        towns = service.latest_run(uow, system_id="town_eco_performance", period="2022")
        leaders = service.latest_run(uow, system_id="leader_natural_resource_audit", period="2022")
    assert sorted(r["unit"] for r in towns.unit_rows()) == sorted(ctx.town_codes)
    assert len(leaders.unit_rows()) == 13
    assert all(r["label"] != r["unit"] for r in towns.unit_rows())  # names from the registry


def test_per_mu_comes_from_enterprise_years_via_named_queries(demo):
    container, _, _ = demo
    with container.uow() as uow:
        run = service.latest_run(uow, system_id="enterprise_per_mu", period="2022")
        figures = uow.evaluation.named_query("tax_per_mu", "2022")
    rows = run.unit_rows()
    assert len(rows) == len(figures) > 20
    grades = [r["grade"] for r in rows]
    assert set(grades) <= {"A", "B", "C", "D"} and "A" in grades and "D" in grades
    assert run.inputs["data"][rows[0]["unit"]]["tax_per_mu"] == pytest.approx(
        figures[rows[0]["unit"]]["tax_per_mu"]
    )


def test_well_off_2019_is_calibrated(demo):
    container, _, _ = demo
    with container.uow() as uow:
        run = service.latest_run(uow, system_id="well_off_index", period="2019")
    city = {r["unit"]: r for r in run.unit_rows()}["港城"]
    assert city["total"] == pytest.approx(WELL_OFF_2019, abs=0.005)
    assert [city[d] >= 100 for d in ("economy", "life", "culture", "ecology", "governance")] == [True] * 5
