"""Ambient air concentration limits, GB 3095-2012 and GB 3095-2026 (with its transitional limits).

Limits are data (``data/ambient_limits.csv``, stages in ``data/ambient_stages.csv``). The edition is
the one in force on the data's date (:mod:`greenport.standards.editions`); within GB 3095-2026 the
*stage* is chosen by the date too: transitional limits to 2030-12-31, final limits from 2031-01-01.
A concentration equal to the limit complies ("≤ limit"); only a larger one exceeds.

Zone classes (GB 3095 §4.1): class 1 = nature reserves, scenic areas; class 2 = residential,
commercial, industrial and rural areas (a county city and its parks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from greenport.kernel.errors import InvalidInput
from greenport.standards._data import read_rows
from greenport.standards.editions import EditionLike, as_date, resolve_edition

#: Aliases accepted for ``pollutant``: the AQI keys map onto (pollutant, averaging).
_ALIASES = {"o3_8h": ("o3", "8h"), "so2_24h": ("so2", "day")}
_AVERAGING_ALIASES = {"24h": "day", "1h": "hour", "year": "annual", "8h": "8h"}


@dataclass(frozen=True, slots=True)
class AmbientLimit:
    """One GB 3095 limit with where it came from."""

    pollutant: str
    averaging: str
    zone_class: int
    value: float
    unit: str
    edition: str
    stage: str


@dataclass(frozen=True, slots=True)
class AmbientCheck:
    """A concentration compared with its limit; ``multiple`` = (C - limit) / limit when exceeding."""

    exceeds: bool
    concentration: float
    limit: AmbientLimit
    multiple: float | None


@cache
def _limits() -> dict[tuple[int, str, str, str], dict[str, str]]:
    return {
        (int(r["edition"]), r["stage"], r["pollutant"], r["averaging"]): r
        for r in read_rows("ambient_limits.csv")
    }


@cache
def _stages() -> list[tuple[int, str, date, date | None]]:
    return [
        (
            int(r["edition"]),
            r["stage"],
            date.fromisoformat(r["effective_from"]),
            date.fromisoformat(r["effective_to"]) if r["effective_to"] else None,
        )
        for r in read_rows("ambient_stages.csv")
    ]


def _stage(year: int, day: date | None, stage: str | None) -> str:
    stages = [s for s in _stages() if s[0] == year]
    if stage is not None:
        if stage not in {s[1] for s in stages}:
            raise InvalidInput(
                f"unknown stage {stage!r} of GB 3095-{year}; known: {', '.join(s[1] for s in stages)}",
                field="stage",
            )
        return stage
    if day is not None:
        for _, name, start, end in stages:
            if start <= day and (end is None or day <= end):
                return name
    return stages[0][1]  # an explicit edition without a date: its first stage


def ambient_limit(
    pollutant: str,
    averaging: str,
    *,
    zone_class: int = 2,
    on: date | datetime | str | None = None,
    edition: EditionLike | None = None,
    stage: str | None = None,
) -> AmbientLimit:
    """The GB 3095 limit for a pollutant and averaging time (Table 1 / Table 2).

    Parameters
    ----------
    pollutant : str
        ``so2, no2, co, o3, pm10, pm2_5, tsp, nox, pb, bap`` (``o3_8h`` = ``o3`` with ``8h``).
    averaging : str
        ``annual, quarter, day, 8h, hour`` (``24h``/``1h`` accepted).
    zone_class : {1, 2}
        Ambient air function zone class (GB 3095 §4.1).
    on, edition, stage
        Date of the data; or an explicit edition (and, for 2026, ``transition``/``final``).

    Returns
    -------
    AmbientLimit
        ``value`` in [µg/m³] (CO [mg/m³]) with the edition and stage used.
    """
    if zone_class not in (1, 2):
        raise InvalidInput(f"zone_class must be 1 or 2, got {zone_class!r}", field="zone_class")
    if pollutant in _ALIASES:
        pollutant, averaging = _ALIASES[pollutant]
    averaging = _AVERAGING_ALIASES.get(averaging, averaging)
    used = resolve_edition("ambient", on=on, edition=edition)
    day = as_date(on) if (on is not None or edition is None) else None
    stage_name = _stage(used.year, day, stage)
    row = _limits().get((used.year, stage_name, pollutant, averaging))
    if row is None:
        known = sorted({f"{k[2]}/{k[3]}" for k in _limits() if k[0] == used.year})
        raise InvalidInput(
            f"no {used.code} limit for {pollutant!r} averaged over {averaging!r}; known: {', '.join(known)}",
            field="pollutant",
        )
    return AmbientLimit(
        pollutant=pollutant,
        averaging=averaging,
        zone_class=zone_class,
        value=float(row[f"class{zone_class}"]),
        unit=row["unit"],
        edition=used.code,
        stage=stage_name,
    )


def exceeds_ambient_limit(
    concentration: float,
    pollutant: str,
    averaging: str,
    *,
    zone_class: int = 2,
    on: date | datetime | str | None = None,
    edition: EditionLike | None = None,
    stage: str | None = None,
) -> AmbientCheck:
    """Compare a concentration [µg/m³; CO mg/m³] with its GB 3095 limit (equal = complies)."""
    try:
        value = float(concentration)
    except (TypeError, ValueError):
        raise InvalidInput(f"not a number: {concentration!r}", field="concentration") from None
    if math.isnan(value) or math.isinf(value) or value < 0:
        raise InvalidInput(f"concentration must be finite and >= 0, got {value}", field="concentration")
    limit = ambient_limit(pollutant, averaging, zone_class=zone_class, on=on, edition=edition, stage=stage)
    exceeds = value > limit.value
    return AmbientCheck(exceeds, value, limit, (value - limit.value) / limit.value if exceeds else None)
