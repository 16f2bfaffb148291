"""Who is calling and what they may see: principals, role gates, sessions, tokens, CSRF.

* Pages authenticate with a session cookie (``gp_session``) holding a session id signed with
  ``settings.secret_key`` (itsdangerous); the database keeps only the id's SHA-256 digest, so a
  session can be revoked (log-out) and a stolen database cannot be replayed.
* Integrations send ``Authorization: Bearer <token>``; tokens are random, shown once, stored as
  their digest, always expire (at most ``GREENPORT_TOKEN_MAX_DAYS``), are created only from a
  session (a token cannot mint tokens) and can be listed and revoked; log-out with a token
  revokes that token.
* Every route declares :class:`Allow` (roles, optionally anonymous). The role decides the
  *routes*; :meth:`Principal.scope` decides the *rows* (town, park, enterprise, disclosed only).
* Forms use a double-submit CSRF token: cookie ``gp_csrf`` must equal the ``csrf_token`` form
  field or the ``X-CSRF-Token`` header (HTMX sends the header). Bearer calls carry no ambient
  credential and need no CSRF token.
* Log-in is rate limited (:data:`LOGIN_LIMITS`, from ``login_limits.csv``) per (user name,
  client address), per address and, much higher, per user name; each attempt is reserved
  atomically *before* its password is checked. Keying the lock by (user, address) means that an
  attacker elsewhere cannot lock a user out by failing five times.
* Outside the demo and development modes a demo account cannot log in
  (:func:`greenport.demo.credentials.is_demo_login`).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from itsdangerous import BadSignature, URLSafeTimedSerializer

from greenport.accounts import passwords
from greenport.accounts.model import ANONYMOUS, Principal, Role, RowScope
from greenport.demo.credentials import is_demo_login, made_by_demo
from greenport.kernel.errors import InvalidInput, NotFound, PermissionDenied
from greenport.kernel.time import utcnow
from greenport.web.errors import CsrfFailed, NotAuthenticated, TooManyAttempts

SESSION_COOKIE = "gp_session"
CSRF_COOKIE = "gp_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class LoginLimit:
    """At most ``max_attempts`` failed (or in-flight) log-in attempts per key within ``window``."""

    key: str  # user_ip | ip | user
    max_attempts: int
    window: timedelta


def _load_login_limits(path: Path) -> tuple[LoginLimit, ...]:
    with path.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return tuple(
            LoginLimit(row["key"], int(row["max_attempts"]), timedelta(minutes=int(row["window_minutes"])))
            for row in rows
        )


#: Log-in rate limits, checked in this order (``login_limits.csv`` names the sources).
LOGIN_LIMITS: tuple[LoginLimit, ...] = _load_login_limits(Path(__file__).with_name("login_limits.csv"))
LOGIN_WINDOW = max(limit.window for limit in LOGIN_LIMITS)


class Allow:
    """Route gate: ``Depends(Allow(Role.X, ...))``. Every ``/api`` route must carry one (the
    role-by-route test finds them through ``app.routes``)."""

    def __init__(self, *roles: Role | frozenset[Role], anonymous: bool = False) -> None:
        flat: set[Role] = set()
        for item in roles:
            flat |= set(item) if isinstance(item, frozenset) else {item}
        self.roles = frozenset(flat)
        self.anonymous = anonymous

    def __repr__(self) -> str:
        return f"Allow({sorted(self.roles)}, anonymous={self.anonymous})"

    def permits(self, principal: Principal) -> bool:
        if not principal.authenticated:
            return self.anonymous
        return principal.role in self.roles or (self.anonymous and principal.role is Role.PUBLIC)

    def check(self, principal: Principal) -> Principal:
        if self.permits(principal):
            return principal
        if not principal.authenticated:
            raise NotAuthenticated("log in to use this resource")
        raise PermissionDenied(f"role {principal.role.value!r} may not use this resource")


# --- secrets ------------------------------------------------------------------------------------


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def signer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="greenport-session")


def unsign_session(secret_key: str, cookie: str) -> str | None:
    try:
        value = signer(secret_key).loads(cookie, max_age=int(SESSION_LIFETIME.total_seconds()))
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def csrf_ok(cookie_token: str | None, sent_token: str | None) -> bool:
    return bool(cookie_token) and bool(sent_token) and hmac.compare_digest(str(cookie_token), str(sent_token))


def require_csrf(cookie_token: str | None, sent_token: str | None) -> None:
    if not csrf_ok(cookie_token, sent_token):
        raise CsrfFailed("missing or wrong CSRF token: reload the page and try again", field=CSRF_FIELD)


# --- use cases over uow.web ---------------------------------------------------------------------


class AccountsReads(Protocol):
    def user_credentials(self, username: str) -> tuple[dict[str, Any], str] | None: ...
    def user(self, user_id: int) -> dict[str, Any] | None: ...
    def set_password_hash(self, user_id: int, password_hash: str) -> None: ...
    def add_session(self, *, digest: str, user_id: int, expires_at: datetime) -> None: ...
    def session_user_id(self, digest: str, *, now: datetime) -> int | None: ...
    def revoke_session(self, digest: str) -> None: ...
    def add_token(self, *, digest: str, name: str, user_id: int, expires_at: datetime) -> int: ...
    def token_user_id(self, digest: str, *, now: datetime) -> int | None: ...
    def tokens(self, *, user_id: int | None = None) -> list[dict[str, Any]]: ...
    def token_owner(self, token_id: int) -> tuple[int, str] | None: ...
    def revoke_token(self, *, token_id: int | None = None, digest: str | None = None) -> bool: ...
    def password_hashes(self) -> list[tuple[str, str]]: ...
    def record_login_attempt(self, *, username: str, ip: str, success: bool, at: datetime) -> None: ...
    def reserve_login_attempt(self, key: str, *, now: datetime, window: timedelta) -> int: ...
    def release_login_attempt(self, key: str) -> None: ...
    def clear_login_attempts(self, key: str) -> None: ...
    def audit(
        self,
        *,
        user_id: int | None,
        username: str,
        action: str,
        entity: str,
        entity_id: str | None = None,
        detail: dict[str, Any] | None = None,
        ip: str | None = None,
    ) -> None: ...


class ParkReads(Protocol):
    def visible_parks(self, scope: RowScope) -> list[dict[str, Any]]: ...


class HasAccounts(Protocol):
    accounts: AccountsReads
    registry: ParkReads

    def commit(self) -> None: ...


def principal_from_user(uow: HasAccounts, user: dict[str, Any], *, via: str) -> Principal:
    park_town = None
    if user.get("park_id") is not None:
        parks = uow.registry.visible_parks(RowScope(park_id=user["park_id"]))
        park_town = parks[0]["town_code"] if parks else None
    return Principal(
        user_id=user["id"],
        username=user["username"],
        display_name=user["display_name"],
        role=Role(user["role"]),
        division_code=user.get("division_code"),
        enterprise_id=user.get("enterprise_id"),
        park_id=user.get("park_id"),
        park_town_code=park_town,
        via=via,
    )


def login_key(limit: LoginLimit, *, username: str, ip: str) -> str:
    """The counter a log-in attempt is reserved under for ``limit``."""
    return {"user_ip": f"user-ip:{username}|{ip}", "ip": f"ip:{ip}", "user": f"user:{username}"}[limit.key]


def authenticate(
    uow: HasAccounts,
    *,
    username: str,
    password: str,
    ip: str,
    demo_logins: bool,
    now: datetime | None = None,
) -> Principal:
    """Check a log-in; raises :class:`TooManyAttempts` or :class:`NotAuthenticated`.

    1. One attempt is reserved under each key of :data:`LOGIN_LIMITS` in turn (an atomic
       upsert each) and committed *before* the password is checked, so parallel attempts
       cannot all pass the limit: past a limit the attempt is refused unchecked (429), and
       the next keys are not counted (so an attacker locked at one address cannot use up the
       user's much larger all-address allowance from there).
    2. The password is checked; every checked attempt is recorded in ``login_attempts``.
    3. Success clears the (user, address) counter and gives the other reservations back.

    ``demo_logins`` False (production): a demo account (made by the demo city, or whose
    password is the public demo-derived one) is refused even with the right password.
    ``now``: the clock (default: the current UTC time).
    """
    now = now or utcnow()
    uow.commit()  # start the reservations in a fresh transaction (SQLite: first statement writes)
    reserved: list[str] = []
    for limit in LOGIN_LIMITS:
        key = login_key(limit, username=username, ip=ip)
        attempts = uow.accounts.reserve_login_attempt(key, now=now, window=limit.window)
        reserved.append(key)
        if attempts > limit.max_attempts:
            uow.commit()
            raise TooManyAttempts(
                f"too many failed log-ins; try again in {int(limit.window.total_seconds() // 60)} minutes",
                field="username",
            )
    uow.commit()  # every parallel attempt now sees these reservations
    found = uow.accounts.user_credentials(username)
    ok = found is not None and found[0]["active"] and passwords.verify_password(found[1], password)
    demo_refused = found is not None and not demo_logins and is_demo_login(username, password, found[1])
    uow.accounts.record_login_attempt(username=username, ip=ip, success=bool(ok) and not demo_refused, at=now)
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
    if passwords.needs_rehash(stored):
        uow.accounts.set_password_hash(user["id"], passwords.hash_password(password))
    return principal_from_user(uow, user, via="session")


def demo_accounts(uow: HasAccounts) -> list[str]:
    """User names of the active accounts the demo city made (public passwords), sorted."""
    return sorted(name for name, stored in uow.accounts.password_hashes() if made_by_demo(name, stored))


def refuse_demo_accounts(uow: HasAccounts, *, mode: str) -> None:
    """Refuse to serve in ``production`` while accounts made by the demo city exist: their
    passwords can be computed by anyone from ``greenport.demo.credentials``."""
    if mode != "production":
        return
    found = demo_accounts(uow)
    if found:
        raise RuntimeError(
            f"refusing to serve in production mode: {len(found)} demo account(s) with public passwords "
            f"exist ({', '.join(found[:10])}{', ...' if len(found) > 10 else ''}); this database was "
            "built by `greenport demo`: deactivate or delete them, or use a production database"
        )


def open_session(uow: HasAccounts, *, principal: Principal) -> str:
    """Create a session row and return the (unsigned) session id for the cookie."""
    assert principal.user_id is not None
    session_id = new_secret()
    uow.accounts.add_session(
        digest=digest(session_id), user_id=principal.user_id, expires_at=utcnow() + SESSION_LIFETIME
    )
    return session_id


def issue_token(
    uow: HasAccounts,
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
    assert principal.user_id is not None
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


def list_tokens(uow: HasAccounts, *, user_id: int | None = None) -> list[dict[str, Any]]:
    """Tokens of one user (or of everyone), newest first; never their secret."""
    return uow.accounts.tokens(user_id=user_id)


def revoke_token(uow: HasAccounts, *, token_id: int, by: Principal | None = None) -> str:
    """Revoke token ``token_id``. ``by`` (a web caller) may revoke its own tokens, a city admin
    any; ``None`` is the operator at the command line. Someone else's token answers
    :class:`NotFound`, as a missing one does (the caller learns nothing of other users).
    Returns the token's digest (to evict it from caches)."""
    found = uow.accounts.token_owner(token_id)
    if found is None or (by is not None and by.role is not Role.CITY_ADMIN and found[0] != by.user_id):
        raise NotFound(f"no token {token_id}", field="token_id")
    uow.accounts.revoke_token(token_id=token_id)
    return found[1]


def revoke_bearer(uow: HasAccounts, *, bearer: str) -> None:
    """Revoke the token a caller authenticated with (log-out with a bearer token)."""
    uow.accounts.revoke_token(digest=digest(bearer))


def resolve(
    uow: HasAccounts, *, secret_key: str, bearer: str | None, session_cookie: str | None
) -> Principal:
    """The principal of a request from its bearer token or session cookie (else anonymous)."""
    now = utcnow()
    if bearer:
        user_id = uow.accounts.token_user_id(digest(bearer), now=now)
        if user_id is None:
            raise NotAuthenticated("invalid or expired bearer token")
        via = "token"
    elif session_cookie:
        session_id = unsign_session(secret_key, session_cookie)
        user_id = uow.accounts.session_user_id(digest(session_id), now=now) if session_id else None
        if user_id is None:
            return ANONYMOUS
        via = "session"
    else:
        return ANONYMOUS
    user = uow.accounts.user(user_id)
    if user is None or not user["active"]:
        raise NotAuthenticated("account disabled")
    return principal_from_user(uow, user, via=via)
