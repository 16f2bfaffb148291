"""What the accounts service needs from storage (``RegistryRepository`` implements it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from greenport.accounts.model import Role, User


class ScopeLookups(Protocol):
    """Read-only lookups of the scope rules."""

    def division_level(self, code: str) -> str | None: ...

    def enterprise_town(self, enterprise_id: int) -> str | None: ...

    def park_town(self, park_code: str) -> str | None: ...


class AccountsRepository(ScopeLookups, Protocol):
    def add_user(self, user: User, *, password_hash: str, created_at: datetime | None = None) -> User: ...

    def get_user(self, username: str) -> User | None: ...

    def get_user_credentials(self, username: str) -> tuple[User, str] | None: ...

    def set_user_password_hash(self, username: str, password_hash: str) -> None: ...

    def list_users(self, *, role: Role | None = None) -> list[User]: ...


class AuditLog(Protocol):
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

    def audit_entries(self, *, limit: int = 200) -> list[dict[str, Any]]: ...


class AccountsUnitOfWork(Protocol):
    @property
    def registry(self) -> AccountsRepository: ...

    @property
    def accounts(self) -> AuditLog: ...
