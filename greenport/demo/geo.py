"""Map geometry of the demo city: town polygons that tile the territory, park rectangles, and
points drawn inside them (all deterministic for a given ``random.Random``).

The territory's bounding box is cut into rows of cells (row 0 on the Yangtze, north). Neighbouring
rows share one boundary polyline with a vertex wherever a cell edge meets it, and the cell edges
are slanted straight lines, so the cells tile the box without overlap or gap. Coordinates are
``[lon, lat]`` in [degree], rounded to 5 decimals (~1 m).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass

from greenport.regions.validation import point_in_geojson

Point = tuple[float, float]


@dataclass(frozen=True)
class Cell:
    row: int
    col: int
    ring: list[Point]

    @property
    def geojson(self) -> str:
        return polygon_geojson(self.ring)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        lons = [p[0] for p in self.ring]
        lats = [p[1] for p in self.ring]
        return min(lons), min(lats), max(lons), max(lats)


def polygon_geojson(ring: Sequence[Point]) -> str:
    closed = list(ring) if ring[0] == ring[-1] else [*ring, ring[0]]
    return json.dumps(
        {"type": "Polygon", "coordinates": [[[round(x, 5), round(y, 5)] for x, y in closed]]},
        separators=(",", ":"),
    )


def _r(value: float) -> float:
    return round(value, 5)


def lattice(
    bbox: tuple[float, float, float, float], cols_per_row: Sequence[int], rng: random.Random
) -> tuple[dict[tuple[int, int], Cell], list[Point]]:
    """Cells ``(row, col)`` tiling ``bbox`` (lon_min, lat_min, lon_max, lat_max), and the closed
    outline of the whole territory (the union of the cells)."""
    x0, y0, x1, y1 = bbox
    rows = len(cols_per_row)
    height = (y1 - y0) / rows
    # Slanted cell edges: for row r and edge c (0..cols), x at the top and at the bottom of the row.
    edges: list[list[tuple[float, float]]] = []
    for cols in cols_per_row:
        width = (x1 - x0) / cols
        row_edges = []
        for c in range(cols + 1):
            if c in (0, cols):
                x = x0 if c == 0 else x1
                row_edges.append((x, x))
            else:
                base = x0 + c * width
                row_edges.append(
                    (_r(base + rng.uniform(-0.18, 0.18) * width), _r(base + rng.uniform(-0.18, 0.18) * width))
                )
        edges.append(row_edges)
    # Horizontal boundaries h = 0 (north bank) .. rows (south): vertices at every edge foot.
    boundaries: list[dict[float, float]] = []
    for h in range(rows + 1):
        xs = {x0, x1}
        if h > 0:
            xs.update(bottom for _, bottom in edges[h - 1])
        if h < rows:
            xs.update(top for top, _ in edges[h])
        span = x1 - x0
        xs.update(_r(x0 + span * k / 12 + rng.uniform(-0.01, 0.01) * span) for k in range(1, 12))
        base_y = y1 - h * height
        wobble = 0.12 if 0 < h < rows else 0.06
        boundaries.append({x: _r(base_y + rng.uniform(-wobble, wobble) * height) for x in sorted(xs)})
    cells: dict[tuple[int, int], Cell] = {}
    for r, cols in enumerate(cols_per_row):
        top, bottom = boundaries[r], boundaries[r + 1]
        for c in range(cols):
            (left_top, left_bottom), (right_top, right_bottom) = edges[r][c], edges[r][c + 1]
            north = [(x, y) for x, y in sorted(top.items()) if left_top <= x <= right_top]
            south = [(x, y) for x, y in sorted(bottom.items()) if left_bottom <= x <= right_bottom]
            ring = north + list(reversed(south))
            cells[(r, c)] = Cell(r, c, [*ring, ring[0]])
    north = sorted(boundaries[0].items())
    south = sorted(boundaries[rows].items(), reverse=True)
    outline = north + south
    return cells, [*outline, outline[0]]


def rectangle_inside(cell: Cell, *, offset: float, size: float = 0.32) -> list[Point]:
    """An axis-aligned rectangle inside ``cell`` (a park), centred at the cell's vertex mean moved
    east by ``offset`` cell widths; shrunk until every corner lies inside the cell."""
    lon_min, lat_min, lon_max, lat_max = cell.bbox
    width, height = lon_max - lon_min, lat_max - lat_min
    points = cell.ring[:-1]
    cx = sum(p[0] for p in points) / len(points) + offset * width
    cy = sum(p[1] for p in points) / len(points)
    geojson = cell.geojson
    scale = size
    while scale > 0.02:
        hw, hh = width * scale / 2, height * scale / 2
        corners = [(cx - hw, cy - hh), (cx + hw, cy - hh), (cx + hw, cy + hh), (cx - hw, cy + hh)]
        if all(point_in_geojson(x, y, geojson) for x, y in corners):
            return [(_r(x), _r(y)) for x, y in corners]
        scale *= 0.8
    raise ValueError(f"no room for a rectangle in cell {cell.row},{cell.col}")


def point_inside(
    rng: random.Random, geojson: str, bbox: tuple[float, float, float, float], *, avoid: Sequence[str] = ()
) -> Point:
    """A point drawn uniformly inside ``geojson`` (rejection sampling in ``bbox``), outside every
    polygon of ``avoid``."""
    lon_min, lat_min, lon_max, lat_max = bbox
    for _ in range(10_000):
        x, y = _r(rng.uniform(lon_min, lon_max)), _r(rng.uniform(lat_min, lat_max))
        if point_in_geojson(x, y, geojson) and not any(point_in_geojson(x, y, a) for a in avoid):
            return x, y
    raise ValueError("could not draw a point inside the polygon")


def bbox_of(ring: Sequence[Point]) -> tuple[float, float, float, float]:
    return min(p[0] for p in ring), min(p[1] for p in ring), max(p[0] for p in ring), max(p[1] for p in ring)
