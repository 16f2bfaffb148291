"""Why a caller is refused at the door (each boundary maps them: the web to 401 and 429)."""

from __future__ import annotations

from greenport.kernel.errors import DomainError


class NotAuthenticated(DomainError):
    """No valid session or token, a wrong password, or a disabled account: log in (or send
    ``Authorization: Bearer <token>``)."""

    status_hint = 401


class TooManyAttempts(DomainError):
    """A log-in rate limit (:data:`greenport.accounts.login_limits.LOGIN_LIMITS`) is reached for
    this user name or client address."""

    status_hint = 429
