"""Use cases of users: create (role + scope checked), authenticate, list.

Passwords go through :mod:`greenport.accounts.passwords` (argon2id); a hash made with old
parameters is replaced at the next successful log-in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from greenport.accounts.model import Principal, Role, User
from greenport.accounts.passwords import hash_password, needs_rehash, verify_password
from greenport.accounts.ports import AccountsUnitOfWork
from greenport.accounts.scopes import parse_user, validate_password
from greenport.kernel.errors import NotFound
from greenport.kernel.fields import raise_problems


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
    salt: bytes | None = None,
    registered_at: datetime | None = None,
) -> User:
    """Create a user; the scope must fit the role (:mod:`greenport.accounts.scopes`).

    ``salt`` and ``registered_at`` (default: now) only for reproducible fixtures (the demo city). Raises :class:`InvalidInput`
    naming the field, or :class:`Conflict` for a taken username.
    """
    taken = bool(username) and uow.registry.get_user(str(username).strip()) is not None
    user, problems = parse_user(
        {
            "username": username,
            "display_name": display_name,
            "role": role,
            "division_code": division_code,
            "enterprise_id": enterprise_id,
            "park_code": park_code,
        },
        uow.registry,
        username_taken=taken,
    )
    raise_problems(problems, what="user")
    validate_password(password)
    assert user is not None
    return uow.registry.add_user(
        user, password_hash=hash_password(password, salt=salt), created_at=registered_at
    )


def authenticate(uow: AccountsUnitOfWork, *, username: str, password: str) -> User | None:
    """The active user whose password matches, else None (unknown user, wrong password or
    inactive: the caller cannot tell which). Re-hashes an outdated hash on success."""
    found = uow.registry.get_user_credentials(username.strip())
    if found is None:
        return None
    user, password_hash = found
    if not user.active or not verify_password(password_hash, password):
        return None
    if needs_rehash(password_hash):
        uow.registry.set_user_password_hash(user.username, hash_password(password))
    return user


def get_user(uow: AccountsUnitOfWork, *, username: str) -> User:
    found = uow.registry.get_user(username.strip())
    if found is None:
        raise NotFound(f"no user {username}", field="username")
    return found


def list_users(uow: AccountsUnitOfWork, *, role: Role | None = None) -> list[User]:
    return uow.registry.list_users(role=role)


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
