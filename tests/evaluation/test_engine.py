"""The orchestrator: schema errors name YAML paths; evaluate() wires scores, grades, vetoes and explanations."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

import greenport.evaluation as ev

POINTS_YAML = """
id: mini_town
version: "1"
name_zh: 小镇考核
name_en: Mini town assessment
unit_kind: town
scheme: points
sources: [test fixture]
max_points: 100
missing: refuse
grades:
  basis: score
  levels:
    - {grade: 优秀, min: 90}
    - {grade: 良好, min: 80}
    - {grade: 合格, min: 60}
    - {grade: 不合格}
dimensions:
  - id: environment
    name_zh: 生态环境
    name_en: Environment
    indicators:
      - id: good_air_ratio
        name_zh: 空气质量优良天数比率
        name_en: Good-air-day ratio
        unit: "%"
        direction: benefit
        points: {rule: target, max: 40, target: 85}
      - id: pm25
        name_zh: PM2.5年均浓度
        name_en: PM2.5 annual mean
        unit: μg/m³
        direction: cost
        points: {rule: linear, max: 30, target: 30, per_unit: 5}
  - id: economy
    name_zh: 生态经济
    name_en: Green economy
    indicators:
      - id: energy_saving
        name_zh: 节能目标完成率
        name_en: Energy-saving target completion
        unit: "%"
        direction: benefit
        points:
          rule: stepped
          max: 30
          steps: [{at: 100, points: 30}, {at: 90, points: 20}, {at: 80, points: 10}]
adjustments:
  - id: demo_award
    name_zh: 国家级生态示范创建
    name_en: National ecological demonstration award
    kind: bonus
    points: {rule: count, max: 5, per_unit: 5}
  - id: complaints
    name_zh: 环境信访
    name_en: Environmental complaints
    kind: penalty
    points: {rule: count, max: 10, per_unit: 2}
  - id: major_incident
    name_zh: 重大突发环境事件
    name_en: Major environmental incident
    kind: veto
    veto: {threshold: 1, cap_grade: 不合格}
"""

DATA = {
    "东城": {"good_air_ratio": 85, "pm25": 28, "energy_saving": 105, "demo_award": 1, "complaints": 0},
    "西城": {"good_air_ratio": 80, "pm25": 32, "energy_saving": 95, "complaints": 3},
    "南城": {"good_air_ratio": 90, "pm25": 30, "energy_saving": 100, "major_incident": 1},
}


@pytest.fixture
def points_system():
    return ev.load_system(POINTS_YAML)


def test_points_scheme_scores_grades_and_veto(points_system):
    result = ev.evaluate(points_system, DATA)
    # 东城: 40 + 30 + 30 + 5 bonus = 105; 西城: 40*80/85 + (30 - 2*5) + 20 - 6 = 71.647...; 南城: 100 but vetoed
    np.testing.assert_allclose(result.total, [105, 40 * 80 / 85 + 20 + 20 - 6, 100])
    assert result.grade == ["优秀", "合格", "不合格"]
    assert result.vetoes == [[], [], ["major_incident"]]
    assert result.rank.tolist() == [1, 3, 2]
    np.testing.assert_allclose(result.node_scores["environment"], [70, 40 * 80 / 85 + 20, 70])
    np.testing.assert_allclose(result.global_weights, [0.4, 0.3, 0.3])
    np.testing.assert_allclose(result.local_weights["environment"], [40 / 70, 30 / 70])
    np.testing.assert_allclose(result.local_weights["root"], [0.7, 0.3])


def test_evaluate_accepts_yaml_text_rows_and_columns(points_system):
    expected = ev.evaluate(points_system, DATA).total
    rows = [{"unit": unit, **row} for unit, row in DATA.items()]
    np.testing.assert_allclose(ev.evaluate(POINTS_YAML, rows).total, expected)
    columns = {"unit": list(DATA)}
    for key in ("good_air_ratio", "pm25", "energy_saving", "demo_award", "complaints", "major_incident"):
        columns[key] = [row.get(key) for row in DATA.values()]
    result = ev.evaluate(yaml.safe_load(POINTS_YAML), columns)
    np.testing.assert_allclose(result.total, expected)
    assert result.units == tuple(DATA)
    with pytest.raises(ValueError):  # EvaluationError is a ValueError too
        ev.evaluate(points_system, 42)


def test_explain_gives_the_breakdown(points_system):
    result = ev.evaluate(points_system, DATA)
    why = result.explain("西城")
    assert why["total"] == pytest.approx(40 * 80 / 85 + 20 + 20 - 6)
    env = why["dimensions"][0]
    assert env["id"] == "environment"
    pm = env["indicators"][1]
    assert pm["raw"] == 32 and pm["points"] == pytest.approx(20) and pm["max_points"] == 30
    assert "per unit" in pm["rule"]
    assert {a["id"]: a["points"] for a in why["adjustments"]}["complaints"] == -6
    assert why["top_obstacles"][0]["indicator"] in {"pm25", "energy_saving"}
    json.dumps(result.to_dict(), ensure_ascii=False)  # JSON-able


def test_missing_value_refused_naming_row_and_column(points_system):
    data = {**DATA, "北城": {"good_air_ratio": 80, "energy_saving": 90}}
    with pytest.raises(ev.EvaluationError) as info:
        ev.evaluate(points_system, data)
    assert info.value.column == "pm25" and info.value.row == 4
    assert info.value.details["unit"] == "北城"


def test_non_numeric_cell_is_reported(points_system):
    data = {"东城": {**DATA["东城"], "pm25": "abc"}}
    with pytest.raises(ev.EvaluationError, match="pm25") as info:
        ev.evaluate(points_system, data)
    assert info.value.column == "pm25"


INDEX_YAML = """
id: mini_index
version: "1"
name_zh: 指数
name_en: Mini index
unit_kind: county
scheme: index
sources: [test fixture]
scale: 100
weighting: entropy
missing: impute_group_mean
group_by: region
grades:
  basis: rank_share
  levels:
    - {grade: A, top_share: 0.2}
    - {grade: B, top_share: 0.6}
    - {grade: C, top_share: 0.95}
    - {grade: D}
dimensions:
  - id: input
    name_zh: 投入
    name_en: Input
    weight: 0.5
    indicators:
      - {id: rd, name_zh: 研发强度, name_en: R&D intensity, unit: "%", direction: benefit}
      - {id: energy, name_zh: 单位能耗, name_en: Energy intensity, unit: tce/万元, direction: cost}
  - id: output
    name_zh: 产出
    name_en: Output
    weight: 0.5
    weighting: ahp
    judgment: [[1, 3], [1/3, 1]]
    indicators:
      - {id: patents, name_zh: 万人发明专利, name_en: Patents per 10k, unit: 件, direction: benefit}
      - {id: urban, name_zh: 城镇化率, name_en: Urbanisation, unit: "%", direction: target, target: 70}
"""


def _index_data(m=20, seed=1):
    rng = np.random.default_rng(seed)
    return {
        f"u{i:02d}": {
            "rd": float(rng.uniform(1, 5)),
            "energy": float(rng.uniform(0.2, 0.8)),
            "patents": float(rng.uniform(5, 60)),
            "urban": float(rng.uniform(55, 85)),
            "region": "south" if i % 2 else "north",
        }
        for i in range(m)
    }


def test_index_scheme_with_entropy_ahp_and_rank_share_grades():
    system = ev.load_system(INDEX_YAML)
    data = _index_data()
    result = ev.evaluate(system, data)
    assert result.local_weights["output"] == pytest.approx([0.75, 0.25])
    assert result.local_weights["root"] == pytest.approx([0.5, 0.5])
    assert result.global_weights.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(
        result.local_weights["input"], ev.entropy_weights(result.treated[:, :2], [1, -1])
    )
    # 20 units: A = ranks 1-4, B = 5-12, C = 13-19, D = 20
    by_rank = dict(zip(result.rank.astype(int).tolist(), result.grade, strict=True))
    assert [by_rank[r] for r in (1, 4, 5, 12, 13, 19, 20)] == ["A", "A", "B", "B", "C", "C", "D"]
    assert np.all((result.total >= 0) & (result.total <= 100))
    # a target indicator: 1 - |x - T|/max|x - T| (1 only exactly at the target, 0 for the farthest)
    urban = np.array([d["urban"] for d in data.values()])
    deviation = np.abs(urban - 70)
    np.testing.assert_allclose(result.normalised[:, 3], 1 - deviation / deviation.max())


def test_points_monte_carlo_keeps_the_point_budget(points_system):
    result = ev.evaluate(points_system, DATA, uncertainty=30, seed=1)
    ranks = result.uncertainty["ranks"]
    assert ranks["nominal"] == result.rank.tolist()
    assert set(result.uncertainty["sensitivity"]) >= {"weights:environment", "weights:economy"}


def test_group_mean_imputation_is_recorded():
    system = ev.load_system(INDEX_YAML)
    data = _index_data()
    data["u03"]["rd"] = None
    result = ev.evaluate(system, data)
    south = [d["rd"] for k, d in data.items() if d["region"] == "south" and d["rd"] is not None]
    assert result.treated[3, 0] == pytest.approx(np.mean(south))
    assert any(d["code"] == "imputed" and d["unit"] == "u03" for d in result.diagnostics)
    assert np.isnan(result.raw[3, 0])


def test_uncertainty_gives_rank_intervals_and_sensitivity():
    system = ev.load_system(INDEX_YAML)
    result = ev.evaluate(system, _index_data(), uncertainty=40, seed=3)
    ranks = result.uncertainty["ranks"]
    assert all(
        lo <= med <= hi for lo, med, hi in zip(ranks["p05"], ranks["median"], ranks["p95"], strict=True)
    )
    assert set(result.uncertainty["sensitivity"]) >= {
        "weights:input",
        "weights:output",
        "aggregation",
        "normalisation",
    }
    assert result.uncertainty["normalisation_switch"] == ["minmax", "percentile"]
    again = ev.evaluate(system, _index_data(), uncertainty=40, seed=3)
    assert again.uncertainty == result.uncertainty


@pytest.mark.parametrize(
    ("mutate", "path", "message"),
    [
        (
            lambda d: d["dimensions"][1]["indicators"][1].update(direction="up"),
            "dimensions[1].indicators[1].direction",
            "must be benefit|cost|target",
        ),
        (
            lambda d: d["dimensions"][0]["indicators"][0].pop("unit"),
            "dimensions[0].indicators[0].unit",
            "required",
        ),
        (
            lambda d: d["dimensions"][1].update(judgment=[[1, 3], [3, 1]]),
            "dimensions[1].judgment",
            "reciprocal",
        ),
        (
            lambda d: d["dimensions"][0]["indicators"][1].update(id="rd"),
            "dimensions[0].indicators[1].id",
            "duplicate",
        ),
        (lambda d: d.update(scheme="magic"), "scheme", "must be points|index|coupling"),
        (lambda d: d["dimensions"][0].update(weighting="vibes"), "dimensions[0].weighting", "must be"),
        (lambda d: d["grades"]["levels"][1].update(top_share=0.1), "grades.levels[1].top_share", "increase"),
        (
            lambda d: d["dimensions"][0]["indicators"][0].update(colour="red"),
            "dimensions[0].indicators[0].colour",
            "unknown key",
        ),
        (lambda d: d.pop("sources"), "sources", "non-empty list"),
    ],
)
def test_schema_errors_name_the_yaml_path(mutate, path, message):
    data = yaml.safe_load(INDEX_YAML)
    mutate(data)
    with pytest.raises(ev.SchemaError) as info:
        ev.parse_system(data)
    assert info.value.path == path
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_inconsistent_ahp_judgment_is_refused_unless_allowed():
    data = yaml.safe_load(INDEX_YAML)
    data["dimensions"][1]["indicators"].append(
        {"id": "extra", "name_zh": "额外", "name_en": "Extra", "unit": "-", "direction": "benefit"}
    )
    data["dimensions"][1]["judgment"] = [[1, 5, "1/3"], ["1/5", 1, 3], [3, "1/3", 1]]
    with pytest.raises(ev.SchemaError, match=r"dimensions\[1\]\.judgment: consistency ratio CR = 1\.58"):
        ev.parse_system(data)
    data["dimensions"][1]["allow_inconsistent"] = True
    system = ev.parse_system(data)
    rows = _index_data()
    for row in rows.values():
        row["extra"] = 1.0 + len(row) * 0.1
    result = ev.evaluate(system, rows)
    assert result.method["weights"]["output"]["cr"] == pytest.approx(1.58452, rel=1e-5)


def test_points_total_must_match_max_points():
    data = yaml.safe_load(POINTS_YAML)
    data["max_points"] = 1000
    with pytest.raises(ev.SchemaError, match="max_points: is 1000 but the items' points add up to 100"):
        ev.parse_system(data)


def test_invalid_yaml_text():
    with pytest.raises(ev.SchemaError, match="line"):
        ev.load_system("id: [unclosed")


def test_version_hash_ignores_formatting_but_not_content():
    a = ev.load_system(POINTS_YAML)
    b = ev.load_system(POINTS_YAML.replace("\n", "\n  # comment\n", 1))
    assert a.version_hash == b.version_hash
    c = ev.load_system(POINTS_YAML.replace("target: 85", "target: 86"))
    assert c.version_hash != a.version_hash


COUPLING_YAML = """
id: mini_coupling
version: "1"
name_zh: 耦合
name_en: Coupling
unit_kind: city_year
scheme: coupling
sources: [test fixture]
weighting: entropy
dimensions:
  - id: green
    name_zh: 产业绿色化
    name_en: Industrial greening
    indicators:
      - {id: energy_intensity, name_zh: 单位GDP能耗, name_en: Energy intensity, unit: tce/万元, direction: cost}
      - {id: emerging_share, name_zh: 新兴产业占比, name_en: Emerging share, unit: "%", direction: benefit}
  - id: city
    name_zh: 城市品质
    name_en: City quality
    indicators:
      - {id: good_air, name_zh: 优良天数比率, name_en: Good air, unit: "%", direction: benefit}
      - {id: green_space, name_zh: 人均公园绿地, name_en: Park area per capita, unit: m², direction: benefit}
"""


def test_coupling_scheme_reports_c_t_d_and_levels():
    system = ev.load_system(COUPLING_YAML)
    data = {
        str(year): {
            "energy_intensity": 0.9 - 0.05 * k,
            "emerging_share": 30 + 2 * k + (k % 3),
            "good_air": 70 + 1.5 * k - (k % 2),
            "green_space": 12 + 0.4 * k,
        }
        for k, year in enumerate(range(2013, 2023))
    }
    result = ev.evaluate(system, data)
    coupling = result.coupling
    C, T, D = ev.coupling_coordination(coupling["U"])
    np.testing.assert_allclose(coupling["C"], C)
    np.testing.assert_allclose(coupling["T"], T)
    np.testing.assert_allclose(result.total, D)
    assert result.grade == [ev.coordination_level(d).name_zh for d in D]
    assert result.grade[-1] == "优质协调" or result.total[-1] > result.total[0]
    assert coupling["lag"][0] in {"subsystem_1_lags", "subsystem_2_lags", "synchronous"}


@pytest.mark.parametrize("weighting", ["equal", "entropy", "critic", "cv", "std", "pca"])
@pytest.mark.parametrize(
    "aggregation", ["arithmetic", "geometric", "harmonic", "topsis", "topsis_minmax", "grey"]
)
def test_every_weighting_and_aggregation_runs_from_yaml(weighting, aggregation):
    data = yaml.safe_load(INDEX_YAML)
    data["weighting"] = weighting
    data["aggregation"] = aggregation
    data["dimensions"][0].pop("weight")
    data["dimensions"][1].pop("weight")
    result = ev.evaluate(ev.parse_system(data), _index_data())
    for weights in result.local_weights.values():
        assert weights.sum() == pytest.approx(1.0)
    assert np.all(np.isfinite(result.total))
    assert result.method["aggregation"]["input"] == aggregation


def test_topsis_node_equals_the_function_on_raw_values():
    data = yaml.safe_load(INDEX_YAML)
    data["dimensions"][0]["aggregation"] = "topsis"
    rows = _index_data()
    result = ev.evaluate(ev.parse_system(data), rows)
    X = np.array([[r["rd"], r["energy"]] for r in rows.values()])
    expected = ev.topsis(X, result.local_weights["input"], [1, -1])
    np.testing.assert_allclose(result.node_scores["input"], expected)
