"""Benchmark: hourly AQI for a year (8,760 h) of 1,500 stations, all six pollutants, one core.

* GreenPort vectorised path (``greenport.standards.aqi.aqi_array``), HJ 633-2012 hourly report;
  the year is computed in 10 chunks of 876 hours (synthetic log-normal concentrations generated
  outside the timed region), so memory stays near 1 GB; goal: the whole year in < 2 s.
* GreenPort scalar path (``aqi()``) on a sample, for scale.
* ``python-aqi`` (``aqi.to_aqi(..., algo=aqi.ALGO_MEP)``, its Chinese MEP algorithm) on 20,000
  station-hours, extrapolated to the year; the ratio is printed. Note python-aqi's MEP table uses
  non-contiguous breakpoints (e.g. 51-150 for PM10 level 2) and Decimal arithmetic, so its values
  differ from HJ 633's continuous interpolation at some concentrations: the agreement share is printed.

Run: ``.venv/bin/python bench/bench_aqi.py``.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from greenport.standards.aqi import aqi, aqi_array

STATIONS = 1500
HOURS = 8760
CHUNKS = 10
GOAL_SECONDS = 2.0
PEER_SAMPLE = 20_000
SCALAR_SAMPLE = 20_000

#: Typical hourly medians [µg/m³; CO mg/m³] and log-normal spread for synthetic data.
MEDIANS = {"so2": 10.0, "so2_24h": 10.0, "no2": 30.0, "co": 0.8, "o3": 60.0, "pm10": 70.0, "pm2_5": 40.0}


def synthetic(rng: np.random.Generator, hours: int, stations: int) -> dict[str, np.ndarray]:
    data = {}
    for key, median in MEDIANS.items():
        values = rng.lognormal(np.log(median), 0.7, size=(hours, stations))
        decimals = 1 if key == "co" else 0
        data[key] = np.round(values, decimals)
    return data


def bench_vectorised(rng: np.random.Generator) -> float:
    chunk_hours = HOURS // CHUNKS
    elapsed = 0.0
    for _ in range(CHUNKS):
        data = synthetic(rng, chunk_hours, STATIONS)
        start = time.perf_counter()
        result = aqi_array(data, "hour", edition=2012)
        elapsed += time.perf_counter() - start
        assert result.aqi.shape == (chunk_hours, STATIONS)
    return elapsed


def bench_scalar(rows: list[dict[str, float]]) -> float:
    start = time.perf_counter()
    for row in rows:
        aqi(row, "hour", edition=2012)
    return time.perf_counter() - start


def bench_python_aqi(rows: list[dict[str, float]]) -> tuple[float | None, float | None]:
    try:
        import aqi as peer  # type: ignore[import-untyped]
    except ImportError:
        return None, None
    # python-aqi's MEP table keys (not all are exported as POLLUTANT_* constants).
    keys = {"so2": "so2_1h", "no2": "no2_1h", "co": "co_1h", "o3": "o3_1h", "pm10": "pm10", "pm2_5": "pm25"}
    inputs = [[(keys[k], str(row[k])) for k in keys] for row in rows]
    start = time.perf_counter()
    values = []
    for item in inputs:
        try:
            values.append(int(peer.to_aqi(item, algo=peer.ALGO_MEP)))
        except Exception:  # python-aqi raises on values outside its table
            values.append(-1)
    elapsed = time.perf_counter() - start
    ours = [aqi(row, "hour", edition=2012).aqi for row in rows]
    agree = sum(1 for a, b in zip(values, ours, strict=True) if a == b) / len(rows)
    return elapsed, agree


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    rng = np.random.default_rng(633)
    total = STATIONS * HOURS
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, one core; load average {load:.2f}")
    print(f"AQI year: {HOURS} h x {STATIONS} stations = {total:,} hourly AQIs (6 pollutants each)")

    seconds = bench_vectorised(rng)
    rate = total / seconds
    verdict = "OK" if seconds < GOAL_SECONDS else "MISSED"
    print(f"greenport aqi_array : {seconds:.2f} s for the year, {rate:,.0f} AQI values/s "
          f"({rate * 6:,.0f} IAQI/s); goal < {GOAL_SECONDS:.0f} s: {verdict}")  # fmt: skip

    sample = synthetic(rng, PEER_SAMPLE // 100, 100)
    rows = [
        {k: float(sample[k][h, s]) for k in MEDIANS} for h in range(PEER_SAMPLE // 100) for s in range(100)
    ]
    scalar_seconds = bench_scalar(rows[:SCALAR_SAMPLE])
    scalar_rate = SCALAR_SAMPLE / scalar_seconds
    print(f"greenport aqi()     : {scalar_rate:,.0f} AQI values/s (scalar, {SCALAR_SAMPLE:,} sample); "
          f"year extrapolated {total / scalar_rate:,.0f} s")  # fmt: skip

    peer_seconds, agree = bench_python_aqi(rows)
    if peer_seconds is None or agree is None:
        print("python-aqi not installed: comparison skipped")
        return
    peer_rate = PEER_SAMPLE / peer_seconds
    print(f"python-aqi ALGO_MEP : {peer_rate:,.0f} AQI values/s ({PEER_SAMPLE:,} sample); "
          f"year extrapolated {total / peer_rate:,.0f} s")  # fmt: skip
    print(f"ratio               : aqi_array is {rate / peer_rate:,.0f}x python-aqi; "
          f"scalar aqi() is {scalar_rate / peer_rate:,.1f}x")  # fmt: skip
    print(f"agreement           : python-aqi equals HJ 633 (GreenPort) on {agree:.1%} of the sample")


if __name__ == "__main__":
    main()
