"""Sessions and API tokens as the accounts service keeps them: a credential resolves to its
principal until it is logged out, revoked or expired; tokens come only from a session, always
expire within the maximum, and only their owner (or a city admin) may revoke them; log-out with
a token revokes it and leaves an audit entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from greenport.accounts import service as accounts
from greenport.accounts.errors import NotAuthenticated
from greenport.accounts.model import ANONYMOUS, COMMAND_LINE, Principal
from greenport.kernel.errors import InvalidInput, NotFound, PermissionDenied
from greenport.kernel.time import utcnow
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.accounts.conftest import PARK_USER, PASSWORD

IP = "192.0.2.10"


def _signed_in(db: Database, username: str) -> tuple[Principal, str]:
    """A log-in of ``username`` and the id of the session it opened."""
    with UnitOfWork(db) as uow:
        principal = accounts.log_in(uow, username=username, password=PASSWORD, ip=IP, demo_logins=True)
        return principal, accounts.open_session(uow, principal=principal)


def _resolve(db: Database, **credential: str | None) -> Principal:
    with UnitOfWork(db) as uow:
        return accounts.resolve_principal(uow, **credential)


def test_a_session_stands_for_its_user_until_log_out(people: Database) -> None:
    principal, session_id = _signed_in(people, PARK_USER)
    resolved = _resolve(people, session_id=session_id)
    assert resolved == principal and resolved.via == "session"
    assert resolved.park_id is not None and resolved.scope.park_id == resolved.park_id
    with UnitOfWork(people) as uow:
        accounts.log_out(uow, principal=resolved, session_id=session_id, ip=IP)
    assert _resolve(people, session_id=session_id) is ANONYMOUS
    assert _resolve(people, session_id="no such session") is ANONYMOUS
    assert _resolve(people) is ANONYMOUS


def test_a_session_expires(people: Database) -> None:
    principal, _ = _signed_in(people, "town_officer")
    with UnitOfWork(people) as uow:
        session_id = accounts.open_session(uow, principal=principal, now=utcnow() - accounts.SESSION_LIFETIME)
    assert _resolve(people, session_id=session_id) is ANONYMOUS


def test_tokens_come_from_a_session_and_always_expire(people: Database) -> None:
    principal, _ = _signed_in(people, "town_officer")
    with UnitOfWork(people) as uow:
        with pytest.raises(InvalidInput) as too_long:
            accounts.issue_token(uow, principal=principal, name="feed", days=91, max_days=90)
        assert too_long.value.field == "days"
        token = accounts.issue_token(uow, principal=principal, name="feed", days=90, max_days=90)
    by_token = _resolve(people, bearer=token)
    assert by_token.username == "town_officer" and by_token.via == "token"
    with UnitOfWork(people) as uow, pytest.raises(PermissionDenied, match="session"):
        accounts.issue_token(uow, principal=by_token, name="child", days=1, max_days=90)
    with UnitOfWork(people) as uow:
        old = accounts.issue_token(
            uow, principal=principal, name="old", days=1, max_days=90, now=utcnow() - timedelta(days=2)
        )
        [listed_old, listed_feed] = accounts.list_tokens(uow, user_id=principal.user_id)
    assert (listed_old["name"], listed_feed["name"]) == ("old", "feed")
    assert token not in str(listed_feed) and not listed_feed["revoked"]
    with pytest.raises(NotAuthenticated, match="expired"):
        _resolve(people, bearer=old)


def test_log_out_with_a_token_revokes_it_and_is_audited(people: Database) -> None:
    principal, _ = _signed_in(people, "town_officer")
    with UnitOfWork(people) as uow:
        token = accounts.issue_token(uow, principal=principal, name="feed", days=1, max_days=90)
    by_token = _resolve(people, bearer=token)
    with UnitOfWork(people) as uow:
        accounts.log_out(uow, principal=by_token, bearer=token, ip=IP)
    with pytest.raises(NotAuthenticated):
        _resolve(people, bearer=token)
    with UnitOfWork(people) as uow:
        [entry] = accounts.audit_entries(uow, limit=1)
    assert (entry["username"], entry["action"], entry["entity"], entry["detail"], entry["ip"]) == (
        "town_officer",
        "revoke",
        "api_token",
        {"by": "logout"},
        IP,
    )


def test_only_the_owner_or_a_city_admin_revokes_a_token(people: Database) -> None:
    officer, _ = _signed_in(people, "town_officer")
    admin, _ = _signed_in(people, "city_admin")
    park_user, _ = _signed_in(people, PARK_USER)
    with UnitOfWork(people) as uow:
        first = accounts.issue_token(uow, principal=officer, name="first", days=1, max_days=90)
        second = accounts.issue_token(uow, principal=officer, name="second", days=1, max_days=90)
        first_id, second_id = (row["id"] for row in accounts.list_tokens(uow, user_id=officer.user_id)[::-1])
    with UnitOfWork(people) as uow, pytest.raises(NotFound):  # someone else's answers as a missing one
        accounts.revoke_token(uow, token_id=first_id, by=park_user)
    with UnitOfWork(people) as uow:
        accounts.revoke_token(uow, token_id=first_id, by=admin)
        accounts.revoke_token(uow, token_id=second_id)  # the operator at the command line
        accounts.record_audit(uow, principal=COMMAND_LINE, action="revoke", entity="api_token")
    for token in (first, second):
        with pytest.raises(NotAuthenticated):
            _resolve(people, bearer=token)
    with UnitOfWork(people) as uow, pytest.raises(NotFound):
        accounts.revoke_token(uow, token_id=10_000)


def test_a_disabled_account_loses_its_credentials(people: Database) -> None:
    principal, session_id = _signed_in(people, "town_officer")
    with UnitOfWork(people) as uow:
        token = accounts.issue_token(uow, principal=principal, name="feed", days=1, max_days=90)
        uow.session.execute(text("UPDATE users SET active = false WHERE username = 'town_officer'"))
    for credential in ({"bearer": token}, {"session_id": session_id}):
        with pytest.raises(NotAuthenticated, match="disabled"):
            _resolve(people, **credential)
