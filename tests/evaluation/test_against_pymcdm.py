"""Hypothesis cross-checks against pymcdm on random matrices, with the convention differences of
evaluation-methods.md §1.3 made explicit:

* pymcdm ``entropy_weights`` uses raw column proportions and ignores directions: it equals our
  ``normalisation="proportion"`` variant on strictly positive data (with a zero in a column pymcdm sets that
  column's entropy to 0 instead of using p ln p = 0, so zeros are excluded here);
* pymcdm ``critic_weights`` min-max-normalises every column as a benefit column: flipping the sign of cost
  columns first reproduces our direction-aware CRITIC;
* pymcdm ``TOPSIS()`` defaults to min-max normalisation; with ``vector_normalization`` it matches the classic
  vector form (its cost columns 1 - x/‖x‖ give the same distances).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import greenport.evaluation as ev

pymcdm = pytest.importorskip("pymcdm")
from pymcdm import methods, normalizations  # noqa: E402
from pymcdm import weights as pw  # noqa: E402


@st.composite
def problems(draw, min_units=3, max_units=12, max_indicators=6):
    m = draw(st.integers(min_units, max_units))
    n = draw(st.integers(2, max_indicators))
    X = draw(arrays(np.float64, (m, n), elements=st.floats(0.5, 100.0, allow_nan=False, width=32)))
    # every column must vary (constant columns are undefined for min-max / CRITIC in pymcdm), and no two
    # columns may be (nearly) collinear, which makes CRITIC ill-conditioned in every implementation
    X = X + 0.37 * np.sin(np.arange(m * n).reshape(m, n) * 12.9898 + 1.0)
    corr = np.corrcoef(X, rowvar=False)
    assume(np.all(np.abs(corr[np.triu_indices(n, 1)]) < 0.99))
    directions = np.array(draw(st.lists(st.sampled_from([1, -1]), min_size=n, max_size=n)), dtype=float)
    w = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=n, max_size=n)))
    return X, directions, w / w.sum()


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_topsis_vector_matches_pymcdm(problem):
    X, d, w = problem
    ours = ev.topsis(X, w, d, normalisation="vector")
    theirs = _quiet(methods.TOPSIS(normalizations.vector_normalization), X, w, d)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_topsis_minmax_matches_pymcdm_default(problem):
    X, d, w = problem
    ours = ev.topsis(X, w, d, normalisation="minmax")
    theirs = _quiet(methods.TOPSIS(), X, w, d)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_entropy_proportion_variant_matches_pymcdm(problem):
    X, d, _ = problem
    ours = ev.entropy_weights(X, d, normalisation="proportion")
    theirs = _quiet(pw.entropy_weights, X)
    # near-constant columns make 1 - e a difference of nearly equal numbers: compare at 1e-6
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-8)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_critic_matches_pymcdm_after_flipping_cost_columns(problem):
    X, d, _ = problem
    theirs = _quiet(pw.critic_weights, X * d)
    if not np.all(np.isfinite(theirs)):  # all columns perfectly correlated: undefined in both
        with pytest.raises(ev.EvaluationError):
            ev.critic_weights(X, d)
        return
    ours = ev.critic_weights(X, d)
    np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-10)
