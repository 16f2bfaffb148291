"""The case state machine (response-workflow.md §3; the 12345 closed loop of 国办发〔2020〕53号):
every row of the table, refusals with their reasons, evidence at submit and close, replay of a
history and version conflicts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from greenport.cases.lifecycle import (
    TRANSITIONS,
    ActionNotPermitted,
    IllegalTransition,
    InvalidHistory,
    MissingEvidence,
    VersionConflict,
    act,
    allowed_actions,
    apply,
    load_transitions,
    replay,
)
from greenport.cases.model import (
    CaseAction,
    CaseEvent,
    CaseRole,
    CaseState,
    Evidence,
    Requirement,
    Transition,
)
from greenport.kernel.errors import InvalidInput, InvalidRows
from tests.cases.helpers import FULL_EVIDENCE, PDF, PHOTO, SITE, T0, evidence_without, new_case

ROWS = sorted(TRANSITIONS.values(), key=lambda t: (t.row, t.from_state))
ROW_IDS = [f"{t.from_state}-{t.action}" for t in ROWS]


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_every_row_leads_where_the_table_says_for_each_of_its_roles(row: Transition) -> None:
    for role in row.roles:
        assert apply(row.from_state, row.action, role=role, evidence=FULL_EVIDENCE) is row.to_state
        assert row.action in allowed_actions(row.from_state, role)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_every_row_refuses_the_other_roles(row: Transition) -> None:
    for role in set(CaseRole) - row.roles:
        with pytest.raises(ActionNotPermitted) as refused:
            apply(row.from_state, row.action, role=role, evidence=FULL_EVIDENCE)
        assert refused.value.status_hint == 403
        assert str(role) in refused.value.message and str(row.action) in refused.value.message
        assert row.action not in allowed_actions(row.from_state, role)


@pytest.mark.parametrize(
    "row", [r for r in ROWS if r.requires], ids=[i for r, i in zip(ROWS, ROW_IDS, strict=True) if r.requires]
)
def test_every_row_refuses_each_missing_piece_of_evidence(row: Transition) -> None:
    role = min(row.roles)
    for requirement in row.requires:
        with pytest.raises(MissingEvidence) as refused:
            apply(row.from_state, row.action, role=role, evidence=evidence_without(requirement))
        assert refused.value.status_hint == 422
        assert refused.value.details["missing"] == [requirement.value]


def test_every_state_and_action_not_in_the_table_is_refused_naming_what_the_state_allows() -> None:
    refused = 0
    for state in CaseState:
        for action in CaseAction:
            if (state, action) in TRANSITIONS:
                continue
            with pytest.raises(IllegalTransition) as error:
                apply(state, action, role=CaseRole.DISPATCHER, evidence=FULL_EVIDENCE)
            assert error.value.status_hint == 409
            assert error.value.details == {
                "state": state.value,
                "action": action.value,
                "allowed": [a.value for a in allowed_actions(state)],
            }
            refused += 1
    assert refused > 100  # the table is sparse: most pairs are illegal


def test_an_illegal_transition_reads_as_a_sentence() -> None:
    with pytest.raises(IllegalTransition) as refused:
        apply(CaseState.CLOSED, CaseAction.SUBMIT, role=CaseRole.HANDLER, evidence=FULL_EVIDENCE)
    assert refused.value.message == (
        "a case in state closed cannot take submit; from closed the allowed actions are reopen, revisit, rate, comment"
    )


def test_the_reply_that_leads_to_closure_needs_a_note_a_photo_and_a_location() -> None:
    with pytest.raises(MissingEvidence) as refused:
        apply(CaseState.IN_PROGRESS, CaseAction.SUBMIT, role=CaseRole.HANDLER, evidence=Evidence(note="done"))
    assert refused.value.message == (
        "submitting needs a note, at least one photo and a location; missing: at least one photo and a location"
    )
    with pytest.raises(MissingEvidence, match=r"closing needs a note; missing: a note$"):
        apply(CaseState.VERIFIED, CaseAction.CLOSE, role=CaseRole.VERIFIER, evidence=Evidence())


def test_submitting_with_a_pdf_only_is_missing_a_photo() -> None:
    evidence = Evidence(note="fixed", attachments=(PDF,), location=SITE)
    with pytest.raises(MissingEvidence, match=r"missing: at least one photo$"):
        apply(CaseState.IN_PROGRESS, CaseAction.SUBMIT, role=CaseRole.HANDLER, evidence=evidence)
    evidence = Evidence(note="fixed", attachments=(PDF, PHOTO), location=SITE)
    assert (
        apply(CaseState.IN_PROGRESS, CaseAction.SUBMIT, role=CaseRole.HANDLER, evidence=evidence)
        is CaseState.SUBMITTED
    )


def test_a_blank_note_is_no_note() -> None:
    with pytest.raises(MissingEvidence, match=r"missing: a note$"):
        apply(
            CaseState.DISPATCHED,
            CaseAction.MARK_MISROUTED,
            role=CaseRole.HANDLER,
            evidence=Evidence(note="  \n"),
        )


def test_buttons_of_a_grid_officer_and_a_town_officer_on_an_in_progress_case() -> None:
    assert allowed_actions(CaseState.IN_PROGRESS, CaseRole.HANDLER) == (
        CaseAction.SUBMIT,
        CaseAction.REQUEST_EXTENSION,
        CaseAction.COMMENT,
    )
    assert allowed_actions(CaseState.IN_PROGRESS, CaseRole.DISPATCHER) == (
        CaseAction.TRANSFER,
        CaseAction.REMIND,
        CaseAction.ESCALATE,
        CaseAction.COMMENT,
    )
    assert allowed_actions(CaseState.CLOSED, CaseRole.CITIZEN) == (CaseAction.REVISIT, CaseAction.RATE)


HAPPY_PATH = [
    (CaseAction.DISPATCH, CaseRole.DISPATCHER),
    (CaseAction.ACCEPT, CaseRole.HANDLER),
    (CaseAction.START, CaseRole.HANDLER),
    (CaseAction.REQUEST_EXTENSION, CaseRole.HANDLER),
    (CaseAction.GRANT_EXTENSION, CaseRole.DISPATCHER),
    (CaseAction.SUBMIT, CaseRole.HANDLER),
    (CaseAction.FAIL_VERIFICATION, CaseRole.VERIFIER),
    (CaseAction.START, CaseRole.HANDLER),
    (CaseAction.SUBMIT, CaseRole.HANDLER),
    (CaseAction.VERIFY, CaseRole.VERIFIER),
    (CaseAction.CLOSE, CaseRole.VERIFIER),
    (CaseAction.REVISIT, CaseRole.CITIZEN),
    (CaseAction.RATE, CaseRole.CITIZEN),
]


def history() -> list[CaseEvent]:
    case, events = new_case(), []
    for minute, (action, role) in enumerate(HAPPY_PATH):
        case, event = act(
            case,
            action,
            role=role,
            actor=str(role),
            at=T0 + timedelta(minutes=minute),
            expected_version=case.version,
            evidence=FULL_EVIDENCE,
        )
        events.append(event)
    assert case.state is CaseState.CLOSED and case.version == len(HAPPY_PATH)
    return events


def test_a_history_replays_to_its_state() -> None:
    events = history()
    assert replay(events) is CaseState.CLOSED
    assert replay(events[:6]) is CaseState.SUBMITTED
    assert replay([]) is CaseState.NEW
    assert [e.version for e in events] == list(range(1, len(events) + 1))


def test_a_history_with_an_illegal_event_names_that_event() -> None:
    events = history()
    skipped = [*events[:2], replace(events[9], version=3, from_state=CaseState.ACCEPTED)]
    with pytest.raises(
        InvalidHistory,
        match=r"^row 3: event 3 \(verify by verifier as verifier at .*\) is not a legal "
        r"transition: a case in state accepted cannot take verify",
    ):
        replay(skipped)
    with pytest.raises(InvalidHistory, match=r"event 2 .* has version 3, expected 2"):
        replay([events[0], events[2]])
    with pytest.raises(
        InvalidHistory, match=r"event 2 .* starts from submitted, but the case was dispatched"
    ):
        replay([events[0], replace(events[1], from_state=CaseState.SUBMITTED)])
    with pytest.raises(InvalidHistory, match=r"event 1 .* ends in closed, but the table says dispatched"):
        replay([replace(events[0], to_state=CaseState.CLOSED)])


def test_the_second_of_two_officers_acting_on_one_version_gets_a_conflict() -> None:
    case, _ = act(
        new_case(), CaseAction.DISPATCH, role=CaseRole.DISPATCHER, actor="town", at=T0, expected_version=0
    )
    loaded = case.version  # both officers load version 1
    first, _ = act(
        case, CaseAction.ACCEPT, role=CaseRole.HANDLER, actor="grid-a", at=T0, expected_version=loaded
    )
    with pytest.raises(VersionConflict) as conflict:
        act(
            first,
            CaseAction.MARK_MISROUTED,
            role=CaseRole.HANDLER,
            actor="grid-b",
            at=T0,
            expected_version=loaded,
            evidence=FULL_EVIDENCE,
        )
    assert conflict.value.message == "conflict: case 7 changed since you loaded it (version 1 → 2)"
    assert conflict.value.status_hint == 409
    assert first.state is CaseState.ACCEPTED and first.version == 2


def test_a_refused_action_changes_nothing() -> None:
    case = new_case()
    with pytest.raises(IllegalTransition):
        act(
            case,
            CaseAction.CLOSE,
            role=CaseRole.VERIFIER,
            actor="town",
            at=T0,
            expected_version=0,
            evidence=FULL_EVIDENCE,
        )
    assert case == new_case()


def test_an_event_carries_its_evidence() -> None:
    case, event = act(
        new_case(),
        CaseAction.COMMENT,
        role=CaseRole.DISPATCHER,
        actor="town",
        at=T0,
        expected_version=0,
        evidence=FULL_EVIDENCE,
    )
    assert case.state is CaseState.NEW and case.version == 1
    assert event.evidence == FULL_EVIDENCE
    assert event.to_dict()["attachments"] == [
        {"sha256": "ab" * 32, "size": 204_800, "media_type": "image/jpeg"}
    ]
    assert event.to_dict()["location"] == {"lon": 120.55, "lat": 31.87}


# ---- the table as data: checked at import, errors name the line and the column -------------------

HEADER = "from_state,action,to_state,roles,requires,source\n"
GOOD = Path(__file__).parents[2] / "greenport" / "cases" / "data" / "transitions.csv"


def table_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "transitions.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_table_loads_and_every_row_names_its_source() -> None:
    table = load_transitions(GOOD)
    assert table == TRANSITIONS
    assert all(t.source for t in table.values())
    assert {t.from_state for t in table.values()} == set(CaseState)


def test_unknown_names_are_reported_by_line_and_column(tmp_path: Path) -> None:
    text = GOOD.read_text(encoding="utf-8").replace(
        "new,dispatch,dispatched,dispatcher|system,,", "new,dispach,dispatched,dispatcher|mayor,photograph,"
    )
    with pytest.raises(InvalidRows) as error:
        load_transitions(table_file(tmp_path, text))
    line = next(n for n, s in enumerate(text.splitlines(), start=1) if s.startswith("new,dispach"))
    assert {(e.row, e.column) for e in error.value.errors} == {
        (line, "action"),
        (line, "roles"),
        (line, "requires"),
    }
    assert "dispach" in error.value.errors[0].message


def test_a_state_action_pair_defined_twice_is_refused(tmp_path: Path) -> None:
    text = GOOD.read_text(encoding="utf-8") + "new,dispatch,closed,dispatcher,,again\n"
    with pytest.raises(InvalidRows, match=r"new \+ dispatch is already defined on line"):
        load_transitions(table_file(tmp_path, text))


def test_a_state_no_transition_leads_to_is_refused(tmp_path: Path) -> None:
    text = "\n".join(
        line for line in GOOD.read_text(encoding="utf-8").splitlines() if ",reopen,reopened," not in line
    )
    with pytest.raises(InvalidInput, match=r"no transitions lead from new to reopened"):
        load_transitions(table_file(tmp_path, text + "\n"))


def test_a_state_closed_cannot_be_reached_from_is_refused(tmp_path: Path) -> None:
    # a returned case that can never be started again: a dead end short of closed
    text = GOOD.read_text(encoding="utf-8").replace("accepted|returned,start,", "accepted,start,")
    with pytest.raises(InvalidInput, match=r"closed cannot be reached from returned$"):
        load_transitions(table_file(tmp_path, text))


def test_wrong_columns_are_refused(tmp_path: Path) -> None:
    with pytest.raises(
        InvalidInput, match=r"the columns are from_state, action, to_state, roles, requires, source"
    ):
        load_transitions(table_file(tmp_path, "from,action,to\nnew,dispatch,dispatched\n"))


def test_requirements_are_the_ones_the_issue_names() -> None:
    submit = TRANSITIONS[(CaseState.IN_PROGRESS, CaseAction.SUBMIT)]
    close = TRANSITIONS[(CaseState.VERIFIED, CaseAction.CLOSE)]
    assert submit.requires == (Requirement.NOTE, Requirement.PHOTO, Requirement.LOCATION)
    # closure's photos and location are the submission's: the only way to closed is through submit
    assert close.requires == (Requirement.NOTE,)
    into_verified = {
        t.from_state
        for t in TRANSITIONS.values()
        if t.to_state is CaseState.VERIFIED and t.from_state is not t.to_state
    }
    into_submitted = {
        t.action
        for t in TRANSITIONS.values()
        if t.to_state is CaseState.SUBMITTED and t.from_state is not t.to_state
    }
    assert into_verified == {CaseState.SUBMITTED} and into_submitted == {CaseAction.SUBMIT}
