"""Use cases of targets: which plan targets hold for a year.

Tracking (progress by responsible unit, year-end projection) will live here too; today the
reports read the targets through :func:`plan_targets` and :func:`target_values`.
"""

from __future__ import annotations

from greenport.targets.loader import shipped_plan_targets
from greenport.targets.model import PlanTarget
from greenport.targets.ports import PlanTargetSource


def plan_targets(
    *, year: int | None = None, source: PlanTargetSource = shipped_plan_targets
) -> list[PlanTarget]:
    """The plan targets of ``year``; without a year, the newest target of each indicator.

    ``source`` gives the targets (default: the shipped table ``targets/data/plan_targets.csv``).
    """
    targets = list(source())
    if year is not None:
        return [t for t in targets if t.year == year]
    newest: dict[str, PlanTarget] = {}
    for target in targets:
        if target.indicator not in newest or target.year > newest[target.indicator].year:
            newest[target.indicator] = target
    return list(newest.values())


def target_values(
    *, year: int | None = None, source: PlanTargetSource = shipped_plan_targets
) -> dict[str, float]:
    """``{indicator: value}`` of :func:`plan_targets` (what a report puts beside its figures)."""
    return {t.indicator: t.value for t in plan_targets(year=year, source=source)}
