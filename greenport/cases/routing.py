"""Where a case goes: the grid cell that owns a place, and the officer of that cell it is
dispatched to (pure; the service passes in what storage knows).

Strategy (issue 17, seed 001's three-level grid): a place is routed to the smallest cell that
contains it. A report with a village division code goes to that village's cell; a point goes to
the village whose boundary contains it (point-in-polygon on the division's GeoJSON,
:func:`greenport.kernel.geometry.geometry_contains`), else to the town's cell; a site goes by its
coordinates within its town. Within a cell the case is dispatched to the officer with a user
account who has the fewest open cases (then by user name, so the choice is reproducible); a cell
with no such officer passes the case up to its parent cell, and a case no officer can take stays
``new`` on the dispatcher's board.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from greenport.kernel.geometry import geometry_contains


@dataclass(frozen=True, slots=True)
class Place:
    """A division a case may be routed to: ``code`` (12 digits), its ``boundary`` (GeoJSON text or
    None) and the ``cell_code`` of its grid cell (None when it has none)."""

    code: str
    boundary: str | None
    cell_code: str | None


@dataclass(frozen=True, slots=True)
class CellOfficers:
    """A grid cell, its parent cell and the user names of its officers who have an account."""

    code: str
    parent_code: str | None
    usernames: tuple[str, ...]


def containing_place(places: Sequence[Place], lon: float, lat: float) -> Place | None:
    """The first of ``places`` (villages of one town) whose boundary contains the point."""
    for place in places:
        if place.boundary and place.cell_code and geometry_contains(place.boundary, lon, lat):
            return place
    return None


def candidates(cell_code: str | None, cells: Mapping[str, CellOfficers]) -> tuple[str, ...]:
    """The user names :func:`pick_officer` chooses among for ``cell_code``: the officers of the first
    cell with any, walking up (so only their open cases need counting)."""
    code = cell_code
    seen: set[str] = set()
    while code is not None and code in cells and code not in seen:
        seen.add(code)
        if cells[code].usernames:
            return cells[code].usernames
        code = cells[code].parent_code
    return ()


def pick_officer(
    cell_code: str | None,
    cells: Mapping[str, CellOfficers],
    open_cases: Mapping[str, int],
) -> tuple[str | None, str | None]:
    """(the cell that takes the case, the user name of its officer) walking up from ``cell_code``:
    the officer with the fewest open cases (``open_cases`` by user name), then by name. (cell, None)
    when no cell on the way has an officer with an account (the case waits for the dispatcher)."""
    code = cell_code
    seen: set[str] = set()
    while code is not None and code in cells and code not in seen:
        seen.add(code)
        cell = cells[code]
        if cell.usernames:
            return code, min(cell.usernames, key=lambda name: (open_cases.get(name, 0), name))
        code = cell.parent_code
    return cell_code, None
