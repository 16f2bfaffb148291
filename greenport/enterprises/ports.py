"""What the enterprises service needs from storage (implemented by
``greenport.storage.registry_repo.RegistryRepository``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from greenport.accounts.model import RowScope
from greenport.accounts.ports import AccountsUnitOfWork, ScopeLookups
from greenport.enterprises.model import Device, Enterprise, EnterpriseYear, Site, SiteKind


class RegistryLookups(Protocol):
    """Read-only lookups the validation rules need (a dict-backed stand-in serves file imports)."""

    def division_level(self, code: str) -> str | None:
        """Level value (``town``, ``street``, ...) of a stored division, or None."""
        ...

    def park_town(self, park_code: str) -> str | None:
        """Town code of a stored park, or None when there is no such park."""
        ...

    def enterprise_id(self, credit_code: str) -> int | None:
        """Id of the enterprise with this credit code, or None."""
        ...

    def enterprise_town(self, enterprise_id: int) -> str | None:
        """Town code of an enterprise, or None when there is no such enterprise."""
        ...

    def site_exists(self, code: str) -> bool: ...


class ScopedRegistryReads(Protocol):
    """Read models of firms and sites for pages, reports and the API: plain dicts, each with the
    caller's :class:`RowScope` applied in SQL (the towns and parks serve the registry workbook)."""

    def visible_enterprises(
        self, scope: RowScope, *, town_code: str | None = None, limit: int = 500, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]: ...

    def visible_enterprise(self, enterprise_id: int, scope: RowScope) -> dict[str, Any] | None: ...

    def search_enterprises(
        self,
        scope: RowScope,
        *,
        search: str = "",
        town_code: str | None = None,
        park_id: int | None = None,
        industry_group: str | None = None,
        credit_codes: Sequence[str] | None = None,
        order: str = "name",
        descending: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]: ...

    def visible_sites(
        self,
        scope: RowScope,
        *,
        kind: str | None = None,
        enterprise_id: int | None = None,
        town_code: str | None = None,
    ) -> list[dict[str, Any]]: ...

    def visible_site(self, site_id: int, scope: RowScope) -> dict[str, Any] | None: ...

    def visible_towns(self, scope: RowScope, *, with_boundaries: bool = False) -> list[dict[str, Any]]: ...

    def visible_parks(self, scope: RowScope, *, with_boundaries: bool = True) -> list[dict[str, Any]]: ...

    def count(self, table: str) -> int:
        """Number of rows of a registry table (``divisions``, ``enterprises``, ...)."""
        ...


class EnterprisesRepository(RegistryLookups, ScopedRegistryReads, Protocol):
    def division_levels(self) -> dict[str, str]: ...

    def park_towns(self) -> dict[str, str]: ...

    def enterprise_ids(self) -> dict[str, int]: ...

    def enterprise_towns(self) -> dict[int, str]: ...

    def site_codes(self) -> set[str]: ...

    def add_enterprise(self, enterprise: Enterprise) -> Enterprise: ...

    def get_enterprise(self, enterprise_id: int) -> Enterprise | None: ...

    def get_enterprise_by_credit_code(self, credit_code: str) -> Enterprise | None: ...

    def list_enterprises(
        self, *, town_code: str | None = None, park_code: str | None = None
    ) -> list[Enterprise]: ...

    def add_enterprises(self, batch: Sequence[Enterprise]) -> list[Enterprise]: ...

    def put_enterprise_year(self, figures: EnterpriseYear) -> None: ...

    def put_enterprise_years(self, batch: Sequence[EnterpriseYear]) -> None: ...

    def list_enterprise_years(
        self, *, year: int | None = None, enterprise_id: int | None = None
    ) -> list[EnterpriseYear]: ...

    def add_site(self, site: Site) -> Site: ...

    def get_site(self, site_id: int) -> Site | None: ...

    def get_site_by_code(self, code: str) -> Site | None: ...

    def list_sites(self, *, kind: SiteKind | None = None, enterprise_id: int | None = None) -> list[Site]: ...

    def add_device(
        self, device: Device, *, password_hash: str, created_at: datetime | None = None
    ) -> Device: ...

    def get_device(self, mn: str) -> Device | None: ...

    def get_device_credentials(self, mn: str) -> tuple[Device, str] | None: ...

    def list_devices(self, *, site_id: int | None = None) -> list[Device]: ...


class EnterprisesUnitOfWork(Protocol):
    """The unit-of-work attributes the enterprises service uses."""

    @property
    def registry(self) -> EnterprisesRepository: ...


# --- sites and devices as a caller sees them (read models; scope applied in SQL) -----------------


class ScopedSiteReads(Protocol):
    """Devices as dicts, limited to what a :class:`RowScope` may see."""

    def visible_devices(self, scope: RowScope) -> list[dict[str, Any]]: ...

    def device_summary(self, device_id: int) -> dict[str, Any] | None: ...

    def set_device_active(self, device_id: int, active: bool) -> None: ...


class ScopedSitesUnitOfWork(Protocol):
    @property
    def registry(self) -> ScopedSiteReads: ...


class DeviceAdminRegistry(ScopedSiteReads, ScopeLookups, Protocol):
    """What switching a device on or off reads and writes (its audit entry goes to accounts)."""


class DeviceAdminUnitOfWork(AccountsUnitOfWork, Protocol):
    @property
    def registry(self) -> DeviceAdminRegistry: ...
