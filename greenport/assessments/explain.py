"""Why a unit scored what it did in a stored run, built only from what the run stored.

A run stores the declaration of its indicator system (``inputs["system"]``, the parsed YAML as
JSON), its inputs (values, labels, groups, seed), its method and its result. The explanation
re-evaluates that stored declaration over the stored inputs, so it is the stored score's own
breakdown even after the system's YAML file has changed or gone: a stored run is explainable
forever. Runs stored before the snapshot was kept fall back to the shipped system when its
version hash is still the run's (and are refused, naming the run, when it is not).
"""

from __future__ import annotations

import json
from typing import Any

from greenport.assessments.model import EvaluationRun
from greenport.evaluation import System, evaluate, parse_system
from greenport.kernel.errors import Conflict, NotFound

#: Key of ``EvaluationRun.inputs`` that holds the system declaration the run used.
SYSTEM_SNAPSHOT_KEY = "system"

#: Rank-interval statistics of the uncertainty analysis shown per unit.
RANK_INTERVAL_KEYS = ("median", "p05", "p95")


def system_snapshot(system: System) -> dict[str, Any]:
    """The declaration of ``system`` as plain JSON, to store with a run (same version hash)."""
    snapshot: dict[str, Any] = json.loads(json.dumps(system.raw, ensure_ascii=False, default=str))
    return snapshot


def stored_system(run: EvaluationRun, *, shipped: System | None = None) -> System:
    """The system ``run`` was computed with: its stored snapshot, else ``shipped`` if that is the
    same version. Raises :class:`Conflict` when neither matches the run's version hash."""
    snapshot = run.inputs.get(SYSTEM_SNAPSHOT_KEY)
    if snapshot is not None:
        system = parse_system(snapshot)
        if system.version_hash == run.version_hash:
            return system
        raise Conflict(
            f"run {run.id}: its stored system does not match its version hash {run.version_hash[:12]}",
            field="run_id",
        )
    if shipped is not None and shipped.version_hash == run.version_hash:
        return shipped
    raise Conflict(
        f"system {run.system_id} changed since run {run.id} (version {run.system_version}); "
        "rerun it to explain the current version",
        field="run_id",
    )


def rank_interval(run: EvaluationRun, unit: str) -> dict[str, Any] | None:
    """The unit's rank interval from the run's stored uncertainty analysis (None without one)."""
    ranks = (run.results.get("uncertainty") or {}).get("ranks") or {}
    units = list(run.results.get("units", []))
    if not ranks or unit not in units:
        return None
    index = units.index(unit)
    return {key: ranks[key][index] for key in RANK_INTERVAL_KEYS if key in ranks}


def explain_unit(run: EvaluationRun, system: System, unit: str) -> dict[str, Any]:
    """Breakdown of ``unit`` in ``run`` (every dimension and indicator: raw, used, normalised,
    weight, points or contribution), with its label, rank interval, run id and period.

    Raises :class:`NotFound` when the unit is not in the run's inputs.
    """
    data = run.inputs.get("data", {})
    if unit not in data:
        raise NotFound(f"unit {unit!r} is not in run {run.id}", field="unit")
    groups = run.inputs.get("groups") or {}
    group_list = [groups.get(u, "") for u in data] if groups else None
    result = evaluate(system, data, groups=group_list, seed=run.inputs.get("seed", 0), period=run.period)
    explanation = result.explain(unit)
    interval = rank_interval(run, unit)
    if interval is not None:
        explanation["rank_interval"] = interval
    explanation["label"] = (run.inputs.get("labels") or {}).get(unit, unit)
    explanation["run_id"] = run.id
    explanation["period"] = run.period
    return explanation
