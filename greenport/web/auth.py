"""What of authentication is HTTP: cookie names, the signed session cookie, CSRF, route gates.

Who a credential stands for, log-in limits, sessions and tokens are the accounts feature's
(:mod:`greenport.accounts.service`); this module only carries credentials in and out of HTTP.

* Pages authenticate with a session cookie (``gp_session``) holding a session id signed with
  ``settings.secret_key`` (itsdangerous); the database keeps only the id's SHA-256 digest, so a
  session can be revoked (log-out) and a stolen database cannot be replayed.
* Integrations send ``Authorization: Bearer <token>`` (:func:`greenport.accounts.service.issue_token`).
* Every route declares :class:`Allow` (roles, optionally anonymous). The role decides the
  *routes*; :meth:`Principal.scope` decides the *rows* (town, park, enterprise, disclosed only).
* Forms use a double-submit CSRF token: cookie ``gp_csrf`` must equal the ``csrf_token`` form
  field or the ``X-CSRF-Token`` header (HTMX sends the header). Bearer calls carry no ambient
  credential and need no CSRF token.
"""

from __future__ import annotations

import hmac

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

from greenport.accounts.errors import NotAuthenticated
from greenport.accounts.model import Principal, Role
from greenport.accounts.secret_tokens import new_secret
from greenport.accounts.service import SESSION_LIFETIME
from greenport.kernel.errors import PermissionDenied
from greenport.web.errors import CsrfFailed

SESSION_COOKIE = "gp_session"
CSRF_COOKIE = "gp_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


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


# --- the session cookie ---------------------------------------------------------------------------


def signer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="greenport-session")


def unsign_session(secret_key: str, cookie: str) -> str | None:
    """The session id a session cookie carries; None when its signature is wrong or it is older
    than :data:`~greenport.accounts.service.SESSION_LIFETIME`."""
    try:
        value = signer(secret_key).loads(cookie, max_age=int(SESSION_LIFETIME.total_seconds()))
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def set_session_cookies(response: Response, *, secret_key: str, session_id: str, secure: bool) -> str:
    """Give the browser the signed session cookie of ``session_id`` and a fresh CSRF cookie;
    returns the CSRF token (``secure``: cookies only over HTTPS, in production)."""
    response.set_cookie(
        SESSION_COOKIE,
        signer(secret_key).dumps(session_id),
        httponly=True,
        samesite="lax",
        secure=secure,
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )
    csrf = new_secret()
    response.set_cookie(CSRF_COOKIE, csrf, httponly=False, samesite="strict", secure=secure)
    return csrf


# --- CSRF -----------------------------------------------------------------------------------------


def csrf_ok(cookie_token: str | None, sent_token: str | None) -> bool:
    return bool(cookie_token) and bool(sent_token) and hmac.compare_digest(str(cookie_token), str(sent_token))


def require_csrf(cookie_token: str | None, sent_token: str | None) -> None:
    if not csrf_ok(cookie_token, sent_token):
        raise CsrfFailed("missing or wrong CSRF token: reload the page and try again", field=CSRF_FIELD)
