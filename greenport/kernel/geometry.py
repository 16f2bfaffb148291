"""Plane geometry on GeoJSON (RFC 7946) polygons in lon/lat degrees: point in polygon.

Ray casting (the even-odd rule) on the rings as given: at the scale of a town (tens of km) the
lon/lat plane is close enough to the sphere for deciding which village a point lies in, and the
boundaries the registry holds are drawn at that precision. A point on an edge counts as inside
(a report on the line between two villages is routed to the first that claims it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

Ring = Sequence[Sequence[float]]


def _on_segment(lon: float, lat: float, a: Sequence[float], b: Sequence[float]) -> bool:
    cross = (b[0] - a[0]) * (lat - a[1]) - (b[1] - a[1]) * (lon - a[0])
    if abs(cross) > 1e-12:
        return False
    return min(a[0], b[0]) <= lon <= max(a[0], b[0]) and min(a[1], b[1]) <= lat <= max(a[1], b[1])


def ring_contains(ring: Ring, lon: float, lat: float) -> bool:
    """Whether (``lon``, ``lat``) is inside or on the closed ``ring`` (even-odd rule)."""
    inside = False
    count = len(ring)
    for i in range(count):
        a, b = ring[i], ring[(i + 1) % count]
        if _on_segment(lon, lat, a, b):
            return True
        if (a[1] > lat) != (b[1] > lat):
            crossing = a[0] + (lat - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
            if lon < crossing:
                inside = not inside
    return inside


def _polygon_contains(rings: Sequence[Ring], lon: float, lat: float) -> bool:
    if not rings or not ring_contains(rings[0], lon, lat):
        return False
    return not any(ring_contains(hole, lon, lat) and not _on_hole_edge(hole, lon, lat) for hole in rings[1:])


def _on_hole_edge(hole: Ring, lon: float, lat: float) -> bool:
    return any(_on_segment(lon, lat, hole[i], hole[(i + 1) % len(hole)]) for i in range(len(hole)))


def geometry_contains(geometry: dict[str, Any] | str, lon: float, lat: float) -> bool:
    """Whether a GeoJSON ``Polygon`` or ``MultiPolygon`` geometry (a dict, or its JSON text; a
    ``Feature`` is unwrapped) contains the point. Other geometry types contain nothing.

    Raises ``ValueError`` for text that is not JSON."""
    shape = json.loads(geometry) if isinstance(geometry, str) else geometry
    if shape.get("type") == "Feature":
        shape = shape.get("geometry") or {}
    if shape.get("type") == "Polygon":
        return _polygon_contains(shape.get("coordinates") or [], lon, lat)
    if shape.get("type") == "MultiPolygon":
        return any(_polygon_contains(p, lon, lat) for p in shape.get("coordinates") or [])
    return False
