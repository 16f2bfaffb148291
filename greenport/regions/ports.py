"""What the regions service needs from storage (``RegistryRepository`` implements it)."""

from __future__ import annotations

from typing import Any, Protocol

from greenport.accounts.model import RowScope
from greenport.regions.model import Division, DivisionLevel, GridCell, GridLevel, GridOfficer, Park


class DivisionLookups(Protocol):
    """Read-only lookups of the division rules (a dict-backed stand-in serves file imports)."""

    def division_level(self, code: str) -> str | None:
        """Level value of a stored division (``city``, ``town``, ...), or None."""
        ...


class ScopedRegionReads(Protocol):
    """Read models of the territory for pages, reports and the API: plain dicts, each with the
    caller's :class:`RowScope` applied in SQL."""

    def visible_towns(self, scope: RowScope, *, with_boundaries: bool = False) -> list[dict[str, Any]]: ...

    def visible_grid_cells(self, scope: RowScope) -> list[dict[str, Any]]: ...

    def visible_parks(self, scope: RowScope, *, with_boundaries: bool = True) -> list[dict[str, Any]]: ...

    def division_summary(self, code: str) -> dict[str, Any] | None: ...

    def city_summary(self) -> dict[str, Any] | None: ...


class RegionsRepository(DivisionLookups, ScopedRegionReads, Protocol):
    def add_division(self, division: Division) -> Division: ...

    def get_division(self, code: str) -> Division | None: ...

    def list_divisions(
        self, *, level: DivisionLevel | list[DivisionLevel] | None = None, parent_code: str | None = None
    ) -> list[Division]: ...

    def division_levels(self) -> dict[str, str]: ...

    def add_grid_cell(self, cell: GridCell) -> GridCell: ...

    def get_grid_cell(self, code: str) -> GridCell | None: ...

    def list_grid_cells(
        self, *, level: GridLevel | None = None, division_code: str | None = None
    ) -> list[GridCell]: ...

    def add_grid_officer(self, officer: GridOfficer) -> GridOfficer: ...

    def list_grid_officers(self, *, grid_cell_code: str | None = None) -> list[GridOfficer]: ...

    def add_park(self, park: Park) -> Park: ...

    def get_park(self, code: str) -> Park | None: ...

    def list_parks(self) -> list[Park]: ...

    def park_town(self, park_code: str) -> str | None: ...

    def park_towns(self) -> dict[str, str]: ...


class RegionsUnitOfWork(Protocol):
    @property
    def registry(self) -> RegionsRepository: ...
