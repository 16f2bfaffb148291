"""What each caller of the small test city may see, and a check that an answer holds nothing else.

Shared by the role × route matrix and the Schemathesis fuzzing: the visible objects are written
from the rules of docs/web.md ("Scope"), not from the code, and :func:`rows_outside` walks any
JSON answer (lists, the dashboard, a site with its devices, GeoJSON) for ids outside them.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from tests.web.conftest import PARK_USER, TOWN_A, TOWN_B, City

_CITY = {"e1", "e2", "airA", "airB", "waterA", "out1", "out2", TOWN_A, TOWN_B, "park", "park2"}
_TOWN_UNITS = {f"unit:{TOWN_A}", f"unit:{TOWN_B}"}
#: Which registry objects each caller may see (keys of ``City.ids``, town codes, ``park`` P1, ``park2`` P2, and
#: ``unit:<town>`` for a town's rows in assessment runs).
VISIBLE: dict[str, set[str]] = {
    "city_admin": _CITY | _TOWN_UNITS,
    "bureau_analyst": _CITY | _TOWN_UNITS,
    "department": _CITY | _TOWN_UNITS,
    # a park management committee: the park's firm and its outlet, the park and the park's town
    # (no town's assessment: units are towns, not parks)
    PARK_USER: {"e1", "out1", TOWN_A, "park"},
    "town_officer": {"e1", "airA", "waterA", "out1", TOWN_A, "park", f"unit:{TOWN_A}"},
    "grid_officer": {"e1", "airA", "waterA", "out1", TOWN_A, "park"},
    "enterprise": {"e1", "out1", TOWN_A, "park"},
    "public": {"airA", "airB", "waterA", TOWN_A, TOWN_B},
    "anonymous": {"airA", "airB", "waterA", TOWN_A, TOWN_B},
}
#: Every caller the tests play.
CALLERS = tuple(VISIBLE)
SITE_KINDS = frozenset({"air_station", "water_section", "gas_outlet", "water_outlet"})
#: Disclosed to everyone (the city publishes them): not scoped.
DISCLOSED_PATHS = ("/api/public/",)


def rows_outside(body: Any, caller: str, city: City) -> list[str]:
    """Every object in ``body`` (a decoded JSON answer) that ``caller`` may not see, described."""
    visible = VISIBLE[caller]
    towns = {c for c in visible if c.isdigit()}
    units = {c.removeprefix("unit:") for c in visible if c.startswith("unit:")}
    firms = {city.ids[k] for k in ("e1", "e2") if k in visible}
    sites = {city.ids[k] for k in ("airA", "airB", "waterA", "out1", "out2") if k in visible}
    parks = {city.ids[k] for k in ("park", "park2") if k in visible}
    park_codes = {code for k, code in (("park", "P1"), ("park2", "P2")) if k in visible}
    found: list[str] = []

    def walk(node: Any, key: str) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, key)
            return
        if not isinstance(node, dict):
            return
        town = node.get("town_code")
        if isinstance(town, str) and town not in towns:
            found.append(f"town {town} in {key}")
        firm = node.get("enterprise_id")
        if isinstance(firm, int) and firm not in firms:
            found.append(f"enterprise {firm} in {key}")
        if node.get("kind") in SITE_KINDS and isinstance(node.get("id"), int) and node["id"] not in sites:
            found.append(f"site {node['id']} in {key}")
        site = node.get("site_id")
        if isinstance(site, int) and site not in sites:
            found.append(f"site {site} in {key}")
        if key == "parks" and isinstance(node.get("id"), int) and node["id"] not in parks:
            found.append(f"park {node['id']} in {key}")
        if key == "towns" and isinstance(node.get("code"), str) and node["code"] not in towns:
            found.append(f"town {node['code']} in {key}")
        if node.get("kind") == "town" and isinstance(node.get("code"), str) and node["code"] not in towns:
            found.append(f"town boundary {node['code']}")
        if (
            node.get("kind") == "park"
            and isinstance(node.get("code"), str)
            and node["code"] not in park_codes
        ):
            found.append(f"park boundary {node['code']}")
        unit = node.get("unit")
        if isinstance(unit, str) and unit.split(":")[0].isdigit() and unit.split(":")[0] not in units:
            found.append(f"assessment unit {unit}")
        for child_key, child in node.items():
            walk(child, child_key)

    walk(body, "answer")
    return found


def workbook_rows(data: bytes) -> dict[str, list[dict[str, Any]]]:
    """An exported workbook as {sheet title: rows as dicts} (first row = headers), for
    :func:`rows_outside`."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    out: dict[str, list[dict[str, Any]]] = {}
    for sheet in book.worksheets:
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        headers = [str(h) for h in rows[0]] if rows else []
        out[sheet.title] = [dict(zip(headers, r, strict=False)) for r in rows[1:]]
    return out
