"""Use cases of accounts: users (create, read, list), log-in, sessions, API tokens, demo
accounts and the audit log.

* Passwords go through :mod:`greenport.accounts.passwords` (argon2id); a hash made with old
  parameters is replaced at the next successful log-in (:func:`log_in`).
* A log-in is rate limited per (user name, client address), per address and per user name
  (:mod:`greenport.accounts.login_limits`); each attempt is reserved atomically *before* its
  password is checked.
* Sessions and tokens are random secrets (:mod:`greenport.accounts.secret_tokens`) stored as
  their SHA-256: :func:`open_session`, :func:`issue_token`, :func:`resolve_principal` (a
  credential to the :class:`Principal` it stands for), :func:`log_out`, :func:`revoke_token`.
  Tokens always expire and are created only from a session (a token cannot mint tokens).
* Outside the demo and development modes a demo account cannot log in and a database holding
  one is not served (:mod:`greenport.accounts.demo_accounts`).

The web keeps only what is HTTP (cookies, their signature, CSRF, route gates) and maps
:class:`NotAuthenticated` to 401 and :class:`TooManyAttempts` to 429.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from greenport.accounts.demo_accounts import is_demo_login, made_by_demo
from greenport.accounts.errors import NotAuthenticated, TooManyAttempts
from greenport.accounts.login_limits import LOGIN_LIMITS
from greenport.accounts.model import ANONYMOUS, Principal, Role, User
from greenport.accounts.passwords import hash_password, needs_rehash, verify_password
from greenport.accounts.ports import AccountsUnitOfWork
from greenport.accounts.scopes import parse_user, validate_password
from greenport.accounts.secret_tokens import digest, new_secret
from greenport.kernel.errors import InvalidInput, NotFound, PermissionDenied
from greenport.kernel.fields import raise_problems
from greenport.kernel.time import utcnow

#: How long a browser session lasts after log-in (the signed cookie expires with it).
SESSION_LIFETIME = timedelta(hours=12)


# --- users ----------------------------------------------------------------------------------------


def create_user(
    uow: AccountsUnitOfWork,
    *,
    username: str,
    password: str,
    role: Role | str,
    display_name: str | None = None,
    division_code: str | None = None,
    enterprise_id: int | None = None,
    park_code: str | None = None,
    department: str | None = None,
    salt: bytes | None = None,
    registered_at: datetime | None = None,
) -> User:
    """Create a user; the scope must fit the role (:mod:`greenport.accounts.scopes`).

    ``salt`` and ``registered_at`` (default: now) only for reproducible fixtures (the demo city). Raises :class:`InvalidInput`
    naming the field, or :class:`Conflict` for a taken username.
    """
    taken = bool(username) and uow.accounts.get_user(str(username).strip()) is not None
    user, problems = parse_user(
        {
            "username": username,
            "display_name": display_name,
            "role": role,
            "division_code": division_code,
            "enterprise_id": enterprise_id,
            "park_code": park_code,
            "department": department,
        },
        uow.registry,
        username_taken=taken,
    )
    raise_problems(problems, what="user")
    validate_password(password)
    assert user is not None
    return uow.accounts.add_user(
        user, password_hash=hash_password(password, salt=salt), created_at=registered_at
    )


def get_user(uow: AccountsUnitOfWork, *, username: str) -> User:
    """The user ``username``; :class:`NotFound` naming it when there is none."""
    found = uow.accounts.get_user(username.strip())
    if found is None:
        raise NotFound(f"no user {username}", field="username")
    return found


def list_users(uow: AccountsUnitOfWork, *, role: Role | None = None) -> list[User]:
    return uow.accounts.list_users(role=role)


#: An e-mail address as GreenPort accepts it: one ``@``, a dot in the domain, no spaces or line
#: breaks (a line break in a header would let a value add headers of its own); at most 320
#: characters (RFC 5321 §4.5.3.1: 64 local + @ + 255 domain).
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def set_email(uow: AccountsUnitOfWork, *, username: str, email: str | None) -> User:
    """Set the e-mail address notifications of ``username`` go to (None or "": none).

    Raises :class:`InvalidInput` (field ``email``) for a malformed address, :class:`NotFound`
    for an unknown user."""
    address = (email or "").strip() or None
    if address is not None and (len(address) > 320 or not EMAIL_PATTERN.match(address)):
        raise InvalidInput(f"not an e-mail address: {address[:80]!r}", field="email")
    if not uow.accounts.set_email(username.strip(), address):
        raise NotFound(f"no user {username}", field="username")
    return get_user(uow, username=username)


def principal_of(uow: AccountsUnitOfWork, user: User) -> Principal:
    """``user`` as a caller (its role and scope), e.g. to decide which notices reach them."""
    return _principal(uow, user, via="notification")


# --- log-in ---------------------------------------------------------------------------------------


def log_in(
    uow: AccountsUnitOfWork,
    *,
    username: str,
    password: str,
    ip: str,
    demo_logins: bool,
    now: datetime | None = None,
) -> Principal:
    """The principal of a log-in with ``username`` and ``password`` from client address ``ip``;
    raises :class:`TooManyAttempts` or :class:`NotAuthenticated`.

    1. One attempt is reserved under each key of :data:`~greenport.accounts.login_limits.LOGIN_LIMITS`
       in turn (an atomic upsert each) and committed *before* the password is checked, so
       parallel attempts cannot all pass the limit: past a limit the attempt is refused
       unchecked, and the next keys are not counted (so an attacker locked at one address
       cannot use up the user's much larger all-address allowance from there).
    2. The password is checked (unknown user, wrong password and inactive account are one
       answer); every checked attempt is recorded in ``login_attempts``.
    3. Success clears the (user, address) counter, gives the other reservations back and
       re-hashes a password hash made with outdated parameters.

    ``demo_logins`` False (production): a demo account (made by the demo city, or whose
    password is the public demo-derived one) is refused even with the right password.
    ``now``: the clock (default: the current UTC time).
    """
    now = now or utcnow()
    uow.commit()  # start the reservations in a fresh transaction (SQLite: first statement writes)
    reserved: list[str] = []
    for limit in LOGIN_LIMITS:
        key = limit.counter_key(username=username, ip=ip)
        attempts = uow.accounts.reserve_login_attempt(key, now=now, window=limit.window)
        reserved.append(key)
        if limit.exceeded_by(attempts):
            uow.commit()
            raise TooManyAttempts(
                f"too many failed log-ins; try again in {limit.window_minutes} minutes", field="username"
            )
    uow.commit()  # every parallel attempt now sees these reservations
    found = uow.accounts.user_credentials(username)
    ok = found is not None and found[0].active and verify_password(found[1], password)
    demo_refused = found is not None and not demo_logins and is_demo_login(username, password, found[1])
    uow.accounts.record_login_attempt(username=username, ip=ip, success=ok and not demo_refused, at=now)
    if demo_refused:
        uow.commit()
        raise NotAuthenticated(
            "demo accounts cannot log in outside the demo and development modes", field="username"
        )
    if not ok or found is None:
        uow.commit()
        raise NotAuthenticated("wrong user name or password", field="password")
    uow.accounts.clear_login_attempts(reserved[0])
    for key in reserved[1:]:
        uow.accounts.release_login_attempt(key)
    user, stored = found
    if needs_rehash(stored):
        uow.accounts.set_password_hash(user.username, hash_password(password))
    return _principal(uow, user, via="session")


def _principal(uow: AccountsUnitOfWork, user: User, *, via: str) -> Principal:
    """The caller ``user`` authenticated ``via`` a session or a token; a park user's scope is
    its park (id and town)."""
    park = uow.accounts.park_of(user.park_code) if user.park_code is not None else None
    assert user.id is not None
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        division_code=user.division_code,
        enterprise_id=user.enterprise_id,
        park_id=park[0] if park is not None else None,
        park_town_code=park[1] if park is not None else None,
        via=via,
        department=user.department,
    )


# --- sessions -------------------------------------------------------------------------------------


def open_session(uow: AccountsUnitOfWork, *, principal: Principal, now: datetime | None = None) -> str:
    """Start a session of ``principal`` lasting :data:`SESSION_LIFETIME` and return its id (the
    secret the browser's cookie carries; only its digest is stored)."""
    if principal.user_id is None:
        raise NotAuthenticated("log in before starting a session")
    session_id = new_secret()
    uow.accounts.add_session(
        digest=digest(session_id),
        user_id=principal.user_id,
        expires_at=(now or utcnow()) + SESSION_LIFETIME,
    )
    return session_id


def resolve_principal(
    uow: AccountsUnitOfWork,
    *,
    bearer: str | None = None,
    session_id: str | None = None,
    now: datetime | None = None,
) -> Principal:
    """Who a credential stands for: a ``bearer`` token first, else a ``session_id``, else
    :data:`ANONYMOUS`.

    A bearer token that is unknown, revoked or expired raises :class:`NotAuthenticated` (an
    integration must learn that its token stopped working); an ended session is merely
    anonymous (the browser is sent to log in). A disabled account raises
    :class:`NotAuthenticated` either way.
    """
    now = now or utcnow()
    if bearer:
        user_id = uow.accounts.token_user_id(digest(bearer), now=now)
        if user_id is None:
            raise NotAuthenticated("invalid or expired bearer token")
        via = "token"
    elif session_id:
        user_id = uow.accounts.session_user_id(digest(session_id), now=now)
        if user_id is None:
            return ANONYMOUS
        via = "session"
    else:
        return ANONYMOUS
    user = uow.accounts.user_by_id(user_id)
    if user is None or not user.active:
        raise NotAuthenticated("account disabled")
    return _principal(uow, user, via=via)


def log_out(
    uow: AccountsUnitOfWork,
    *,
    principal: Principal,
    bearer: str | None = None,
    session_id: str | None = None,
    ip: str | None = None,
) -> None:
    """End the credential ``principal`` came with: its bearer token is revoked (and the
    revocation audited), else its session ends. Ending an unknown or ended credential is a
    no-op."""
    if principal.via == "token" and bearer:
        uow.accounts.revoke_token(digest=digest(bearer))
        record_audit(
            uow, principal=principal, action="revoke", entity="api_token", detail={"by": "logout"}, ip=ip
        )
    elif session_id:
        uow.accounts.revoke_session(digest(session_id))


# --- API tokens -----------------------------------------------------------------------------------


def issue_token(
    uow: AccountsUnitOfWork,
    *,
    principal: Principal,
    name: str,
    days: int,
    max_days: int,
    now: datetime | None = None,
) -> str:
    """Create a bearer token for ``principal`` valid ``days`` (1..``max_days``) and return it
    (it is never shown again; the database keeps its SHA-256).

    Only a session (a log-in with the password) may create a token: a token that could mint
    tokens would let a leaked token outlive its own expiry and revocation.
    """
    if principal.user_id is None:
        raise NotAuthenticated("log in to create a token")
    if principal.via != "session":
        raise PermissionDenied(
            "tokens are created from a signed-in session (log in with your password), not with a token"
        )
    if not 1 <= days <= max_days:
        raise InvalidInput(
            f"days must be between 1 and {max_days} (GREENPORT_TOKEN_MAX_DAYS), got {days}", field="days"
        )
    token = "gp_" + new_secret()
    expires = (now or utcnow()) + timedelta(days=days)
    uow.accounts.add_token(digest=digest(token), name=name, user_id=principal.user_id, expires_at=expires)
    return token


def list_tokens(uow: AccountsUnitOfWork, *, user_id: int | None = None) -> list[dict[str, Any]]:
    """Tokens of one user (or of everyone), newest first; never their secret."""
    return uow.accounts.tokens(user_id=user_id)


def revoke_token(uow: AccountsUnitOfWork, *, token_id: int, by: Principal | None = None) -> str:
    """Revoke token ``token_id``. ``by`` (a web caller) may revoke its own tokens, a city admin
    any; ``None`` is the operator at the command line. Someone else's token answers
    :class:`NotFound`, as a missing one does (the caller learns nothing of other users).
    Returns the token's digest (to evict it from caches)."""
    found = uow.accounts.token_owner(token_id)
    if found is None or (by is not None and by.role is not Role.CITY_ADMIN and found[0] != by.user_id):
        raise NotFound(f"no token {token_id}", field="token_id")
    uow.accounts.revoke_token(token_id=token_id)
    return found[1]


# --- demo accounts --------------------------------------------------------------------------------


def demo_accounts(uow: AccountsUnitOfWork) -> list[str]:
    """User names of the active accounts the demo city made (public passwords), sorted."""
    return sorted(name for name, stored in uow.accounts.password_hashes() if made_by_demo(name, stored))


def refuse_demo_accounts(uow: AccountsUnitOfWork, *, mode: str) -> None:
    """Refuse to serve in ``production`` while accounts made by the demo city exist: their
    passwords can be computed by anyone (:mod:`greenport.accounts.demo_accounts`). Raises
    :class:`RuntimeError` naming them."""
    if mode != "production":
        return
    found = demo_accounts(uow)
    if found:
        raise RuntimeError(
            f"refusing to serve in production mode: {len(found)} demo account(s) with public passwords "
            f"exist ({', '.join(found[:10])}{', ...' if len(found) > 10 else ''}); this database was "
            "built by `greenport demo`: deactivate or delete them, or use a production database"
        )


# --- audit ----------------------------------------------------------------------------------------


def record_audit(
    uow: AccountsUnitOfWork,
    *,
    principal: Principal,
    action: str,
    entity: str,
    entity_id: str | None = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    """Append one entry to the audit log: who (``principal``) did ``action`` to ``entity``
    (``entity_id``), with what ``detail``, from which address. Entries are never edited."""
    uow.accounts.audit(
        user_id=principal.user_id,
        username=principal.username,
        action=action,
        entity=entity,
        entity_id=entity_id,
        detail=detail,
        ip=ip,
    )


def audit_entries(uow: AccountsUnitOfWork, *, limit: int = 200) -> list[dict[str, Any]]:
    """The newest ``limit`` audit-log entries, newest first."""
    return uow.accounts.audit_entries(limit=limit)
