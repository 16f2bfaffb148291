"""Every shipped system loads, has the shape its documents give, names its sources and evaluates on the demo data."""

from __future__ import annotations

import numpy as np
import pytest

from greenport.demo.assessments import WELL_OFF_2019, _clean, demo_values
from greenport.evaluation import evaluate
from greenport.kernel.errors import NotFound
from greenport.systems import get_system, system_ids, system_text

#: Shapes stated by the seeds (seed-figures.md "Indicator-system shapes") and the issue.
EXPECTED = {
    # S1-048/S2-030: 1,000 points
    "town_eco_performance": {"scheme": "points", "max_points": 1000},
    # S1-049/S2-031: 100 points
    "department_eco_performance": {"scheme": "points", "max_points": 100},
    # S2-032..S2-034: 7 categories, 25 indicators, 5 grades
    "leader_natural_resource_audit": {"dimensions": 7, "indicators": 25, "grades": 5, "max_points": 100},
    # S0-143/S0-144: 6 dimensions, 39 indicators
    "innovation_index": {"dimensions": 6, "indicators": 39},
    # S1-004: 5 sub-indices, each graded
    "well_off_index": {"dimensions": 5, "graded_dimensions": 5},
    # issue 5: seven per-mu indicators, A/B/C/D classes
    "enterprise_per_mu": {"indicators": 7, "grades": 4},
    # issue 5: two subsystems
    "greening_city_coupling": {"scheme": "coupling", "dimensions": 2},
}


def test_registry_lists_every_expected_system():
    assert set(system_ids()) == set(EXPECTED)


@pytest.mark.parametrize("system_id", sorted(EXPECTED))
def test_system_shape_and_sources(system_id):
    system = get_system(system_id)
    expected = EXPECTED[system_id]
    shape = system.shape()
    assert system.sources and all(len(s) > 10 for s in system.sources)
    assert system.reconstruction, "each shipped system says what was reconstructed"
    if "dimensions" in expected:
        assert shape["dimensions"] == expected["dimensions"]
    if "indicators" in expected:
        assert shape["indicators"] == expected["indicators"]
    if "scheme" in expected:
        assert system.scheme == expected["scheme"]
    if "max_points" in expected:
        assert system.max_points == expected["max_points"]
        assert sum(ind.points.max for ind in system.indicators) == expected["max_points"]
    if "grades" in expected:
        assert system.grades is not None and len(system.grades.levels) == expected["grades"]
    if "graded_dimensions" in expected:
        assert sum(d.grades is not None for d in system.dimensions) == expected["graded_dimensions"]
    for indicator in system.indicators:
        assert indicator.name_zh and indicator.name_en and indicator.unit


def test_leader_audit_categories_follow_seed_002():
    names = [d.name_zh for d in get_system("leader_natural_resource_audit").dimensions]
    assert names == [
        "土地资源保护",
        "资源节约利用",
        "环境质量改善",
        "生态效益",
        "资金投入",
        "环境风险防范",
        "群众评价",
    ]


def test_innovation_dimensions_follow_seed_000():
    names = [d.name_zh for d in get_system("innovation_index").dimensions]
    assert names == ["创新投入", "创新主体", "创新人才", "创新生态", "创新产出", "创新惠民"]


def test_per_mu_classes_by_rank_share():
    system = get_system("enterprise_per_mu")
    assert system.grades.basis == "rank_share"
    assert [lv.top_share for lv in system.grades.levels] == [0.20, 0.60, 0.95, None]


@pytest.mark.parametrize("system_id", sorted(EXPECTED))
@pytest.mark.parametrize("period", ["2021", "2022"])
def test_every_system_evaluates_on_the_demo_data(system_id, period):
    system = get_system(system_id)
    data = _clean(system_id, demo_values(system_id, period))
    result = evaluate(system, data, period=period)
    assert len(result.units) == len(data) >= 8
    assert np.all(np.isfinite(result.total))
    assert all(g is not None for g in result.grade) or system.grades is None
    assert result.explain(result.units[0])["unit"] == result.units[0]


def test_well_off_calibration_matches_the_seed():
    system = get_system("well_off_index")
    result = evaluate(system, _clean("well_off_index", demo_values("well_off_index", "2019")))
    city = result.unit_index("港城")
    assert result.total[city] == pytest.approx(WELL_OFF_2019, abs=0.005)
    assert result.rank[city] == 1
    assert [grades[city] for grades in result.node_grades.values()] == ["A+"] * 5
    # the only unit with all five sub-indices A+ (S1-005)
    all_a_plus = [
        u for i, u in enumerate(result.units) if all(g[i] == "A+" for g in result.node_grades.values())
    ]
    assert all_a_plus == ["港城"]


def test_unknown_system_is_not_found():
    with pytest.raises(NotFound, match="town_eco_performance"):
        system_text("nope")


@pytest.mark.parametrize("system_id", sorted(EXPECTED))
def test_systems_survive_perturbed_and_partly_missing_data(system_id):
    """Scaled demo data (and, where the policy allows, holes) never crash a shipped system."""
    system = get_system(system_id)
    rng = np.random.default_rng(7)
    data = _clean(system_id, demo_values(system_id, "2022"))
    for row in data.values():
        for key, value in row.items():
            if isinstance(value, int | float) and value is not None:
                row[key] = float(value) * float(rng.uniform(0.7, 1.3))
    if system.missing != "refuse":
        first = next(iter(data.values()))
        first[system.indicators[0].data_key] = None
    result = evaluate(system, data, uncertainty=16, seed=3)
    assert np.all(np.isfinite(result.total))
    assert result.uncertainty is not None and len(result.uncertainty["ranks"]["median"]) == len(data)
