"""A composite index built by the handbook pipeline, declared in one YAML file, checked against an
independent plain-numpy computation of the same steps; ratios, screening, unit kinds and the audit."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

import greenport.evaluation as ev
from greenport.cli.evaluate import table_to_data
from greenport.evaluation.errors import EvaluationError, SchemaError
from greenport.tabular import read_table

DATA = Path(__file__).resolve().parents[1] / "data" / "evaluation"
YAML = DATA / "provinces_handbook.yaml"
CSV = DATA / "provinces_handbook.csv"

# The declaration, restated by hand for the independent computation.
RATIOS = {
    "gdp_per_capita": ("gdp", "population", 1.0),
    "tax_per_mu": ("tax_total", "land_mu", 1e-4),
    "rd_intensity": ("rd_spend", "gdp", 100.0),
    "patents_per_10k": ("patents", "population", 1.0),
    "energy_per_va": ("energy_tce", "value_added", 1.0),
    "water_per_gdp": ("water_m3", "gdp", 1e-4),
}
INDICATORS = [
    "gdp_per_capita",
    "tax_per_mu",
    "rd_intensity",
    "patents_per_10k",
    "high_tech_firms",
    "pm25",
    "good_days_share",
    "energy_per_va",
    "water_per_gdp",
]
COST = {"pm25", "energy_per_va", "water_per_gdp"}
SUB_PILLARS = {
    "output": ["gdp_per_capita", "tax_per_mu"],
    "innovation": ["rd_intensity", "patents_per_10k", "high_tech_firms"],
    "air": ["pm25", "good_days_share"],
    "resources": ["energy_per_va", "water_per_gdp"],
}
PILLARS = {"economy": (0.6, ["output", "innovation"]), "environment": (0.4, ["air", "resources"])}
MAX_POINTS = {"patents_per_10k": 2}


def _column(rows, name):
    return np.array([float(r[name]) if r[name] != "" else np.nan for r in rows])


def _skew(x):
    n = x.size
    d = x - x.mean()
    return np.mean(d**3) / np.mean(d**2) ** 1.5 * np.sqrt(n * (n - 1)) / (n - 2)


def _kurt(x):
    n = x.size
    d = x - x.mean()
    g2 = np.mean(d**4) / np.mean(d**2) ** 2 - 3
    return ((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3))


def _fails(x):
    return abs(_skew(x)) >= 2 and _kurt(x) >= 3.5


def _treat(x, limit):
    y = x.copy()
    moved = set()
    while _fails(y):
        high = _skew(y) >= 0
        levels = np.unique(y)
        extreme, inner = (levels[-1], levels[-2]) if high else (levels[0], levels[1])
        at = set(np.flatnonzero(y == extreme).tolist())
        if len(moved | at) > limit:
            a = 0.01 * (x.max() - x.min())
            return np.log(x - x.min() + a) if _skew(x) >= 0 else -np.log(x.max() + a - x)
        moved |= at
        y[list(at)] = inner
    return y


def independent_index():
    """Every step of the handbook pipeline in plain numpy, from the CSV: {unit: index 0-100}."""
    with open(CSV, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    units = [r["unit"] for r in rows]
    kinds = np.array([r["kind"] for r in rows])
    # 1 denominate (zero or missing denominator -> missing)
    x = np.empty((len(rows), len(INDICATORS)))
    for j, name in enumerate(INDICATORS):
        if name in RATIOS:
            num, den, scale = RATIOS[name]
            d = _column(rows, den)
            d[d == 0] = np.nan
            x[:, j] = scale * _column(rows, num) / d
        else:
            x[:, j] = _column(rows, name)
    # 2 screen: >= 70 % of the nine indicators present and >= 50 % within each pillar
    present = ~np.isnan(x)
    keep = present.mean(axis=1) >= 0.7
    for _, subs in PILLARS.values():
        cols = [INDICATORS.index(i) for s in subs for i in SUB_PILLARS[s]]
        keep &= present[:, cols].mean(axis=1) >= 0.5
    x, kinds = x[keep], kinds[keep]
    units = [u for u, k in zip(units, keep, strict=True) if k]
    # 3 impute: mean of the unit's kind
    for j in range(x.shape[1]):
        for i in np.flatnonzero(np.isnan(x[:, j])):
            same = (kinds == kinds[i]) & ~np.isnan(x[:, j])
            x[i, j] = x[same, j].mean()
    # 4 treat: winsorise ties up to the limit, else log
    for j, name in enumerate(INDICATORS):
        x[:, j] = _treat(x[:, j], MAX_POINTS.get(name, 5))
    # 5 min-max 0-100 with direction
    low, high = x.min(axis=0), x.max(axis=0)
    scaled = 100 * (x - low) / (high - low)
    for j, name in enumerate(INDICATORS):
        if name in COST:
            scaled[:, j] = 100 - scaled[:, j]
    # 6 arithmetic means: indicators -> sub-pillars -> pillars -> index
    sub = {s: scaled[:, [INDICATORS.index(i) for i in inds]].mean(axis=1) for s, inds in SUB_PILLARS.items()}
    pillar = {p: np.mean([sub[s] for s in subs], axis=0) for p, (_, subs) in PILLARS.items()}
    index = sum(w * pillar[p] for p, (w, _) in PILLARS.items())
    return dict(zip(units, index, strict=True))


def _run():
    system = ev.load_system(YAML.read_text(encoding="utf-8"))
    data, _ = table_to_data(system, read_table(CSV))
    return ev.evaluate(system, data)


def test_four_level_index_matches_the_independent_computation():
    result = _run()
    expected = independent_index()
    assert list(result.units) == list(expected)
    assert result.total == pytest.approx(np.array(list(expected.values())), abs=1e-4)
    # the pipeline's steps all acted on this data set
    codes = {d["code"] for d in result.diagnostics}
    assert {"bad_denominator", "screened_out", "imputed", "outlier_treated"} <= codes
    applied = {t["indicator"]: t["applied"] for t in result.treatment}
    assert applied["high_tech_firms"] == "winsorise" and applied["patents_per_10k"] == "log"


def test_screened_units_are_listed_and_not_ranked():
    result = _run()
    screened = {r["unit"]: r for r in result.screened}
    assert set(screened) == {"P41", "P42"}
    assert screened["P41"]["share"] == pytest.approx(3 / 9)
    assert screened["P42"]["failing_aggregates"] == {"environment": 0.0}
    assert "P41" not in result.units and sorted(result.rank) == sorted(ev.rank(result.total[:, None])[:, 0])
    with pytest.raises(EvaluationError, match="screened out"):
        result.explain("P41")
    assert result.to_dict()["screened"][0]["unit"] == "P41"


def test_raw_variables_are_kept_in_the_run():
    result = _run()
    payload = result.to_dict()
    assert set(payload["variables"]) == {r for pair in RATIOS.values() for r in pair[:2]}
    assert payload["method"]["ratios"]["tax_per_mu"] == {
        "numerator": "tax_total",
        "denominator": "land_mu",
        "scale": 0.0001,
        "unit": "万元/亩",
    }
    p08 = result.unit_index("P08")
    assert payload["variables"]["land_mu"][p08] == 0.0


def test_audit_section():
    result = _run()
    audit = result.to_dict()["audit"]
    rows = {e["id"]: e for e in audit["indicators"]}
    assert set(rows) == set(INDICATORS)
    k = INDICATORS.index("pm25")
    # Pearson of the normalised pm25 with its sub-pillar "air", recomputed here
    r = np.corrcoef(result.normalised[:, k], result.node_scores["air"])[0, 1]
    assert rows["pm25"]["parent"] == "air" and rows["pm25"]["pearson_parent"] == pytest.approx(r)
    assert rows["pm25"]["pearson_index"] == pytest.approx(
        np.corrcoef(result.normalised[:, k], result.total)[0, 1]
    )
    aggregates = {a["id"]: a for a in audit["aggregates"]}
    assert set(aggregates) == {"root", "economy", "environment", *SUB_PILLARS}
    block = result.normalised[:, [INDICATORS.index(i) for i in SUB_PILLARS["innovation"]]]
    alpha = 3 / 2 * (1 - block.var(axis=0, ddof=1).sum() / block.sum(axis=1).var(ddof=1))
    assert aggregates["innovation"]["cronbach_alpha"] == pytest.approx(alpha)
    eig = np.linalg.eigvalsh(np.corrcoef(block, rowvar=False))
    assert aggregates["innovation"]["pc1_share"] == pytest.approx(eig[-1] / 3)


def test_audit_flags_negative_siblings_and_spearman():
    x = np.arange(1.0, 9.0)
    data = {f"u{i}": {"a": v, "b": -v + (i % 2) * 0.1, "c": v**2} for i, v in enumerate(x)}
    result = ev.evaluate(ev.load_system(_small_yaml()), data)
    rows = {e["id"]: e for e in result.audit["indicators"]}
    assert rows["a"]["negative_with_siblings"] == ["b"]
    assert rows["c"]["spearman_parent"] == pytest.approx(rows["a"]["spearman_parent"])


# --------------------------------------------------------------------------- ratios


def _small_yaml(extra: str = "", unit_kind: str = "county", indicator: str = "") -> str:
    return f"""
id: small
version: "1"
name_zh: 小
name_en: Small
unit_kind: {unit_kind}
scheme: index
sources: [test]
{extra}
dimensions:
  - id: d
    name_zh: 维度
    name_en: Dimension
    indicators:
      - {{id: a, name_zh: 甲, name_en: A, unit: "-", direction: benefit}}
      - {{id: b, name_zh: 乙, name_en: B, unit: "-", direction: benefit}}
      - {{id: c, name_zh: 丙, name_en: C, unit: "-", direction: benefit}}
{indicator}
"""


RATIO = (
    "      - {id: tax_per_mu, name_zh: 亩均税收, name_en: Tax per mu, direction: benefit,\n"
    "         ratio: {numerator: tax_total, denominator: land_mu, scale: 1, unit: 万元/亩}}\n"
)


def _ratio_data(land_second):
    return {
        "x": {"a": 1, "b": 1, "c": 1, "tax_total": 120.0, "land_mu": 40.0},
        "y": {"a": 2, "b": 2, "c": 2, "tax_total": 90.0, "land_mu": land_second},
        "z": {"a": 3, "b": 3, "c": 3, "tax_total": 50.0, "land_mu": 25.0},
    }


def test_ratio_indicator_hand_worked():
    result = ev.evaluate(ev.load_system(_small_yaml(indicator=RATIO)), _ratio_data(30.0))
    k = result.indicator_ids.index("tax_per_mu")
    assert result.raw[:, k].tolist() == [3.0, 3.0, 2.0]  # 120/40, 90/30, 50/25 万元/亩
    assert result.system.indicator("tax_per_mu").unit == "万元/亩"
    assert result.variables["land_mu"].tolist() == [40.0, 30.0, 25.0]


@pytest.mark.parametrize("land", [0.0, None])
def test_zero_or_missing_denominator_is_an_error_naming_unit_and_variable(land):
    with pytest.raises(EvaluationError, match=r"unit 'y': tax_per_mu = land_mu is (zero|missing)") as info:
        ev.evaluate(ev.load_system(_small_yaml(indicator=RATIO)), _ratio_data(land))
    assert info.value.details["unit"] == "y" and info.value.column == "land_mu" and info.value.row == 2


def test_zero_denominator_as_missing_is_never_infinite():
    system = ev.load_system(_small_yaml("zero_denominator: missing\nmissing: reweight", indicator=RATIO))
    result = ev.evaluate(system, _ratio_data(0.0))
    k = result.indicator_ids.index("tax_per_mu")
    assert math.isnan(result.raw[1, k]) and np.all(np.isfinite(result.total))
    assert any(d["code"] == "bad_denominator" and d["unit"] == "y" for d in result.diagnostics)


def test_ratio_schema_errors():
    both = RATIO.replace("direction: benefit,", "direction: benefit, source: x,")
    with pytest.raises(SchemaError, match="give either source or ratio"):
        ev.load_system(_small_yaml(indicator=both))
    with pytest.raises(SchemaError, match="denominator: must differ"):
        ev.load_system(_small_yaml(indicator=RATIO.replace("land_mu", "tax_total")))


# --------------------------------------------------------------------------- unit kinds and screening


@pytest.mark.parametrize("kind", ["country", "province", "park", "firm", "town"])
def test_any_identifier_is_a_unit_kind(kind):
    assert ev.load_system(_small_yaml(unit_kind=kind)).unit_kind == kind


@pytest.mark.parametrize("kind", ["Bad Kind", '""', "x" * 41])
def test_bad_unit_kinds_are_refused(kind):
    with pytest.raises(SchemaError, match="unit_kind"):
        ev.load_system(_small_yaml(unit_kind=kind))


def test_screening_without_level_and_schema_checks():
    system = ev.load_system(_small_yaml("missing: impute_mean\nscreening: {min_share: 0.67}"))
    data = {
        "x": {"a": 1, "b": 1, "c": 1},
        "y": {"a": 2, "b": None, "c": 2},  # 2/3 = 0.667 present < 0.67: screened out
        "z": {"a": 3, "b": 3, "c": 3},
        "w": {"a": 4, "b": 4, "c": 4},
    }
    result = ev.evaluate(system, data)
    assert [r["unit"] for r in result.screened] == ["y"]
    assert result.units == ("x", "z", "w")
    with pytest.raises(SchemaError, match=r"screening\.min_share: must lie in"):
        ev.load_system(_small_yaml("screening: {min_share: 65}"))
    with pytest.raises(SchemaError, match=r"screening\.level: must be a whole number from 1 to 1"):
        ev.load_system(_small_yaml("screening: {min_share: 0.5, level: 2, level_min_share: 0.5}"))
