"""The case timer, run by the alarm evaluator's process after each of its passes (issue 17: "a
timer drives this, not page visits"; docs/cases.md "Timer").

Why there: the evaluator is already the one periodic process of a deployment, and one at a time
runs (a lease in the database); opening the cases of the alarms it has just fired in the same
process puts a case in the officer's inbox one pass after the alarm, and the deadline steps
(:func:`greenport.cases.service.tick`) need a process that wakes on its own. The timer takes the
caller's clock, so a test can move time forward.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from greenport.cases import service
from greenport.cases.ports import CasesUnitOfWork
from greenport.notifications.model import Route


@dataclass(slots=True)
class TimerReport:
    """What one call did: the cases opened for alarms, and (case id, step) of the deadline steps
    taken (``ticked``: whether the deadline pass ran this time)."""

    opened: list[int] = field(default_factory=list)
    steps: list[tuple[int, str]] = field(default_factory=list)
    ticked: bool = False


@dataclass(slots=True)
class CaseTimer:
    """Open the cases of fired alarms after every evaluation; run the deadline pass at most every
    ``every`` (``GREENPORT_CASE_TIMER_SECONDS``) by the caller's clock."""

    every: timedelta
    last_tick: datetime | None = None
    #: who hears of a case opened or stepped (None: the shipped routes)
    routes: Sequence[Route] | None = None

    def after_pass(
        self, uow_factory: Callable[[], AbstractContextManager[CasesUnitOfWork]], *, now: datetime
    ) -> TimerReport:
        """Call after a pass in which this process evaluated (it holds the evaluator's lease):
        the cases are opened and the deadlines stepped in transactions of their own."""
        report = TimerReport()
        with uow_factory() as uow:
            report.opened = service.open_from_alarms(uow, now=now, routes=self.routes)
        # a clock moved back (a test, a corrected host clock) runs the pass too, and restarts the count
        if self.last_tick is None or not (self.last_tick <= now < self.last_tick + self.every):
            with uow_factory() as uow:
                report.steps = service.tick(uow, now=now, routes=self.routes).steps
            self.last_tick = now
            report.ticked = True
        return report
