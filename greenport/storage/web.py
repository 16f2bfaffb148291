"""Tables of the web platform: page sessions, API tokens, log-in attempts, the audit log.

Secrets are never stored: a session id and a bearer token are kept as their SHA-256 digest,
so a copy of the database cannot be replayed against the site.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from greenport.kernel.time import utcnow
from greenport.storage.base import Base, UTCDateTime


class WebSessionRow(Base):
    """A browser session; the cookie carries the signed id, the row its digest and expiry."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class ApiTokenRow(Base):
    """A bearer token for integrations (shown once at creation, stored as its digest).

    Every token expires (``GREENPORT_TOKEN_MAX_DAYS`` at most; migration ``web_0002_tokens`` gave
    the never-expiring tokens of ``web_0001`` that lifetime from their creation)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginAttemptRow(Base):
    """One log-in attempt, kept for rate limiting per user name and per client address."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    success: Mapped[bool] = mapped_column(Boolean)


class LoginCounterRow(Base):
    """Log-in attempts reserved under one key within a fixed window (the rate limit's counter).

    ``key`` names what is counted: ``user-ip:<user>|<address>``, ``ip:<address>`` or
    ``user:<user>`` (:func:`greenport.accounts.service.log_in`). An attempt is reserved by one
    atomic upsert *before* its password is checked, so parallel attempts cannot all pass a check
    that none of them has counted yet; a successful log-in gives its reservation back.
    """

    __tablename__ = "login_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer)


class AuditLogRow(Base):
    """Who changed what: one row per change made through the web app or API (append only)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    username: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(60))
    detail_json: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(64))
