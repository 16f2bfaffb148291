"""The case state machine: which action, by whom and with what evidence, takes a case from one
state to the next. Pure: no I/O but reading its own table at import, no clock.

Strategy: the transitions are data (``data/transitions.csv``, each row citing the 12345 closed
loop of 国办发〔2020〕53号 or the local rules of response-workflow.md §3). The file is loaded and
checked once, at import, so a bad edit fails the first test and never a running server: every
name must be a known state, action, role or requirement (errors name the row and the column),
one state and action lead to one state only, every state is reachable from ``new`` and
``closed`` is reachable from every state. The functions below only look the table up:

* :func:`apply` is one step (refused with the reason: :class:`IllegalTransition`,
  :class:`ActionNotPermitted`, :class:`MissingEvidence`);
* :func:`allowed_actions` is what buttons a page shows;
* :func:`replay` folds a stored history back to its state (the history is the truth; the stored
  state is a cache of it);
* :func:`act` adds optimistic concurrency: the caller names the version it loaded, and the
  second of two officers acting on one version gets :class:`VersionConflict`.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from greenport.cases.model import (
    NO_EVIDENCE,
    Case,
    CaseAction,
    CaseEvent,
    CaseRole,
    CaseState,
    Evidence,
    Requirement,
    Transition,
)
from greenport.kernel.errors import (
    Conflict,
    InvalidInput,
    InvalidRows,
    PermissionDenied,
    RowError,
    RuleViolation,
)

TRANSITIONS_FILE = Path(__file__).with_name("data") / "transitions.csv"

#: ``to_state`` of a row whose action leaves the state as it is.
SAME_STATE = "="

COLUMNS = ("from_state", "action", "to_state", "roles", "requires", "source")

TransitionTable = Mapping[tuple[CaseState, CaseAction], Transition]


class IllegalTransition(Conflict):
    """The action does not apply to the case's state (409: usually a page loaded before the case
    moved on). Names the state, the action and what the state allows."""


class ActionNotPermitted(PermissionDenied):
    """The action applies to the state, but not for the caller's role (403)."""


class MissingEvidence(InvalidInput):
    """The action needs evidence the caller did not give (422); names each missing piece."""


class VersionConflict(Conflict):
    """Another action changed the case since the caller loaded it (409)."""


class InvalidHistory(RuleViolation):
    """A stored history that does not replay: names the first event that is not legal."""


_GERUND = {
    CaseAction.DISPATCH: "dispatching",
    CaseAction.ACCEPT: "accepting",
    CaseAction.START: "starting",
    CaseAction.SUBMIT: "submitting",
    CaseAction.VERIFY: "verifying",
    CaseAction.FAIL_VERIFICATION: "failing verification",
    CaseAction.CLOSE: "closing",
    CaseAction.TRANSFER: "transferring",
    CaseAction.MARK_MISROUTED: "marking as mis-routed",
    CaseAction.REQUEST_EXTENSION: "requesting an extension",
    CaseAction.GRANT_EXTENSION: "granting an extension",
    CaseAction.REFUSE_EXTENSION: "refusing an extension",
    CaseAction.REOPEN: "reopening",
    CaseAction.REVISIT: "a revisit",
    CaseAction.RATE: "rating",
    CaseAction.REMIND: "a reminder",
    CaseAction.ESCALATE: "escalating",
    CaseAction.COMMENT: "a comment",
}

_NEEDS = {
    Requirement.NOTE: "a note",
    Requirement.PHOTO: "at least one photo",
    Requirement.LOCATION: "a location",
    Requirement.RATING: "a rating (1 to 5)",
}


def _joined(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _names(
    cell: str, kind: type[CaseState] | type[CaseAction] | type[CaseRole] | type[Requirement]
) -> list[str]:
    """The ``|``-joined names of a cell that are not values of ``kind`` (empty: all known)."""
    known = {member.value for member in kind}
    return [name for name in cell.split("|") if name.strip() not in known]


def load_transitions(path: Path = TRANSITIONS_FILE) -> dict[tuple[CaseState, CaseAction], Transition]:
    """The table of ``path`` (CSV with :data:`COLUMNS`; ``#`` lines are notes), checked whole.

    Raises :class:`InvalidRows` listing every bad cell by its line in the file and its column,
    or :class:`InvalidInput` when the table as a whole is wrong (a state unreachable from
    ``new``, a state from which ``closed`` cannot be reached).
    """
    errors: list[RowError] = []
    table: dict[tuple[CaseState, CaseAction], Transition] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [(number, line) for number, line in enumerate(handle, start=1) if not line.startswith("#")]
    if not lines:
        raise InvalidInput(f"{path.name} is empty")
    header_line, header = lines[0]
    reader = csv.DictReader(line for _, line in lines)
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise InvalidInput(
            f"{path.name}, line {header_line}: the columns are {', '.join(COLUMNS)}, not {header.strip()}"
        )
    for (line, _), row in zip(lines[1:], reader, strict=True):
        cells = {column: (row.get(column) or "").strip() for column in COLUMNS}
        row_errors = []
        for column, kind in (("from_state", CaseState), ("action", CaseAction), ("roles", CaseRole)):
            unknown = _names(cells[column], kind)
            if unknown or not cells[column]:
                row_errors.append(
                    RowError(line, column, f"unknown {column} {unknown or ['']}", cells[column])
                )
        if cells["to_state"] != SAME_STATE and cells["to_state"] not in set(CaseState):
            row_errors.append(
                RowError(line, "to_state", "unknown state (or '=' for unchanged)", cells["to_state"])
            )
        if cells["requires"] and (unknown := _names(cells["requires"], Requirement)):
            row_errors.append(RowError(line, "requires", f"unknown requirement {unknown}", cells["requires"]))
        if not cells["source"]:
            row_errors.append(RowError(line, "source", "every row names its source", ""))
        if row_errors:
            errors.extend(row_errors)
            continue
        action = CaseAction(cells["action"])
        roles = frozenset(CaseRole(name.strip()) for name in cells["roles"].split("|"))
        requires = tuple(Requirement(name.strip()) for name in cells["requires"].split("|") if name.strip())
        for name in cells["from_state"].split("|"):
            from_state = CaseState(name.strip())
            to_state = from_state if cells["to_state"] == SAME_STATE else CaseState(cells["to_state"])
            if (from_state, action) in table:
                earlier = table[(from_state, action)].row
                errors.append(
                    RowError(
                        line,
                        "from_state",
                        f"{from_state} + {action} is already defined on line {earlier}",
                        name,
                    )
                )
                continue
            table[(from_state, action)] = Transition(
                from_state, action, to_state, roles, requires, cells["source"], line
            )
    if errors:
        raise InvalidRows(errors, source=path.name)
    _check_reachability(table, path.name)
    return table


def _reachable(table: TransitionTable, start: CaseState, *, backwards: bool = False) -> set[CaseState]:
    edges: dict[CaseState, set[CaseState]] = {}
    for t in table.values():
        a, b = (t.to_state, t.from_state) if backwards else (t.from_state, t.to_state)
        edges.setdefault(a, set()).add(b)
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _check_reachability(table: TransitionTable, source: str) -> None:
    unreachable = [s.value for s in CaseState if s not in _reachable(table, CaseState.NEW)]
    if unreachable:
        raise InvalidInput(
            f"{source}: no transitions lead from new to {', '.join(unreachable)}", column="to_state"
        )
    stuck = [s.value for s in CaseState if s not in _reachable(table, CaseState.CLOSED, backwards=True)]
    if stuck:
        raise InvalidInput(f"{source}: closed cannot be reached from {', '.join(stuck)}", column="from_state")


#: The table of transitions, keyed by (from_state, action).
TRANSITIONS: TransitionTable = load_transitions()


def allowed_actions(
    state: CaseState, role: CaseRole | None = None, *, table: TransitionTable = TRANSITIONS
) -> tuple[CaseAction, ...]:
    """The actions that apply to ``state`` (for ``role``, when given), in :class:`CaseAction`
    order: the buttons a case page shows."""
    return tuple(
        action
        for action in CaseAction
        if (t := table.get((state, action))) is not None and (role is None or role in t.roles)
    )


def transition_for(
    state: CaseState, action: CaseAction, *, role: CaseRole, table: TransitionTable = TRANSITIONS
) -> Transition:
    """The row for ``action`` from ``state`` by ``role``; refused with the reason (no evidence check)."""
    found = table.get((state, action))
    if found is None:
        allowed = allowed_actions(state, table=table)
        raise IllegalTransition(
            f"a case in state {state} cannot take {action}; from {state} the allowed actions are "
            f"{', '.join(allowed) or 'none'}",
            field="action",
            state=state.value,
            action=action.value,
            allowed=[a.value for a in allowed],
        )
    if role not in found.roles:
        roles = sorted(r.value for r in found.roles)
        raise ActionNotPermitted(
            f"{action} from {state} is for the {' or '.join(roles)}, not the {role}",
            field="action",
            state=state.value,
            action=action.value,
            roles=roles,
            allowed=[a.value for a in allowed_actions(state, role, table=table)],
        )
    return found


def apply(
    state: CaseState,
    action: CaseAction,
    *,
    role: CaseRole,
    evidence: Evidence = NO_EVIDENCE,
    table: TransitionTable = TRANSITIONS,
) -> CaseState:
    """The state ``action`` by ``role`` takes a case in ``state`` to.

    Raises :class:`IllegalTransition` when the action does not apply to the state,
    :class:`ActionNotPermitted` when not by this role, :class:`MissingEvidence` naming what is
    missing (e.g. "closing needs a note, at least one photo and a location").
    """
    found = transition_for(state, action, role=role, table=table)
    missing = [r for r in found.requires if not evidence.provides(r)]
    if missing:
        raise MissingEvidence(
            f"{_GERUND[action]} needs {_joined([_NEEDS[r] for r in found.requires])}; "
            f"missing: {_joined([_NEEDS[r] for r in missing])}",
            field=missing[0].value,
            action=action.value,
            missing=[r.value for r in missing],
        )
    return found.to_state


def replay(events: Iterable[CaseEvent], *, table: TransitionTable = TRANSITIONS) -> CaseState:
    """The state a case's history leads to, from ``new``.

    Each event must be the next version (1, 2, ...), start from the replayed state and be the
    table's transition for its action and role; the first that is not raises
    :class:`InvalidHistory` naming it. Evidence is not re-checked: it was checked when the
    action was taken, and a later, stricter table must not make old histories unreadable.
    """
    state = CaseState.NEW
    for expected_version, event in enumerate(events, start=1):
        where = f"event {expected_version} ({event.action} by {event.actor} as {event.role} at {event.at.isoformat()})"
        if event.version != expected_version:
            raise InvalidHistory(
                f"{where} has version {event.version}, expected {expected_version}", row=expected_version
            )
        if event.from_state is not state:
            raise InvalidHistory(
                f"{where} starts from {event.from_state}, but the case was {state}", row=expected_version
            )
        try:
            to_state = transition_for(state, event.action, role=event.role, table=table).to_state
        except (IllegalTransition, ActionNotPermitted) as exc:
            raise InvalidHistory(
                f"{where} is not a legal transition: {exc.message}", row=expected_version
            ) from exc
        if event.to_state is not to_state:
            raise InvalidHistory(
                f"{where} ends in {event.to_state}, but the table says {to_state}", row=expected_version
            )
        state = to_state
    return state


def check_version(case_id: int, *, expected: int, current: int) -> None:
    """Refuse an action on a case that changed since the caller loaded it at ``expected``."""
    if expected != current:
        raise VersionConflict(
            f"conflict: case {case_id} changed since you loaded it (version {expected} → {current})",
            field="version",
            case_id=case_id,
            expected_version=expected,
            current_version=current,
        )


def act(
    case: Case,
    action: CaseAction,
    *,
    role: CaseRole,
    actor: str,
    at: datetime,
    expected_version: int,
    evidence: Evidence = NO_EVIDENCE,
    table: TransitionTable = TRANSITIONS,
) -> tuple[Case, CaseEvent]:
    """One action on ``case`` as loaded at ``expected_version``: the case after it (version + 1)
    and the event to append. Nothing changes when it is refused. The service stores both in one
    unit of work, with the same version check in SQL (``UPDATE ... WHERE version = expected``),
    so that two officers acting at once cannot both win."""
    check_version(case.id, expected=expected_version, current=case.version)
    to_state = apply(case.state, action, role=role, evidence=evidence, table=table)
    event = CaseEvent(
        case_id=case.id,
        version=case.version + 1,
        actor=actor,
        role=role,
        action=action,
        at=at,
        from_state=case.state,
        to_state=to_state,
        note=evidence.note,
        attachments=evidence.attachments,
        location=evidence.location,
        rating=evidence.rating,
    )
    return replace(case, state=to_state, version=event.version), event
