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


def outlet_exceedances(
    site: dict[str, Any],
    hourly: dict[str, tuple[datetime, float]],
    daily: dict[str, tuple[datetime, float]],
) -> list[dict[str, Any]]:
    """The pollutants of an outlet whose newest mean is over its emission limit.

    ``hourly`` / ``daily``: {parameter: (period start, mean)} of the newest valid aggregates.
    A limit averaged over an hour (the ultra-low emission limits, 环大气〔2019〕35号, 发改能源
    〔2014〕2093号) is judged on the newest hourly mean; any other (GB 8978-1996 Table 4, grab
    samples) on the newest daily mean of the online monitor. The limit is the one in force on the
    mean's date (``standards.emission.emission_limit``); an outlet without a standard, or a
    pollutant without a limit, is never over. Values are compared as stored (where a standard
    refers its limit to a reference O2 the stored mean is taken as already referred).
    """
    if site.get("kind") not in ("gas_outlet", "water_outlet") or not site.get("emission_standard"):
        return []
    from greenport.standards.emission import emission_limit

    out = []
    for parameter in sorted(set(hourly) | set(daily)):
        try:
            probe = hourly.get(parameter) or daily[parameter]
            rule = emission_limit(
                site["emission_standard"],
                site.get("process") or "all",
                parameter,
                grade=site.get("emission_grade"),
                on=probe[0],
            )
        except (DomainError, ValueError, KeyError):
            continue
        mean = hourly.get(parameter) if rule.averaging == "hour" else daily.get(parameter)
        if mean is None or not rule.in_force(mean[0].date()):
            continue
        if rule.exceeded_by(mean[1]):
            out.append(
                {
                    "parameter": parameter,
                    "value": round(mean[1], 3),
                    "limit": rule.limit,
                    "limit_low": rule.limit_low,
                    "unit": rule.unit,
                    "averaging": "hour" if rule.averaging == "hour" else "day",
                    "period_start": mean[0].isoformat(),
                    "standard": rule.standard,
                }
            )
    return out
