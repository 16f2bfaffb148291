"""Rules of the administrative tree, grid cells, officers and parks (pure).

A division code is the 12-digit statistical code of the National Bureau of Statistics (GB/T 2260
county code + 3 town digits + 3 village digits); its level follows from the code
(:func:`expected_level`, ranges in ``regions/data/division_code_ranges.csv``) and its parent is
the code one level up (``320582100201`` -> ``320582100000`` -> ``320582000000``).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from greenport.kernel.fields import Fields, Problem
from greenport.regions.model import (
    TOWN_LEVELS,
    VILLAGE_LEVELS,
    Division,
    DivisionLevel,
    GridLevel,
    Park,
    ParkKind,
)
from greenport.regions.ports import DivisionLookups
from greenport.standards.ids import (
    InvalidDivisionCode,
    division_level,
    parent_division_code,
    validate_division_code,
)

#: The level a grid cell has, by the level of its division (市 / 镇 / 村 grid).
GRID_LEVEL_OF: dict[DivisionLevel, GridLevel] = {
    DivisionLevel.CITY: GridLevel.CITY,
    DivisionLevel.TOWN: GridLevel.TOWN,
    DivisionLevel.STREET: GridLevel.TOWN,
    DivisionLevel.VILLAGE: GridLevel.VILLAGE,
    DivisionLevel.COMMUNITY: GridLevel.VILLAGE,
}

#: Mainland mobile (11 digits from 13-19) or landline with area code (GB/T 13400 numbering).
PHONE_PATTERN = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


@dataclass(frozen=True, slots=True)
class CodeRange:
    part: str
    first: int
    last: int
    level: DivisionLevel
    meaning_zh: str


@cache
def code_ranges() -> tuple[CodeRange, ...]:
    """NBS code ranges of the town and village parts (``regions/data/division_code_ranges.csv``)."""
    text = resources.files("greenport.regions").joinpath("data/division_code_ranges.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return tuple(
        CodeRange(r["part"], int(r["first"]), int(r["last"]), DivisionLevel(r["level"]), r["meaning_zh"])
        for r in csv.DictReader(io.StringIO("\n".join(lines)))
    )


def expected_level(code: str) -> DivisionLevel:
    """The level a valid 12-digit code denotes: a county-level code (``320582000000``) is the
    city; the town part decides town/street and the village part village/community.

    Raises
    ------
    InvalidDivisionCode
        A 6-digit code, a province/prefecture code, or a part outside the NBS ranges.
    """
    normal = validate_division_code(code)
    if len(normal) != 12:
        raise InvalidDivisionCode("need the 12-digit statistical division code", code=normal)
    standard_level = division_level(normal)
    if standard_level == "county":
        return DivisionLevel.CITY
    if standard_level in ("province", "city"):
        raise InvalidDivisionCode(
            f"{normal} is a {'province' if standard_level == 'province' else 'prefecture'} code; the registry "
            "starts at the county-level city",
            code=normal,
        )
    part, value, position = (
        ("town", int(normal[6:9]), 7) if standard_level == "town" else ("village", int(normal[9:12]), 10)
    )
    for candidate in code_ranges():
        if candidate.part == part and candidate.first <= value <= candidate.last:
            return candidate.level
    raise InvalidDivisionCode(
        f"{part} part {value:03d} at position {position} is outside the NBS ranges "
        f"({', '.join(f'{r.first:03d}-{r.last:03d}' for r in code_ranges() if r.part == part)})",
        code=normal,
        position=position,
    )


def _is_parent_level(child: DivisionLevel, parent: str) -> bool:
    if child in TOWN_LEVELS:
        return parent == DivisionLevel.CITY.value
    if child in VILLAGE_LEVELS:
        return parent in {level.value for level in TOWN_LEVELS}
    return False


def parse_geojson_polygon(value: Any) -> str:
    """Check a GeoJSON Polygon/MultiPolygon geometry (or a Feature holding one) and return the
    geometry as compact JSON text. Positions are ``[lon, lat]`` in [degree]; each ring needs at
    least 4 positions and must be closed (RFC 7946 §3.1.6).

    Raises
    ------
    ValueError
        With the reason.
    """
    try:
        data = json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at character {exc.pos}") from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError("must be a GeoJSON Polygon or MultiPolygon geometry")
    polygons = [data.get("coordinates")] if data["type"] == "Polygon" else data.get("coordinates")
    if not isinstance(polygons, list) or not polygons:
        raise ValueError("has no coordinates")
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise ValueError("a polygon needs at least one ring")
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise ValueError("each ring needs at least 4 positions")
            for position in ring:
                if (
                    not isinstance(position, list | tuple)
                    or len(position) < 2
                    or not all(isinstance(c, int | float) and math.isfinite(c) for c in position[:2])
                ):
                    raise ValueError(f"bad position {position!r}: need [lon, lat]")
                lon, lat = position[0], position[1]
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise ValueError(f"position {position!r} is outside lon -180..180 / lat -90..90")
            if list(ring[0][:2]) != list(ring[-1][:2]):
                raise ValueError("a ring must end where it starts (closed)")
    return json.dumps({"type": data["type"], "coordinates": data["coordinates"]}, separators=(",", ":"))


def point_in_geojson(lon: float, lat: float, geojson: str) -> bool:
    """True when (``lon``, ``lat``) [degree] lies inside the Polygon/MultiPolygon (even-odd rule
    over all rings, so holes count as outside)."""
    data = json.loads(geojson)
    polygons = [data["coordinates"]] if data["type"] == "Polygon" else data["coordinates"]
    for polygon in polygons:
        inside = False
        for ring in polygon:
            for (x1, y1, *_), (x2, y2, *_) in itertools.pairwise(ring):
                if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
                    inside = not inside
        if inside:
            return True
    return False


def parse_division(raw: Mapping[str, Any], lookups: DivisionLookups) -> tuple[Division | None, list[Problem]]:
    """Check one division record; return it (None if any problem) and every problem found.

    Fields: ``code`` (12-digit statistical code, GB/T 2260 + NBS), ``name``, ``level`` (optional:
    derived from the code; if given it must agree), ``parent_code`` (the code one level up, which
    must exist; empty for the city; derived when left empty), ``area_km2`` [km²] >= 0,
    ``population`` [persons] >= 0, ``boundary_geojson`` (GeoJSON Polygon/MultiPolygon).
    """
    fields = Fields(raw)
    code = fields.text("code", max_length=12)
    level: DivisionLevel | None = None
    if code is not None:
        try:
            level = expected_level(code)
        except InvalidDivisionCode as exc:
            fields.add("code", exc.message, code)
            code = None
        else:
            if lookups.division_level(code) is not None:
                fields.add("code", f"a division with code {code} exists", code, conflict=True)
    name = fields.text("name", max_length=100)
    given_level = fields.choice("level", DivisionLevel, required=False)
    if given_level is not None and level is not None and given_level != level:
        fields.add(
            "level", f"code {code} denotes a {level.value}, not a {given_level.value}", given_level.value
        )
    parent = fields.text("parent_code", required=False, max_length=12)
    if code is not None and level is not None:
        expected_parent = None if level == DivisionLevel.CITY else parent_division_code(code)
        if level == DivisionLevel.CITY:
            if parent is not None:
                fields.add(
                    "parent_code", "must be empty for the city (the top of the registry's tree)", parent
                )
        else:
            assert expected_parent is not None
            if parent is None:
                parent = expected_parent
            if parent != expected_parent:
                fields.add(
                    "parent_code", f"must be {expected_parent}, the division one level above {code}", parent
                )
            else:
                parent_level = lookups.division_level(parent)
                if parent_level is None:
                    fields.add("parent_code", f"no division with code {parent}", parent)
                elif not _is_parent_level(level, parent_level):
                    fields.add(
                        "parent_code", f"parent {parent} is a {parent_level}, not one level up", parent
                    )
    area = fields.number("area_km2", required=False, minimum=0, unit="km²")
    population = fields.integer("population", required=False, minimum=0)
    boundary = _boundary(fields, "boundary_geojson")
    if fields.problems:
        return None, fields.problems
    assert code and name and level
    division = Division(
        code=code,
        name=name,
        level=level,
        parent_code=parent,
        boundary_geojson=boundary,
        area_km2=area,
        population=population,
    )
    return division, []


def _boundary(fields: Fields, field: str) -> str | None:
    value = fields.get(field)
    if value is None:
        return None
    try:
        return parse_geojson_polygon(value)
    except ValueError as exc:
        fields.add(field, str(exc), str(value)[:80])
        return None


def parse_park(
    raw: Mapping[str, Any], lookups: DivisionLookups, *, code_taken: bool = False
) -> tuple[Park | None, list[Problem]]:
    """Check one park: ``code`` (unique), ``name``, ``kind`` (:class:`ParkKind`), ``town_code``
    (a stored town or street: a park lies within one town), ``boundary_geojson`` (optional)."""
    fields = Fields(raw)
    code = fields.text("code", max_length=40)
    if code is not None and code_taken:
        fields.add("code", f"a park with code {code} exists", code, conflict=True)
    name = fields.text("name", max_length=100)
    kind = fields.choice("kind", ParkKind)
    town = fields.text("town_code", max_length=12)
    if town is not None:
        town_level = lookups.division_level(town)
        if town_level is None:
            fields.add("town_code", f"no division with code {town}", town)
        elif town_level not in {level.value for level in TOWN_LEVELS}:
            fields.add(
                "town_code", f"division {town} is a {town_level}; a park lies in a town or street", town
            )
    boundary = _boundary(fields, "boundary_geojson")
    if fields.problems:
        return None, fields.problems
    assert code and name and kind and town
    return Park(id=None, code=code, name=name, kind=kind, town_code=town, boundary_geojson=boundary), []
