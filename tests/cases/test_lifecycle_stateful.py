"""The case state machine driven by Hypothesis: random actions by random roles, with or without
evidence, on stale or current versions. Whatever happens, the case is in a defined state, its
version counts its events, its history replays to its state, closed stays reachable by legal
actions, and a refused action changes nothing."""

from __future__ import annotations

from collections import deque
from datetime import timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from greenport.cases.lifecycle import TRANSITIONS, VersionConflict, act, apply, replay
from greenport.cases.model import NO_EVIDENCE, Case, CaseAction, CaseEvent, CaseRole, CaseState
from greenport.kernel.errors import DomainError
from tests.cases.helpers import FULL_EVIDENCE, T0, new_case


def path_to_closed(state: CaseState) -> list[tuple[CaseAction, CaseRole]]:
    """A shortest list of (action, role) the table allows from ``state`` to closed."""
    came_from: dict[CaseState, tuple[CaseState, CaseAction, CaseRole] | None] = {state: None}
    queue = deque([state])
    while queue:
        current = queue.popleft()
        if current is CaseState.CLOSED:
            break
        for (from_state, action), t in TRANSITIONS.items():
            if from_state is current and t.to_state not in came_from:
                came_from[t.to_state] = (current, action, min(t.roles))
                queue.append(t.to_state)
    steps: list[tuple[CaseAction, CaseRole]] = []
    at = CaseState.CLOSED
    while (step := came_from.get(at)) is not None:
        at, action, role = step
        steps.append((action, role))
    return steps[::-1]


class CaseMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.case: Case = new_case()
        self.events: list[CaseEvent] = []

    def _act(self, action: CaseAction, role: CaseRole, *, with_evidence: bool, expected_version: int) -> None:
        before = self.case
        try:
            self.case, event = act(
                before,
                action,
                role=role,
                actor=f"{role}-1",
                at=T0 + timedelta(minutes=len(self.events)),
                expected_version=expected_version,
                evidence=FULL_EVIDENCE if with_evidence else NO_EVIDENCE,
            )
        except DomainError:
            assert self.case == before  # a refused action changes nothing
            return
        assert expected_version == before.version
        assert event.from_state is before.state and event.to_state is self.case.state
        assert (before.state, action) in TRANSITIONS and role in TRANSITIONS[(before.state, action)].roles
        self.events.append(event)

    @rule(action=st.sampled_from(CaseAction), role=st.sampled_from(CaseRole), with_evidence=st.booleans())
    def take(self, action: CaseAction, role: CaseRole, with_evidence: bool) -> None:
        self._act(action, role, with_evidence=with_evidence, expected_version=self.case.version)

    @rule(data=st.data())
    def take_an_allowed_action(self, data: st.DataObject) -> None:
        """Most random pairs are illegal; this rule keeps the walk moving through the table."""
        choices = [(a, r) for (s, a), t in TRANSITIONS.items() if s is self.case.state for r in t.roles]
        action, role = data.draw(st.sampled_from(sorted(choices)))
        self._act(action, role, with_evidence=True, expected_version=self.case.version)

    @rule(action=st.sampled_from(CaseAction), role=st.sampled_from(CaseRole), behind=st.integers(1, 3))
    def act_on_a_stale_version(self, action: CaseAction, role: CaseRole, behind: int) -> None:
        before = self.case
        try:
            act(
                before,
                action,
                role=role,
                actor="late",
                at=T0,
                expected_version=before.version - behind,
                evidence=FULL_EVIDENCE,
            )
        except VersionConflict as conflict:
            assert f"(version {before.version - behind} → {before.version})" in conflict.message
        else:
            raise AssertionError("an action on a stale version was taken")
        assert self.case == before

    @invariant()
    def state_is_defined_and_version_counts_events(self) -> None:
        assert isinstance(self.case.state, CaseState)
        assert self.case.version == len(self.events)

    @invariant()
    def history_replays_to_the_state(self) -> None:
        assert replay(self.events) is self.case.state

    @invariant()
    def closed_is_reachable_by_legal_actions(self) -> None:
        state = self.case.state
        for action, role in path_to_closed(state):
            state = apply(state, action, role=role, evidence=FULL_EVIDENCE)
        assert state is CaseState.CLOSED


TestCaseMachine = CaseMachine.TestCase
TestCaseMachine.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
