"""Use cases of the administrative tree, the supervision grid and the parks.

Functions take the unit of work first and keyword-only arguments, validate with
:mod:`greenport.regions.validation` and raise :class:`InvalidInput` (naming the field),
:class:`Conflict` (duplicates) or :class:`NotFound`; the caller's unit of work commits. The scoped
reads (``visible_*``) return the read models pages and the API show, with the caller's
:class:`~greenport.accounts.model.RowScope` applied in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from greenport.accounts.model import RowScope
from greenport.kernel.errors import Conflict, InvalidInput, InvalidRows, NotFound, PermissionDenied
from greenport.kernel.fields import Fields, ImportOutcome, raise_problems
from greenport.regions.importing import (
    division_record,
    park_record,
    validate_division_rows,
    validate_park_rows,
)
from greenport.regions.model import (
    Division,
    DivisionLevel,
    GridCell,
    GridLevel,
    GridOfficer,
    Park,
    ParkKind,
)
from greenport.regions.ports import RegionsUnitOfWork
from greenport.regions.validation import GRID_LEVEL_OF, PHONE_PATTERN, parse_division, parse_park

# --- divisions -----------------------------------------------------------------------------------


def register_division(
    uow: RegionsUnitOfWork,
    *,
    code: str,
    name: str,
    level: DivisionLevel | str | None = None,
    parent_code: str | None = None,
    area_km2: float | None = None,
    population: int | None = None,
    boundary_geojson: str | None = None,
) -> Division:
    """Add a division to the tree (rules: :func:`~greenport.regions.validation.parse_division`).

    ``area_km2`` in [km²]; ``boundary_geojson`` a GeoJSON Polygon/MultiPolygon ([lon, lat]).
    """
    raw: dict[str, Any] = {
        "code": code,
        "name": name,
        "level": level,
        "parent_code": parent_code,
        "area_km2": area_km2,
        "population": population,
        "boundary_geojson": boundary_geojson,
    }
    division, problems = parse_division(raw, uow.registry)
    raise_problems(problems, what="division")
    assert division is not None
    return uow.registry.add_division(division)


def get_division(uow: RegionsUnitOfWork, *, code: str) -> Division:
    found = uow.registry.get_division(code.strip())
    if found is None:
        raise NotFound(f"no division with code {code}", field="code")
    return found


def list_divisions(
    uow: RegionsUnitOfWork, *, level: DivisionLevel | None = None, parent_code: str | None = None
) -> list[Division]:
    """Divisions in code order, optionally of one level or with one parent."""
    return uow.registry.list_divisions(level=level, parent_code=parent_code)


# --- grid ----------------------------------------------------------------------------------------


def add_grid_cell(
    uow: RegionsUnitOfWork,
    *,
    division_code: str,
    code: str | None = None,
    name: str | None = None,
    parent_code: str | None = None,
) -> GridCell:
    """Add a grid cell for a division; its level (市/镇/村) follows from the division's level.

    The parent cell (``parent_code``) must be a cell one level up whose division is this
    division's parent; when left empty it is the single cell of the parent division.
    ``code`` defaults to ``G`` + the division code; ``name`` to the division's name + 网格.
    """
    division = uow.registry.get_division(division_code.strip()) if division_code else None
    if division is None:
        raise NotFound(f"no division with code {division_code}", field="division_code")
    level = GRID_LEVEL_OF[division.level]
    code = (code or f"G{division.code}").strip()
    if uow.registry.get_grid_cell(code) is not None:
        raise Conflict(f"a grid cell with code {code} exists", field="code")
    if level == GridLevel.CITY:
        if parent_code:
            raise InvalidInput("the city grid cell has no parent cell", field="parent_code")
        parent: GridCell | None = None
    else:
        assert division.parent_code is not None
        wanted = GridLevel.CITY if level == GridLevel.TOWN else GridLevel.TOWN
        if parent_code:
            parent = uow.registry.get_grid_cell(parent_code.strip())
            if parent is None:
                raise NotFound(f"no grid cell with code {parent_code}", field="parent_code")
            if parent.level != wanted or parent.division_code != division.parent_code:
                raise InvalidInput(
                    f"parent cell {parent.code} must be a {wanted.value} cell of division {division.parent_code}",
                    field="parent_code",
                )
        else:
            candidates = uow.registry.list_grid_cells(level=wanted, division_code=division.parent_code)
            if len(candidates) != 1:
                raise InvalidInput(
                    f"division {division.parent_code} has {len(candidates)} {wanted.value} grid cells; "
                    "name the parent cell",
                    field="parent_code",
                )
            parent = candidates[0]
    cell = GridCell(
        id=None,
        code=code,
        name=(name or f"{division.name}网格").strip(),
        level=level,
        division_code=division.code,
        parent_code=parent.code if parent else None,
    )
    return uow.registry.add_grid_cell(cell)


def list_grid_cells(uow: RegionsUnitOfWork, *, level: GridLevel | None = None) -> list[GridCell]:
    return uow.registry.list_grid_cells(level=level)


def add_grid_officer(
    uow: RegionsUnitOfWork,
    *,
    grid_cell_code: str,
    name: str,
    phone: str | None = None,
    user_id: int | None = None,
) -> GridOfficer:
    """Put a named officer (网格员) in charge of a grid cell; ``phone`` is a mainland mobile or
    landline number."""
    fields = Fields({"name": name, "phone": phone, "grid_cell_code": grid_cell_code})
    checked_name = fields.text("name", max_length=100)
    checked_phone = fields.text("phone", required=False, max_length=30)
    if checked_phone is not None and not PHONE_PATTERN.match(checked_phone):
        fields.add("phone", "must be a mainland mobile (11 digits) or landline number with area code", phone)
    cell_code = fields.text("grid_cell_code", max_length=40)
    raise_problems(fields.problems, what="grid officer")
    assert checked_name and cell_code
    if uow.registry.get_grid_cell(cell_code) is None:
        raise NotFound(f"no grid cell with code {cell_code}", field="grid_cell_code")
    officer = GridOfficer(
        id=None, name=checked_name, grid_cell_code=cell_code, phone=checked_phone, user_id=user_id
    )
    return uow.registry.add_grid_officer(officer)


def list_grid_officers(uow: RegionsUnitOfWork, *, grid_cell_code: str | None = None) -> list[GridOfficer]:
    return uow.registry.list_grid_officers(grid_cell_code=grid_cell_code)


# --- parks ---------------------------------------------------------------------------------------


def register_park(
    uow: RegionsUnitOfWork,
    *,
    code: str,
    name: str,
    kind: ParkKind | str,
    town_code: str,
    boundary_geojson: str | None = None,
) -> Park:
    """Add a park (rules: :func:`~greenport.regions.validation.parse_park`)."""
    taken = bool(code) and uow.registry.get_park(str(code).strip()) is not None
    park, problems = parse_park(
        {
            "code": code,
            "name": name,
            "kind": kind,
            "town_code": town_code,
            "boundary_geojson": boundary_geojson,
        },
        uow.registry,
        code_taken=taken,
    )
    raise_problems(problems, what="park")
    assert park is not None
    return uow.registry.add_park(park)


def get_park(uow: RegionsUnitOfWork, *, code: str) -> Park:
    found = uow.registry.get_park(code.strip())
    if found is None:
        raise NotFound(f"no park with code {code}", field="park_code")
    return found


def list_parks(uow: RegionsUnitOfWork) -> list[Park]:
    return uow.registry.list_parks()


# --- scoped reads: what a caller may see ----------------------------------------------------------
# Pages, reports and the API read the territory through these, with the caller's RowScope (the
# repository applies it in SQL).


def visible_towns(
    uow: RegionsUnitOfWork, *, scope: RowScope, with_boundaries: bool = False
) -> list[dict[str, Any]]:
    """Towns and streets in ``scope`` by code (a firm or park user: the town it lies in); with
    ``with_boundaries`` each carries its GeoJSON ``boundary`` ([lon, lat] in degree) or None."""
    return uow.registry.visible_towns(scope, with_boundaries=with_boundaries)


def visible_town(uow: RegionsUnitOfWork, *, code: str, scope: RowScope) -> dict[str, Any]:
    """The town or street ``code`` if ``scope`` holds it.

    Raises :class:`NotFound` when there is no division ``code`` and :class:`PermissionDenied` when
    it lies outside ``scope`` or is not a town or street (both with ``field="code"``).
    """
    town = next((t for t in uow.registry.visible_towns(scope) if t["code"] == code), None)
    if town is not None:
        return town
    if uow.registry.division_summary(code) is None:
        raise NotFound(f"no town {code}", field="code")
    raise PermissionDenied(f"town {code} is outside your scope", field="code")


def visible_grid_cells(uow: RegionsUnitOfWork, *, scope: RowScope) -> list[dict[str, Any]]:
    """Grid cells in ``scope`` by code (a town officer: the cells of the town and its villages);
    none for a firm, a park or the public, since cells are territory."""
    return uow.registry.visible_grid_cells(scope)


def visible_parks(
    uow: RegionsUnitOfWork, *, scope: RowScope, with_boundaries: bool = False
) -> list[dict[str, Any]]:
    """Parks in ``scope`` by code (a firm user: its own park, if any; the public: none); with
    ``with_boundaries`` each carries its GeoJSON ``boundary`` or None."""
    return uow.registry.visible_parks(scope, with_boundaries=with_boundaries)


def city_summary(uow: RegionsUnitOfWork) -> dict[str, Any] | None:
    """Code, name, level, area [km²] and population of the city (the root of the tree), or None
    before the tree exists."""
    return uow.registry.city_summary()


# --- file imports and exports --------------------------------------------------------------------


def import_divisions(
    uow: RegionsUnitOfWork,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    headers: Iterable[str] | None = None,
    skip_invalid: bool = False,
    source: str = "",
) -> ImportOutcome:
    """Import division rows ``[(row number, {column: value})]`` (columns:
    :data:`~greenport.regions.importing.DIVISION_COLUMNS`), parents before children.

    With any error and ``skip_invalid=False`` nothing is written and :class:`InvalidRows` carries
    every error; with ``skip_invalid=True`` the valid rows are written and the errors returned.
    """
    numbered = list(rows)
    valid, errors = validate_division_rows(numbered, uow.registry.division_levels(), headers=headers)
    if errors and not skip_invalid:
        raise InvalidRows(errors, source=source or "divisions file")
    for _, division in valid:
        uow.registry.add_division(division)
    return ImportOutcome("divisions", len(numbered), len(valid), errors, source)


def import_parks(
    uow: RegionsUnitOfWork,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    headers: Iterable[str] | None = None,
    skip_invalid: bool = False,
    source: str = "",
) -> ImportOutcome:
    """Import park rows (columns: :data:`~greenport.regions.importing.PARK_COLUMNS`)."""
    numbered = list(rows)
    valid, errors = validate_park_rows(
        numbered, uow.registry.division_levels(), uow.registry.park_towns().keys(), headers=headers
    )
    if errors and not skip_invalid:
        raise InvalidRows(errors, source=source or "parks file")
    for _, park in valid:
        uow.registry.add_park(park)
    return ImportOutcome("parks", len(numbered), len(valid), errors, source)


def export_divisions(uow: RegionsUnitOfWork) -> list[dict[str, Any]]:
    """Every division as a row of the import file, parents first (code order)."""
    return [division_record(d) for d in uow.registry.list_divisions()]


def export_parks(uow: RegionsUnitOfWork) -> list[dict[str, Any]]:
    return [park_record(p) for p in uow.registry.list_parks()]
