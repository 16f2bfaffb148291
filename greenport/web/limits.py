"""Which limits a site page draws: ambient limits for stations, emission limits for outlets.

Looked up in the standards package by the data's date (editions in force); a parameter without
a published limit gets none. Failures of a lookup never break a page: they yield no line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def applicable_limits(
    site: dict[str, Any], parameter: str, *, period: str, on: datetime
) -> list[tuple[str, float]]:
    """(label, value) limits in the parameter's canonical unit for ``site`` on date ``on``."""
    out: list[tuple[str, float]] = []
    try:
        if site["kind"] == "air_station":
            from greenport.standards.ambient import ambient_limit

            limit = ambient_limit(parameter, "hour" if period == "hour" else "day", zone_class=2, on=on)
            label = getattr(limit, "edition", "GB 3095")
            out.append((f"{label} class 2", float(limit.value)))
        elif site["kind"] == "water_section" and site.get("target_class"):
            from greenport.standards import water

            limits = water.factor_limits(parameter)
            out.append(
                (f"GB 3838 class {site['target_class']}", float(limits.limit_for(int(site["target_class"]))))
            )
    except Exception:  # a parameter the tables do not cover: no line
        return out
    return out
