"""Property tests: weights sum to 1, TOPSIS in [0, 1], invariances and monotonicity where they hold."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import greenport.evaluation as ev


@st.composite
def matrices(draw, min_units=3, max_units=10, max_indicators=5):
    m = draw(st.integers(min_units, max_units))
    n = draw(st.integers(2, max_indicators))
    X = draw(arrays(np.float64, (m, n), elements=st.floats(0.125, 1000.0, allow_nan=False, width=32)))
    X = X + 0.37 * np.sin(np.arange(m * n).reshape(m, n) * 12.9898 + 1.0) + 0.5
    corr = np.corrcoef(X, rowvar=False)
    assume(np.all(np.abs(corr[np.triu_indices(n, 1)]) < 0.99))
    d = np.array(draw(st.lists(st.sampled_from([1.0, -1.0]), min_size=n, max_size=n)))
    w = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=n, max_size=n)))
    return X, d, w / w.sum()


@settings(max_examples=80, deadline=None)
@given(matrices())
def test_objective_weights_sum_to_one_and_are_non_negative(problem):
    X, d, _ = problem
    for weights in (
        ev.entropy_weights(X, d),
        ev.entropy_weights(X, d, normalisation="proportion"),
        ev.critic_weights(X, d),
        ev.cv_weights(X),
        ev.std_weights(X, d),
        ev.pca_weights(X, d),
    ):
        assert weights.sum() == pytest.approx(1.0)
        assert np.all(weights >= 0)


@settings(max_examples=80, deadline=None)
@given(matrices(), st.sampled_from(["vector", "minmax"]), st.floats(0.1, 50))
def test_topsis_in_unit_interval_and_scale_invariant_in_weights(problem, variant, factor):
    X, d, w = problem
    c = ev.topsis(X, w, d, normalisation=variant)
    assert np.all((c >= 0) & (c <= 1))
    np.testing.assert_allclose(ev.topsis(X, w * factor, d, normalisation=variant), c, rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(matrices(), st.integers(0, 9), st.integers(0, 4), st.floats(0.5, 100))
def test_improving_a_unit_never_lowers_its_linear_score(problem, unit, indicator, step):
    """Monotonicity of min-max + weighted arithmetic for the improved unit holds when bounds don't move."""
    X, d, w = problem
    unit %= X.shape[0]
    indicator %= X.shape[1]
    before = ev.weighted_arithmetic(ev.minmax(X, d), w)
    better = X.copy()
    better[unit, indicator] += step * d[indicator]
    assume(better[unit, indicator] > 0)
    after = ev.weighted_arithmetic(ev.minmax(better, d), w)
    assert after[unit] >= before[unit] - 1e-12


@settings(max_examples=60, deadline=None)
@given(matrices())
def test_dominating_unit_wins_topsis_and_grey(problem):
    X, d, w = problem
    best = np.where(d > 0, X.max(axis=0), X.min(axis=0))
    Y = np.vstack([X, best + d])  # strictly better than everyone on every indicator
    for scores in (ev.topsis(Y, w, d), ev.topsis(Y, w, d, "minmax"), ev.grey_relational(Y, w, d)):
        assert int(np.argmax(scores)) == Y.shape[0] - 1
    assert ev.topsis(Y, w, d, "minmax")[-1] == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(matrices())
def test_obstacles_sum_to_one_per_unit(problem):
    X, d, w = problem
    obstacles = ev.obstacle_degree(X, w, d)
    totals = obstacles.sum(axis=1)
    assert np.all((np.abs(totals - 1) < 1e-9) | (totals == 0))
    assert np.all(obstacles >= 0)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=6))
def test_coupling_bounds(u):
    C, T, D = ev.coupling_coordination(u)
    assert 0 <= C <= 1 + 1e-12 and 0 <= T <= 1 and 0 <= D <= 1 + 1e-12
    mC, _, _ = ev.coupling_coordination(u, modified=True)
    assert 0 <= mC <= 1 + 1e-12
    if min(u) > 0 and max(u) / min(u) < 1 + 1e-9:
        assert pytest.approx(1.0) == C


def test_coupling_all_zero_is_zero():
    assert ev.coupling_coordination([0.0, 0.0]) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("d", "level"),
    [(0.0, 1), (0.1, 1), (0.1000001, 2), (0.5, 5), (0.6, 6), (0.60001, 7), (0.9, 9), (1.0, 10)],
)
def test_coordination_level_boundaries_are_upper_inclusive(d, level):
    assert ev.coordination_level(d).level == level


def test_coordination_levels_table_has_ten_contiguous_levels():
    levels = ev.coordination_levels()
    assert [lv.level for lv in levels] == list(range(1, 11))
    assert all(a.upper == b.lower for a, b in itertools.pairwise(levels))


@settings(max_examples=50, deadline=None)
@given(st.integers(3, 9), st.data())
def test_consistent_ahp_matrices_recover_their_weights(n, data):
    w = np.array(data.draw(st.lists(st.floats(0.05, 1.0), min_size=n, max_size=n)))
    w = w / w.sum()
    judgment = w[:, None] / w[None, :]
    weights, cr = ev.ahp_weights(judgment)
    np.testing.assert_allclose(weights, w, rtol=1e-8)
    assert cr == pytest.approx(0.0, abs=1e-9)


def test_ahp_rejects_non_reciprocal_matrix_naming_the_cell():
    with pytest.raises(ev.EvaluationError, match=r"judgment\[0\]\[1\]"):
        ev.ahp_weights([[1, 3], [3, 1]])


def test_random_index_tables_are_data_with_sources():
    assert ev.random_index_table("saaty")[3] == 0.58
    assert ev.random_index_table("tummala_ling")[4] == 0.8921
    with pytest.raises(ev.EvaluationError, match="saaty"):
        ev.random_index_table("nope")


class TestNormalisation:
    def test_constant_column_policy(self):
        y = ev.minmax([[1, 5], [2, 5], [3, 5]], [1, -1])
        np.testing.assert_allclose(y[:, 1], 1.0)
        assert ev.entropy_weights([[1, 5], [2, 5], [3, 5]], [1, 1])[1] == 0.0

    def test_zscore_uses_sample_sd(self):
        np.testing.assert_allclose(ev.zscore([[1], [2], [3]])[:, 0], [-1, 0, 1])
        np.testing.assert_allclose(ev.zscore([[1], [2], [3]], [-1])[:, 0], [1, 0, -1])

    def test_rank_ties_min_and_percentile(self):
        np.testing.assert_allclose(ev.rank([[3], [1], [3], [2]])[:, 0], [3, 1, 3, 2])
        np.testing.assert_allclose(ev.percentile_rank([[3], [1], [2]], [-1])[:, 0], [0, 1, 0.5])

    def test_goalposts_and_distance_to_target(self):
        np.testing.assert_allclose(ev.goalposts([[0], [50], [120]], [1], 0, 100)[:, 0], [0, 0.5, 1])
        np.testing.assert_allclose(ev.goalposts([[0], [50], [120]], [-1], 0, 100)[:, 0], [1, 0.5, 0])
        np.testing.assert_allclose(ev.distance_to_target([[10], [20], [40]], [1], 30)[:, 0], [0, 0.5, 1])

    def test_threshold_points(self):
        pts = ev.threshold_points([95, 85, 70, np.nan], [90, 80], [10, 6])
        np.testing.assert_allclose(pts[:3], [10, 6, 0])
        assert np.isnan(pts[3])
        np.testing.assert_allclose(ev.threshold_points([0.3, 0.5], [0.4], [5], direction=-1), [5, 0])

    def test_bad_directions_and_shapes(self):
        with pytest.raises(ev.EvaluationError, match="directions"):
            ev.topsis([[1, 2], [3, 4]], [0.5, 0.5], [1, 0])
        with pytest.raises(ev.EvaluationError, match="2-D"):
            ev.entropy_weights([1, 2, 3])
        with pytest.raises(ev.EvaluationError, match="weights"):
            ev.topsis([[1, 2], [3, 4]], [0.5, -0.5])


class TestMissingData:
    X = np.array([[1.0, 2.0], [np.nan, 4.0], [3.0, 6.0], [5.0, np.nan]])

    def test_refuse_names_row_and_indicator(self):
        with pytest.raises(ev.EvaluationError) as info:
            ev.impute(self.X, policy="refuse", names=["a", "b"])
        assert info.value.row == 2 and info.value.column == "a"

    def test_group_mean(self):
        out, cells = ev.impute(self.X, policy="impute_group_mean", groups=["g", "g", "h", "h"])
        assert out[1, 0] == 1.0 and out[3, 1] == 6.0
        assert cells == [(1, 0), (3, 1)]

    def test_reweight_drops_missing_and_renormalises(self):
        s = ev.weighted_arithmetic([[np.nan, 0.5], [1.0, 0.0]], [0.5, 0.5])
        np.testing.assert_allclose(s, [0.5, 0.5])
