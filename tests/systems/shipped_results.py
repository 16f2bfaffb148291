"""Totals and ranks of every shipped system on the data it is tested with, as JSON (before/after checks).

Run ``python -m tests.systems.shipped_results OUT.json`` with ``PYTHONPATH`` set to a checkout: the same
script run on two checkouts shows which systems and units a change of the engine moves. The data are
the demo values of 2021 and 2022 (well-off also 2019) and the perturbed 2022 data of
``test_registry.test_systems_survive_perturbed_and_partly_missing_data``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np

from greenport.demo.assessments import _clean, demo_values
from greenport.evaluation import evaluate
from greenport.systems import get_system, system_ids


def _perturbed(system_id: str) -> dict[str, dict[str, Any]]:
    """The perturbed data of the registry test (scaled by U(0.7, 1.3), one hole where allowed)."""
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
    return data


def shipped_results() -> dict[str, dict[str, Any]]:
    """``{"system/case": {"units", "total", "rank"}}`` for every shipped system and data case."""
    out: dict[str, dict[str, Any]] = {}
    for system_id in system_ids():
        system = get_system(system_id)
        periods = ["2019", "2021", "2022"] if system_id == "well_off_index" else ["2021", "2022"]
        cases = {p: _clean(system_id, demo_values(system_id, p)) for p in periods}
        cases["perturbed"] = _perturbed(system_id)
        for case, data in cases.items():
            result = evaluate(system, data)
            out[f"{system_id}/{case}"] = {
                "units": list(result.units),
                "total": [float(t) for t in result.total],
                "rank": [int(r) for r in result.rank],
            }
    return out


if __name__ == "__main__":
    text = json.dumps(shipped_results(), ensure_ascii=False, indent=1)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        print(text)
