"""Domain objects of targets: a plan target of the city, with its year, unit and who answers for it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PlanTarget:
    """One target of a plan: ``indicator`` shall reach ``value`` [``unit``] in ``year``.

    ``responsible_unit`` is the body that answers for it (empty when the source names none);
    ``source`` names the document (and seed figure) the target comes from.
    """

    indicator: str
    year: int
    value: float
    unit: str
    responsible_unit: str
    source: str
