"""Benchmark of the evaluation engine: 3,000 units x 100 indicators, entropy weights, TOPSIS and 1,000
Monte Carlo samples of the weights (batch TOPSIS), side by side with pymcdm.

Goal (issue 5): the 1,000 samples in under 0.2 s and at least 500x faster than pymcdm, which is timed on
a few runs and extrapolated to 1,000.

    .venv/bin/python bench/bench_evaluation.py [--units 3000] [--indicators 100] [--samples 1000]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import greenport.evaluation as ev

#: pymcdm's time per TOPSIS run on the 3,000 x 100 matrix as measured in issue 5. [s]
ISSUE_PYMCDM_RUN_S = 0.108


def best_of(fn, repeat: int = 5) -> tuple[float, object]:
    best = float("inf")
    out = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=3000)
    parser.add_argument("--indicators", type=int, default=100)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--pymcdm-runs", type=int, default=5)
    args = parser.parse_args()
    m, n, samples = args.units, args.indicators, args.samples

    rng = np.random.default_rng(42)
    X = rng.lognormal(2.0, 0.5, (m, n))
    directions = np.where(rng.random(n) < 0.3, -1.0, 1.0)

    t_entropy, w = best_of(lambda: ev.entropy_weights(X, directions))
    t_topsis, nominal = best_of(lambda: ev.topsis(X, w, directions))
    weights = ev.perturbed_weights(w, samples, seed=1)
    t_batch, closeness = best_of(lambda: ev.topsis(X, weights, directions), repeat=5)
    t_single, closeness32 = best_of(lambda: ev.topsis(X, weights, directions, precision="single"), repeat=5)
    t_ranks, _ = best_of(lambda: ev.rank_intervals(nominal, closeness), repeat=3)
    t_total = t_entropy + t_topsis + t_batch

    print(f"matrix {m} units x {n} indicators, {samples} Monte Carlo weight samples (best of 5)")
    print(f"  greenport entropy weights          {t_entropy * 1e3:9.2f} ms")
    print(f"  greenport TOPSIS (one run)          {t_topsis * 1e3:9.2f} ms")
    print(
        f"  greenport TOPSIS batch ({samples} samples) {t_batch * 1e3:9.2f} ms   goal < 200 ms: "
        f"{'met' if t_batch < 0.2 else 'NOT met'}"
    )
    print(
        f"  greenport TOPSIS batch, float32    {t_single * 1e3:9.2f} ms   "
        f"(max |Δ closeness| {float(np.max(np.abs(closeness32 - closeness))):.1e})"
    )
    print(f"  greenport rank intervals            {t_ranks * 1e3:9.2f} ms")
    print(f"  greenport entropy + TOPSIS + batch  {t_total * 1e3:9.2f} ms")

    try:
        from pymcdm import methods, normalizations
        from pymcdm import weights as pw
    except ImportError:
        print("  pymcdm not installed: no comparison")
        return
    topsis = methods.TOPSIS(normalizations.vector_normalization)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_pw, _ = best_of(lambda: pw.entropy_weights(X), repeat=3)
        runs = args.pymcdm_runs
        start = time.perf_counter()
        reference = [topsis(X, weights[k], directions) for k in range(runs)]
        t_one = (time.perf_counter() - start) / runs
    agree = max(float(np.max(np.abs(reference[k] - closeness[k]))) for k in range(runs))
    t_pymcdm_batch = t_one * samples
    print(f"  pymcdm entropy weights              {t_pw * 1e3:9.2f} ms")
    print(f"  pymcdm TOPSIS (one run)             {t_one * 1e3:9.2f} ms")
    print(f"  pymcdm TOPSIS x {samples} (extrapolated from {runs} runs) {t_pymcdm_batch:9.2f} s")
    speedup = t_pymcdm_batch / t_batch
    print(
        f"  speed-up of the batch vs pymcdm     {speedup:9.0f} x   goal >= 500 x: "
        f"{'met' if speedup >= 500 else 'NOT met'}"
    )
    print(f"  speed-up of the float32 batch       {t_pymcdm_batch / t_single:9.0f} x")
    print(f"  max |closeness - pymcdm| over {runs} samples: {agree:.2e}")
    # The issue measured pymcdm at about 108 ms per run on its machine; on a busier or slower machine
    # both sides slow down alike, so scale our times by the same factor to compare with the goal.
    factor = ISSUE_PYMCDM_RUN_S / t_one
    print(
        f"  scaled to the issue's machine (pymcdm {ISSUE_PYMCDM_RUN_S * 1e3:.0f} ms/run, factor {factor:.2f}): "
        f"batch {t_batch * factor * 1e3:.0f} ms, float32 {t_single * factor * 1e3:.0f} ms"
    )


if __name__ == "__main__":
    main()
