"""Sobol indices against the Ishigami function's analytic values; rank intervals."""

from __future__ import annotations

import numpy as np
import pytest

import greenport.evaluation as ev

# Ishigami & Homma (1990), a = 7, b = 0.1; analytic indices (Saltelli et al. 2008, The Primer, §4.9)
S_EXPECTED = [0.3139, 0.4424, 0.0]
ST_EXPECTED = [0.5576, 0.4424, 0.2437]


def ishigami(points: np.ndarray) -> np.ndarray:
    x = -np.pi + 2 * np.pi * points
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_saltelli_jansen_estimators_recover_ishigami_indices():
    result = ev.sobol_indices(ishigami, 3, 20000, seed=7)
    np.testing.assert_allclose(result.first_order, S_EXPECTED, atol=0.03)
    np.testing.assert_allclose(result.total, ST_EXPECTED, atol=0.03)
    assert result.runs == 20000 * 5


def test_additive_model_has_equal_first_order_and_total():
    result = ev.sobol_indices(lambda p: 3 * p[:, 0] + p[:, 1], 2, 40000, seed=1)
    np.testing.assert_allclose(result.first_order, [0.9, 0.1], atol=0.03)
    np.testing.assert_allclose(result.total, [0.9, 0.1], atol=0.03)


def test_rank_intervals_and_batch_topsis_monte_carlo():
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 10, (30, 6))
    d = [1, 1, -1, 1, -1, 1]
    w = ev.entropy_weights(X, d)
    samples = ev.perturbed_weights(w, 200, seed=2)
    np.testing.assert_allclose(samples.sum(axis=1), 1.0)
    scores = ev.topsis(X, samples, d)
    intervals = ev.rank_intervals(ev.topsis(X, w, d), scores)
    assert np.all(intervals.p05 <= intervals.median) and np.all(intervals.median <= intervals.p95)
    assert sorted(intervals.nominal.tolist()) == list(range(1, 31))


def test_ranks_ties_share_the_better_rank():
    assert ev.ranks_of([3.0, 5.0, 5.0, 1.0]).tolist() == [3, 1, 1, 4]
    with pytest.raises(ev.EvaluationError):
        ev.sobol_indices(ishigami, 0, 10)
