"""Repository of the accounts feature (``uow.accounts``): users and their credentials, browser
sessions, API tokens, log-in attempts and counters, and the audit log.

Users are returned as :class:`~greenport.accounts.model.User`; the other rows as plain dicts
(JSON-ready). Secrets are stored only as their SHA-256 digest, passwords as argon2id hashes.
It flushes after each insert so that ids are known, and never commits (the unit of work does).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from greenport.accounts.model import Role, User
from greenport.kernel.time import utcnow
from greenport.storage.base import UTCDateTime
from greenport.storage.registry import ParkRow, UserRow
from greenport.storage.web import ApiTokenRow, AuditLogRow, LoginAttemptRow, LoginCounterRow, WebSessionRow

#: A user row with the code of its park (users of a park management committee).
_USERS = select(UserRow, ParkRow.code).outerjoin(ParkRow, ParkRow.id == UserRow.park_id)


def _user(row: UserRow, park_code: str | None) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        division_code=row.division_code,
        enterprise_id=row.enterprise_id,
        park_code=park_code,
        active=row.active,
        email=row.email,
        department=row.department,
    )


class AccountsRepository:
    """Users, their sessions and API tokens, log-in attempts and the audit log (``uow.accounts``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- users ----------------------------------------------------------------------------------

    def add_user(self, user: User, *, password_hash: str, created_at: datetime | None = None) -> User:
        park = self.park_of(user.park_code) if user.park_code is not None else None
        if user.park_code is not None and park is None:
            raise LookupError(f"no park {user.park_code}")
        row = UserRow(
            created_at=created_at or utcnow(),
            username=user.username,
            password_hash=password_hash,
            display_name=user.display_name,
            role=user.role,
            division_code=user.division_code,
            enterprise_id=user.enterprise_id,
            park_id=park[0] if park is not None else None,
            active=user.active,
            email=user.email,
            department=user.department,
        )
        self.session.add(row)
        self.session.flush()
        return _user(row, user.park_code)

    def get_user(self, username: str) -> User | None:
        found = self.user_credentials(username)
        return found[0] if found is not None else None

    def user_by_id(self, user_id: int) -> User | None:
        found = self.session.execute(_USERS.where(UserRow.id == user_id)).first()
        return _user(found[0], found[1]) if found is not None else None

    def user_credentials(self, username: str) -> tuple[User, str] | None:
        """The user ``username`` and its stored password hash (None: no such user)."""
        found = self.session.execute(_USERS.where(UserRow.username == username)).first()
        if found is None:
            return None
        row, park_code = found
        return _user(row, park_code), row.password_hash

    def set_password_hash(self, username: str, password_hash: str) -> None:
        """Replace the stored password hash of user ``username`` (a re-hash at log-in)."""
        self.session.execute(
            update(UserRow).where(UserRow.username == username).values(password_hash=password_hash)
        )

    def set_email(self, username: str, email: str | None) -> bool:
        """Set (None: clear) the e-mail address of user ``username``; False when there is no such user."""
        result = self.session.execute(update(UserRow).where(UserRow.username == username).values(email=email))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def list_users(self, *, role: Role | None = None) -> list[User]:
        query = _USERS.order_by(UserRow.id)
        if role is not None:
            query = query.where(UserRow.role == role)
        return [_user(found[0], found[1]) for found in self.session.execute(query)]

    def password_hashes(self) -> list[tuple[str, str]]:
        """(user name, stored password hash) of every active user (demo-account check)."""
        rows = self.session.execute(
            select(UserRow.username, UserRow.password_hash).where(UserRow.active.is_(True))
        )
        return [(str(name), str(stored)) for name, stored in rows]

    def park_of(self, park_code: str) -> tuple[int, str] | None:
        """(id, town code) of park ``park_code``: what a park user's scope is made of."""
        found = self.session.execute(
            select(ParkRow.id, ParkRow.town_code).where(ParkRow.code == park_code)
        ).first()
        return (int(found[0]), str(found[1])) if found is not None else None

    # --- sessions and tokens --------------------------------------------------------------------

    def add_session(self, *, digest: str, user_id: int, expires_at: datetime) -> None:
        self.session.add(WebSessionRow(digest=digest, user_id=user_id, expires_at=expires_at, revoked=False))
        self.session.flush()

    def session_user_id(self, digest: str, *, now: datetime) -> int | None:
        row = self.session.scalar(select(WebSessionRow).where(WebSessionRow.digest == digest))
        if row is None or row.revoked or row.expires_at <= now:
            return None
        return row.user_id

    def revoke_session(self, digest: str) -> None:
        self.session.execute(update(WebSessionRow).where(WebSessionRow.digest == digest).values(revoked=True))

    def add_token(self, *, digest: str, name: str, user_id: int, expires_at: datetime) -> int:
        row = ApiTokenRow(digest=digest, name=name, user_id=user_id, expires_at=expires_at, revoked=False)
        self.session.add(row)
        self.session.flush()
        return row.id

    def token_user_id(self, digest: str, *, now: datetime) -> int | None:
        row = self.session.scalar(select(ApiTokenRow).where(ApiTokenRow.digest == digest))
        if row is None or row.revoked or row.expires_at <= now:
            return None
        # No write here: a read request must not take SQLite's write lock (50 polling clients
        # would queue on it); ``api_tokens.last_used_at`` is therefore left empty for now.
        return row.user_id

    def tokens(self, *, user_id: int | None = None) -> list[dict[str, Any]]:
        """Tokens (never their secret), newest first; of one user or of everyone."""
        query = select(ApiTokenRow, UserRow.username).join(UserRow, UserRow.id == ApiTokenRow.user_id)
        if user_id is not None:
            query = query.where(ApiTokenRow.user_id == user_id)
        return [
            {
                "id": row.id,
                "name": row.name,
                "user_id": row.user_id,
                "username": username,
                "created_at": row.created_at.isoformat(),
                "expires_at": row.expires_at.isoformat(),
                "revoked": row.revoked,
            }
            for row, username in self.session.execute(query.order_by(ApiTokenRow.id.desc()))
        ]

    def token_owner(self, token_id: int) -> tuple[int, str] | None:
        """(user id, digest) of token ``token_id`` (None: no such token)."""
        row = self.session.execute(
            select(ApiTokenRow.user_id, ApiTokenRow.digest).where(ApiTokenRow.id == token_id)
        ).first()
        return (int(row[0]), str(row[1])) if row is not None else None

    def revoke_token(self, *, token_id: int | None = None, digest: str | None = None) -> bool:
        """Revoke one token by id or by digest; True when a live token was revoked."""
        query = update(ApiTokenRow).where(ApiTokenRow.revoked.is_(False))
        if token_id is not None:
            query = query.where(ApiTokenRow.id == token_id)
        elif digest is not None:
            query = query.where(ApiTokenRow.digest == digest)
        else:
            raise ValueError("revoke_token needs token_id or digest")
        return bool(self.session.execute(query.values(revoked=True)).rowcount)  # type: ignore[attr-defined]

    # --- log-in attempts ------------------------------------------------------------------------

    def record_login_attempt(self, *, username: str, ip: str, success: bool, at: datetime) -> None:
        self.session.add(LoginAttemptRow(username=username[:80], ip=ip[:64], success=success, at=at))
        self.session.flush()

    def reserve_login_attempt(self, key: str, *, now: datetime, window: timedelta) -> int:
        """Count one more attempt under ``key`` and return the attempts in its window, this one
        included: one atomic ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` (SQLite >= 3.35,
        PostgreSQL), so two parallel attempts never read the same count. A window older than
        ``window`` starts again at ``now`` with this attempt."""
        table = LoginCounterRow
        dialect = self.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        expired = table.window_start <= now - window
        statement = (
            insert(table)
            .values(key=key[:200], window_start=now, attempts=1)
            .on_conflict_do_update(
                index_elements=[table.key],
                set_={
                    "attempts": case((expired, 1), else_=table.attempts + 1),
                    "window_start": case((expired, literal(now, UTCDateTime())), else_=table.window_start),
                },
            )
            .returning(table.attempts)
        )
        return int(self.session.execute(statement).scalar_one())

    def release_login_attempt(self, key: str) -> None:
        """Give back one reserved attempt (the password was right)."""
        table = LoginCounterRow
        self.session.execute(
            update(table)
            .where(table.key == key[:200], table.attempts > 0)
            .values(attempts=table.attempts - 1)
        )

    def clear_login_attempts(self, key: str) -> None:
        self.session.execute(delete(LoginCounterRow).where(LoginCounterRow.key == key[:200]))

    def login_attempts_of(self, *, username: str) -> list[dict[str, Any]]:
        """The stored log-in attempts of a user name, oldest first (audit and tests)."""
        rows = self.session.scalars(
            select(LoginAttemptRow).where(LoginAttemptRow.username == username).order_by(LoginAttemptRow.id)
        )
        return [{"ip": r.ip, "success": r.success, "at": r.at.isoformat()} for r in rows]

    # --- audit ----------------------------------------------------------------------------------

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
    ) -> None:
        self.session.add(
            AuditLogRow(
                at=utcnow(),
                user_id=user_id,
                username=username,
                action=action,
                entity=entity,
                entity_id=entity_id,
                detail_json=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
                ip=ip,
            )
        )
        self.session.flush()

    def audit_entries(self, *, limit: int = 200) -> list[dict[str, Any]]:
        rows = self.session.scalars(select(AuditLogRow).order_by(AuditLogRow.id.desc()).limit(limit))
        return [
            {
                "id": r.id,
                "at": r.at.isoformat(),
                "user_id": r.user_id,
                "username": r.username,
                "action": r.action,
                "entity": r.entity,
                "entity_id": r.entity_id,
                "detail": json.loads(r.detail_json) if r.detail_json else None,
                "ip": r.ip,
            }
            for r in rows
        ]
