"""Which limits a site page draws: GB 3095 ambient limits for air stations (edition in force on
the data's date), the emission standard of an outlet (its process and grade, in force on that
date; O2-referenced limits say so), the GB 3838 target-class limit of a water section.

Looked up in the standards package by the data's date (editions in force); a parameter without
a published limit gets none. Failures of a lookup never break a page: they yield no line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from greenport.kernel.errors import DomainError


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
        elif site["kind"] in ("gas_outlet", "water_outlet") and site.get("emission_standard"):
            from greenport.standards.emission import emission_limit

            rule = emission_limit(
                site["emission_standard"],
                site.get("process") or "all",
                parameter,
                grade=site.get("emission_grade"),
                on=on,
            )
            o2 = f", O2 {rule.reference_o2:g}%" if rule.reference_o2 is not None else ""
            out.append((f"{rule.standard}{o2}", float(rule.limit)))
            if rule.limit_low is not None:
                out.append((f"{rule.standard} (low)", float(rule.limit_low)))
        elif site["kind"] == "water_section" and site.get("target_class"):
            from greenport.standards import water

            limits = water.factor_limits(parameter)
            out.append(
                (f"GB 3838 class {site['target_class']}", float(limits.limit_for(int(site["target_class"]))))
            )
    except (DomainError, ValueError, KeyError):  # a parameter the tables do not cover: no line
        return out
    return out
