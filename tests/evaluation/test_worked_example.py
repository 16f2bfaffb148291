"""Golden tests: every worked example of evaluation-methods.md §3 (numbers in tests/data/evaluation)."""

from __future__ import annotations

import numpy as np
import pytest

import greenport.evaluation as ev

# the reference prints 6 significant digits
RTOL = 5e-6


def _x(worked):
    data = worked["data"]
    return np.array(data["X"], dtype=float), data["directions"], data["fixed_weights"]


def test_minmax_with_direction(worked):
    X, d, _ = _x(worked)
    np.testing.assert_allclose(ev.minmax(X, d), worked["minmax"], atol=1e-6)


@pytest.mark.parametrize(
    ("key", "kwargs"),
    [
        ("entropy_a", {}),
        ("entropy_a_shift", {"shift": 1e-4}),
        ("entropy_b", {"normalisation": "proportion"}),
        ("entropy_c", {"normalisation": "reciprocal"}),
    ],
)
def test_entropy_weight_variants(worked, key, kwargs):
    X, d, _ = _x(worked)
    np.testing.assert_allclose(ev.entropy_weights(X, d, **kwargs), worked["weights"][key], rtol=RTOL)


def test_entropy_default_is_the_direction_aware_minmax_variant(worked):
    X, d, _ = _x(worked)
    np.testing.assert_allclose(ev.entropy_weights(X, d), worked["weights"]["entropy_a"], rtol=RTOL)


def test_critic_weights(worked):
    X, d, _ = _x(worked)
    np.testing.assert_allclose(ev.critic_weights(X, d), worked["weights"]["critic"], rtol=RTOL)
    # pymcdm's convention (directions ignored) is the same function with all-benefit directions
    np.testing.assert_allclose(ev.critic_weights(X), worked["weights"]["critic_direction_ignored"], rtol=RTOL)


def test_cv_weights(worked):
    X, _, _ = _x(worked)
    np.testing.assert_allclose(ev.cv_weights(X), worked["weights"]["cv"], rtol=RTOL)


def test_pca_eigenvalues(worked):
    X, d, _ = _x(worked)
    eigenvalues, _ = ev.pca(X, d)
    np.testing.assert_allclose(eigenvalues, worked["pca_eigenvalues"], rtol=1e-3)
    w = ev.pca_weights(X, d)
    assert w.sum() == pytest.approx(1.0)


def test_topsis_vector_fixed_weights(worked):
    X, d, w = _x(worked)
    t = worked["topsis"]
    d_plus, d_minus, c = ev.topsis_distances(X, w, d)
    np.testing.assert_allclose(d_plus, t["vector_fixed_d_plus"], rtol=RTOL)
    np.testing.assert_allclose(d_minus, t["vector_fixed_d_minus"], rtol=RTOL)
    np.testing.assert_allclose(ev.topsis(X, w, d), t["vector_fixed"], rtol=RTOL)
    assert ev.ranks_of(c).tolist() == t["vector_fixed_ranks"]


def test_topsis_minmax_and_entropy_weights(worked):
    X, d, w = _x(worked)
    t = worked["topsis"]
    np.testing.assert_allclose(ev.topsis(X, w, d, normalisation="minmax"), t["minmax_fixed"], rtol=RTOL)
    wb = ev.entropy_weights(X, d, normalisation="proportion")
    c = ev.topsis(X, wb, d)
    np.testing.assert_allclose(c, t["vector_entropy_b"], rtol=RTOL)
    assert ev.ranks_of(c).tolist() == t["vector_entropy_b_ranks"]
    np.testing.assert_allclose(ev.topsis(X, ev.entropy_weights(X, d), d), t["vector_entropy_a"], rtol=RTOL)


def test_topsis_batch_equals_loop(worked):
    X, d, w = _x(worked)
    batch = np.array([w, [0.25] * 4, [0.1, 0.2, 0.3, 0.4]])
    out = ev.topsis(X, batch, d)
    assert out.shape == (3, 5)
    for row, weights in zip(out, batch, strict=True):
        np.testing.assert_allclose(row, ev.topsis(X, weights, d), rtol=1e-12)


def test_other_aggregations(worked):
    X, d, w = _x(worked)
    a = worked["aggregation"]
    np.testing.assert_allclose(ev.weighted_arithmetic(ev.minmax(X, d), w), a["linear_minmax"], rtol=RTOL)
    # "x/max-type": benefit x/max, cost min/x == ratio to target with targets max (benefit) / min (cost)
    targets = np.where(np.array(d) > 0, X.max(axis=0), X.min(axis=0))
    y = ev.ratio_to_target(X, d, targets, cap=None)
    np.testing.assert_allclose(ev.weighted_arithmetic(y, w), a["linear_fraction_of_max"], rtol=RTOL)
    np.testing.assert_allclose(ev.weighted_geometric(y, w), a["geometric_fraction_of_max"], rtol=RTOL)
    grade = ev.grey_relational(X, w, d)
    np.testing.assert_allclose(grade, a["grey_grade"], rtol=RTOL)
    assert ev.ranks_of(grade).tolist() == a["grey_ranks"]


def test_obstacle_degrees(worked):
    X, d, w = _x(worked)
    obstacles = ev.obstacle_degree(X, w, d)
    np.testing.assert_allclose(obstacles * 100, worked["obstacle_percent"], atol=0.051)
    np.testing.assert_allclose(obstacles.sum(axis=1), 1.0)
    # A3's weakest link is revenue per mu
    assert ev.top_obstacles(obstacles, 1)[2] == [1]


@pytest.mark.parametrize("case", [0, 1])
def test_ahp_examples(worked, case):
    example = worked["ahp"][case]
    weights, cr = ev.ahp_weights(example["judgment"])
    np.testing.assert_allclose(weights, example["weights"], rtol=RTOL)
    assert cr == pytest.approx(example["cr_saaty"], rel=1e-4)
    details = ev.ahp_details(example["judgment"])
    assert details["lambda_max"] == pytest.approx(example["lambda_max"], rel=1e-5)
    assert details["ci"] == pytest.approx(example["ci"], rel=1e-4)
    tummala = ev.ahp_details(example["judgment"], ri_table="tummala_ling")
    assert tummala["cr"] == pytest.approx(example["cr_tummala_ling"], rel=1e-4)
    geometric, _ = ev.ahp_weights(example["judgment"], method="geometric")
    np.testing.assert_allclose(geometric, example["geometric"], rtol=RTOL)
    if "column" in example:
        column, _ = ev.ahp_weights(example["judgment"], method="column")
        np.testing.assert_allclose(column, example["column"], rtol=RTOL)


def test_inconsistent_ahp_is_refused_unless_overridden(worked):
    example = worked["inconsistent_ahp"]
    with pytest.raises(ev.InconsistentJudgment) as info:
        ev.ahp_weights(example["judgment"])
    assert info.value.details["consistency_ratio"] == pytest.approx(example["cr_saaty"], rel=1e-5)
    weights, cr = ev.ahp_weights(example["judgment"], allow_inconsistent=True)
    assert cr == pytest.approx(example["cr_saaty"], rel=1e-5)
    assert weights.sum() == pytest.approx(1.0)
    details = ev.ahp_details(example["judgment"])
    assert details["lambda_max"] == pytest.approx(example["lambda_max"], rel=1e-5)
    assert details["ci"] == pytest.approx(example["ci"], rel=1e-5)


def test_coupling_two_subsystems(worked):
    c = worked["coupling"]
    C, T, D = ev.coupling_coordination(c["U"])
    np.testing.assert_allclose(C, c["C"], rtol=RTOL)
    np.testing.assert_allclose(T, c["T"], rtol=RTOL)
    np.testing.assert_allclose(D, c["D"], rtol=RTOL)
    assert [ev.coordination_level(x).name_zh for x in D] == c["level_zh"]
    mC, _, mD = ev.coupling_coordination(c["U"], modified=True)
    np.testing.assert_allclose(mC, c["modified_C"], rtol=RTOL)
    np.testing.assert_allclose(mD, c["modified_D"], rtol=RTOL)


def test_coupling_orientation_from_weights(worked):
    U = np.array(worked["coupling"]["U"])
    _, _, D = ev.coupling_coordination(U.T, weights=[0.5, 0.5])
    np.testing.assert_allclose(D, worked["coupling"]["D"], rtol=RTOL)


def test_coupling_three_subsystems(worked):
    three = worked["coupling"]["three"]
    C, T, D = ev.coupling_coordination(three["U"])
    assert pytest.approx((three["C"], three["T"], three["D"]), rel=RTOL) == (C, T, D)
    mC, _, mD = ev.coupling_coordination(three["U"], modified=True)
    assert (mC, mD) == pytest.approx((three["modified_C"], three["modified_D"]), rel=RTOL)


def test_winsorisation_example(worked):
    w = worked["winsorisation"]
    assert ev.skewness(w["y"]) == pytest.approx(w["skew"], rel=RTOL)
    assert ev.kurtosis(w["y"]) == pytest.approx(w["kurtosis"], rel=RTOL)
    treated = ev.winsorise(w["y"])
    assert treated.changed == [12]  # 80 -> 50, one step
    assert treated.values[12] == 50
    assert treated.skew_after == pytest.approx(w["skew_after_one_step"], abs=5e-4)
    assert treated.kurtosis_after == pytest.approx(w["kurtosis_after_one_step"], abs=5e-3)
    assert treated.skew_after > 2  # still skewed, but kurtosis < 3.5: the rule needs both
    assert not ev.needs_treatment(treated.values)


def test_external_library_examples(worked):
    stock = worked["other_checks"]["scikit_criteria_stock_selection"]
    c = ev.topsis(stock["X"], stock["weights"], stock["directions"])
    np.testing.assert_allclose(c, stock["vector_closeness"], rtol=RTOL)
    assert ev.ranks_of(c).tolist() == stock["ranks"]
    doc = worked["other_checks"]["pymcdm_topsis_docstring"]
    np.testing.assert_allclose(
        ev.topsis(doc["X"], doc["weights"], doc["directions"], normalisation="minmax"),
        doc["minmax_closeness"],
        rtol=RTOL,
    )
