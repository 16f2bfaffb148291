"""What the targets service reads: a source of plan targets (the shipped table by default)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from greenport.targets.model import PlanTarget


class PlanTargetSource(Protocol):
    def __call__(self) -> Sequence[PlanTarget]: ...
