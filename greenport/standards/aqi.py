"""Air quality index per HJ 633-2012 and HJ 633-2026, scalar and vectorised.

Canonical pollutant keys (kernel parameter registry): ``so2, no2, co, o3, o3_8h, pm10, pm2_5`` and
``so2_24h``; CO in [mg/m³], the others in [µg/m³].

What enters the AQI (``averaging``):

==========  ============================================================  =========================
averaging   HJ 633-2012                                                   HJ 633-2026
==========  ============================================================  =========================
``hour``    1-h SO2, NO2, CO, O3 on the 1-h tables; PM10, PM2.5 on the    same, 2026 tables
            24-h tables (as CNEMC publishes, verified on the 2018
            snapshot); ``o3_8h`` is not used
``day``     24-h SO2, NO2, CO, PM10, PM2.5; daily max 1-h O3 (``o3``)     24-h SO2, NO2, CO, PM10,
            and daily max 8-h O3 (``o3_8h``): 7 indicators                PM2.5, max 8-h O3: 6
==========  ============================================================  =========================

Special rules (``data/aqi_rules.csv``): 2012 — 1-h SO2 > 800 has no 1-h IAQI, the SO2 IAQI comes
from the 24-h mean (``so2_24h``); 8-h O3 > 800 has no 8-h IAQI, the 1-h O3 IAQI is reported.
2026 — 1-h SO2 > 800 gives IAQI 200; 8-h O3 > 800 gives IAQI 300; concentrations are rounded
(GB/T 8170, half to even) to integers, CO to 0.1, before the IAQI; AQI range 1-500; a missing
pollutant: AQI from the others, published only when > 100 (else ``aqi is None``).

Notes
-----
.. math:: IAQI_P = \\frac{IAQI_{Hi} - IAQI_{Lo}}{BP_{Hi} - BP_{Lo}} (C_P - BP_{Lo}) + IAQI_{Lo}

(HJ 633-2012 §6.2 eq. 1), rounded *up* to an integer (2012: "全部进位取整数"; 2026 §4.2.6
"向上进位"). AQI = max IAQI. Above a table's last breakpoint the standards define no value;
GreenPort caps at 500. Primary pollutants: every pollutant whose IAQI equals the AQI, when AQI > 50.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from typing import Literal

import numpy as np
import numpy.typing as npt

from greenport.kernel.errors import InvalidInput
from greenport.standards._data import read_rows
from greenport.standards.editions import Edition, EditionLike, resolve_edition

Averaging = Literal["hour", "day"]
FloatArray = npt.NDArray[np.float64]

#: Canonical keys accepted by :func:`aqi`, in the order results list them.
POLLUTANTS: tuple[str, ...] = ("so2", "no2", "co", "o3", "o3_8h", "pm10", "pm2_5")

#: Tolerance when rounding an IAQI up: binary floating point must not turn 50 into 51.
_CEIL_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Level:
    """One AQI level (HJ 633 Table 2 / Appendix A)."""

    level: int
    aqi_low: int
    aqi_high: int
    level_zh: str
    category_zh: str
    category_en: str
    colour_zh: str
    colour_en: str
    rgb: tuple[int, int, int]

    @property
    def colour_hex(self) -> str:
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)


@dataclass(frozen=True, slots=True)
class AqiResult:
    """An AQI with everything that went into it."""

    aqi: int | None
    level: int | None
    category_zh: str | None
    category_en: str | None
    colour_en: str | None
    colour_hex: str | None
    iaqi: Mapping[str, int]
    primary_pollutants: tuple[str, ...]
    averaging: str
    edition: str
    missing: tuple[str, ...] = ()
    exceeding: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def primary_pollutants_zh(self) -> str:
        """As CNEMC publishes it: Chinese names joined by commas (empty when none)."""
        names = pollutant_names()
        return ",".join(names[key] for key in self.primary_pollutants)

    def to_dict(self) -> dict[str, object]:
        return {
            "aqi": self.aqi,
            "level": self.level,
            "category_zh": self.category_zh,
            "category_en": self.category_en,
            "colour": self.colour_en,
            "colour_hex": self.colour_hex,
            "iaqi": dict(self.iaqi),
            "primary_pollutants": list(self.primary_pollutants),
            "primary_pollutants_zh": self.primary_pollutants_zh,
            "averaging": self.averaging,
            "edition": self.edition,
            "missing": list(self.missing),
            "exceeding": list(self.exceeding),
            "notes": list(self.notes),
        }


# --- tables ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    breakpoints: tuple[float, ...]
    iaqi: tuple[float, ...]
    above_last: str  # "cap", "substitute:<table>" or a number


@cache
def _tables(year: int) -> dict[str, _Table]:
    rows = [row for row in read_rows("aqi_breakpoints.csv") if int(row["edition"]) == year]
    rules = {
        row["table"]: row["above_last"] for row in read_rows("aqi_rules.csv") if int(row["edition"]) == year
    }
    names = [key for key in rows[0] if key not in ("edition", "iaqi")]
    tables = {}
    for name in names:
        points = [(float(row[name]), float(row["iaqi"])) for row in rows if row[name] != ""]
        tables[name] = _Table(
            name=name,
            breakpoints=tuple(p[0] for p in points),
            iaqi=tuple(p[1] for p in points),
            above_last=rules.get(name, rules.get("*", "cap")),
        )
    return tables


@cache
def _pollutant_rows() -> dict[str, dict[str, str]]:
    return {row["key"]: row for row in read_rows("aqi_pollutants.csv")}


def pollutant_names() -> dict[str, str]:
    """Chinese pollutant names as CNEMC publishes them (``pm2_5`` -> ``细颗粒物(PM2.5)``)."""
    return {key: row["name_zh"] for key, row in _pollutant_rows().items()}


@cache
def levels() -> tuple[Level, ...]:
    """The six AQI levels (HJ 633-2012 Table 2; the same in 2026)."""
    return tuple(
        Level(
            level=int(row["level"]),
            aqi_low=int(row["aqi_low"]),
            aqi_high=int(row["aqi_high"]),
            level_zh=row["level_zh"],
            category_zh=row["category_zh"],
            category_en=row["category_en"],
            colour_zh=row["colour_zh"],
            colour_en=row["colour_en"],
            rgb=(int(row["r"]), int(row["g"]), int(row["b"])),
        )
        for row in read_rows("aqi_levels.csv")
    )


def level_of(aqi_value: int) -> Level:
    """The level of an (integer) AQI: ≤50 → 1, ≤100 → 2, ≤150 → 3, ≤200 → 4, ≤300 → 5, else 6."""
    for item in levels():
        if aqi_value <= item.aqi_high:
            return item
    return levels()[-1]


def _table_for(pollutant: str, averaging: str, year: int) -> _Table:
    if averaging not in ("hour", "day"):
        raise InvalidInput(f"averaging must be 'hour' or 'day', got {averaging!r}", field="averaging")
    try:
        row = _pollutant_rows()[pollutant]
    except KeyError:
        known = ", ".join(_pollutant_rows())
        raise InvalidInput(f"unknown pollutant {pollutant!r}; known: {known}", field=pollutant) from None
    return _tables(year)[row["hour_table" if averaging == "hour" else "day_table"]]


def _edition(on: date | datetime | str | None, edition: EditionLike | None) -> Edition:
    return resolve_edition("aqi", on=on, edition=edition)


# --- rounding -----------------------------------------------------------------------------------


def _decimals(pollutant: str) -> int:
    return 1 if pollutant == "co" else 0


def round_concentration(pollutant: str, concentration: float) -> float:
    """HJ 633-2026 §4.2: round to an integer (CO to 0.1 mg/m³) per GB/T 8170 (ties to even).

    The tie is decided on ``concentration × 10^n`` in binary floating point (so ``1.15`` → 1.2,
    ``0.25`` → 0.2); the vectorised path uses the same arithmetic.
    """
    scale = 10.0 ** _decimals(pollutant)
    return float(np.rint(concentration * scale)) / scale


def _ceil(value: float) -> int:
    return math.ceil(value - _CEIL_EPS)


# --- scalar path --------------------------------------------------------------------------------


def _interpolate(table: _Table, c: float) -> float | None:
    """IAQI before rounding; None when the table defines nothing above its last breakpoint."""
    bps, ivals = table.breakpoints, table.iaqi
    if c > bps[-1]:
        rule = table.above_last
        if rule == "cap":
            return 500.0
        if rule.startswith("substitute:"):
            return None
        return float(rule)
    hi = max(bisect.bisect_left(bps, c), 1)
    lo = hi - 1
    return (ivals[hi] - ivals[lo]) / (bps[hi] - bps[lo]) * (c - bps[lo]) + ivals[lo]


def _check(pollutant: str, concentration: float | None) -> float | None:
    if concentration is None:
        return None
    try:
        value = float(concentration)
    except (TypeError, ValueError):
        raise InvalidInput(f"{pollutant}: not a number: {concentration!r}", field=pollutant) from None
    if math.isnan(value):
        return None
    if value < 0 or math.isinf(value):
        raise InvalidInput(
            f"{pollutant}: concentration must be finite and >= 0, got {value}", field=pollutant
        )
    return value


def iaqi(
    pollutant: str,
    concentration: float,
    averaging: Averaging = "hour",
    *,
    on: date | datetime | str | None = None,
    edition: EditionLike | None = None,
) -> int | None:
    """Individual air quality index of one pollutant (HJ 633 Table 1 / Table 3, §6.2 eq. 1).

    Parameters
    ----------
    pollutant : str
        Canonical key: ``so2, so2_24h, no2, co, o3, o3_8h, pm10, pm2_5``.
    concentration : float
        Concentration. [µg/m³; CO mg/m³]
    averaging : {"hour", "day"}
        ``hour`` uses the 1-h tables of SO2/NO2/CO (real-time report), ``day`` the 24-h tables.
        O3 1-h / 8-h and PM always use their own tables.
    on, edition
        Date of the data (picks the edition in force) or an explicit edition.

    Returns
    -------
    int or None
        IAQI rounded up [dimensionless]; None where HJ 633-2012 defines no value (1-h SO2 > 800,
        8-h O3 > 800: :func:`aqi` then substitutes the 24-h SO2 / 1-h O3 IAQI).
    """
    used = _edition(on, edition)
    value = _check(pollutant, concentration)
    if value is None:
        raise InvalidInput(f"{pollutant}: a concentration is required", field=pollutant)
    table = _table_for(pollutant, averaging, used.year)
    if used.year >= 2026:
        value = round_concentration(pollutant, value)
    raw = _interpolate(table, value)
    return None if raw is None else _ceil(raw)


def _participants(averaging: str, year: int) -> tuple[str, ...]:
    if averaging == "day":
        return ("so2", "no2", "co", "pm10", "pm2_5", "o3_8h") if year >= 2026 else POLLUTANTS
    return ("so2", "no2", "co", "o3", "pm10", "pm2_5")


def aqi(
    concentrations: Mapping[str, float | None],
    averaging: Averaging = "hour",
    *,
    on: date | datetime | str | None = None,
    edition: EditionLike | None = None,
) -> AqiResult:
    """AQI, level, category, colour and primary pollutant(s) of one place and period (HJ 633 §6).

    Parameters
    ----------
    concentrations : mapping
        Canonical key -> concentration [µg/m³; CO mg/m³]; None or NaN = missing. For the hourly
        report under HJ 633-2012 give ``so2_24h`` too when 1-h SO2 may exceed 800 µg/m³.
        Keys the report does not use (e.g. ``o3_8h`` hourly) are ignored and listed in ``notes``.
    averaging : {"hour", "day"}
        Real-time (hourly) or daily report; see the module docstring for what each uses.
    on, edition
        Date of the data (edition in force then) or an explicit edition.

    Raises
    ------
    InvalidInput
        Unknown key, negative or non-numeric value, or a 2012 substitution whose input is missing
        (``so2_24h`` for 1-h SO2 > 800; ``o3`` for 8-h O3 > 800).
    """
    used = _edition(on, edition)
    if averaging not in ("hour", "day"):
        raise InvalidInput(f"averaging must be 'hour' or 'day', got {averaging!r}", field="averaging")
    known = _pollutant_rows()
    for key in concentrations:
        if key not in known:
            raise InvalidInput(f"unknown pollutant {key!r}; known: {', '.join(known)}", field=key)
    values = {key: _check(key, concentrations.get(key)) for key in known}
    wanted = _participants(averaging, used.year)
    notes = [
        f"{key} not used in the {averaging} report of {used.code}"
        for key in concentrations
        if key not in wanted and key != "so2_24h" and values[key] is not None
    ]
    subs: dict[str, int] = {}
    missing: list[str] = []
    for key in wanted:
        value = values[key]
        if value is None:
            missing.append(key)
            continue
        result = iaqi(key, value, averaging, edition=used)
        if result is None:  # a 2012 substitution rule
            table = _table_for(key, averaging, used.year)
            target = table.above_last.split(":", 1)[1]
            source = "so2_24h" if target == "so2_24h" else "o3"
            source_value = values[source]
            if source_value is None:
                raise InvalidInput(
                    f"{key} = {value:g} is above {table.breakpoints[-1]:g}: {used.code} takes the IAQI "
                    f"from {source}, which is missing",
                    field=source,
                )
            substitute = iaqi(source, source_value, averaging, edition=used)
            assert substitute is not None
            if key == "o3_8h":
                notes.append(
                    f"o3_8h above {table.breakpoints[-1]:g}: the 1-h O3 IAQI is reported ({used.code})"
                )
                if "o3" in wanted:
                    continue  # the 1-h IAQI is already in the set
                result = substitute
            else:
                notes.append(f"so2 above {table.breakpoints[-1]:g}: IAQI from so2_24h ({used.code})")
                result = substitute
        subs[key] = result
    return _assemble(subs, tuple(missing), averaging, used, tuple(notes))


def _assemble(
    subs: dict[str, int], missing: tuple[str, ...], averaging: str, used: Edition, notes: tuple[str, ...]
) -> AqiResult:
    blank = AqiResult(
        aqi=None,
        level=None,
        category_zh=None,
        category_en=None,
        colour_en=None,
        colour_hex=None,
        iaqi=subs,
        primary_pollutants=(),
        averaging=averaging,
        edition=used.code,
        missing=missing,
        notes=notes,
    )
    if not subs:
        return blank
    value = max(subs.values())
    if used.year >= 2026:
        value = max(value, 1)  # HJ 633-2026: AQI range 1-500
        if missing and value <= 100:
            return replace(blank, notes=(*notes, "pollutant missing and AQI <= 100: AQI = NA"))
    lvl = level_of(value)
    primary = tuple(key for key in POLLUTANTS if subs.get(key) == value) if value > 50 else ()
    exceeding = tuple(key for key in POLLUTANTS if subs.get(key, 0) > 100) if used.year < 2026 else ()
    return AqiResult(
        aqi=value,
        level=lvl.level,
        category_zh=lvl.category_zh,
        category_en=lvl.category_en,
        colour_en=lvl.colour_en,
        colour_hex=lvl.colour_hex,
        iaqi=subs,
        primary_pollutants=primary,
        averaging=averaging,
        edition=used.code,
        missing=missing,
        exceeding=exceeding,
        notes=notes,
    )


# --- vectorised path ----------------------------------------------------------------------------


def iaqi_array(
    pollutant: str,
    concentration: npt.ArrayLike,
    averaging: Averaging = "hour",
    *,
    on: date | datetime | str | None = None,
    edition: EditionLike | None = None,
) -> FloatArray:
    """Vectorised :func:`iaqi`: float array of integer IAQIs, NaN where missing or undefined.

    Same arithmetic as the scalar path (identical results). Negative values raise
    :class:`InvalidInput` naming the first offending index.
    """
    used = _edition(on, edition)
    table = _table_for(pollutant, averaging, used.year)
    c = np.asarray(concentration, dtype=np.float64)
    bad = (c < 0) | np.isinf(c)
    if bad.any():
        index = int(np.flatnonzero(bad.ravel())[0])
        raise InvalidInput(
            f"{pollutant}: concentration must be finite and >= 0 (index {index}: {c.ravel()[index]})",
            field=pollutant,
            row=index,
        )
    if used.year >= 2026:
        scale = 10.0 ** _decimals(pollutant)
        c = np.rint(c * scale) / scale
    bps = np.asarray(table.breakpoints)
    ivals = np.asarray(table.iaqi)
    hi = np.clip(np.searchsorted(bps, c, side="left"), 1, len(bps) - 1)
    lo = hi - 1
    raw = (ivals[hi] - ivals[lo]) / (bps[hi] - bps[lo]) * (c - bps[lo]) + ivals[lo]
    out = np.ceil(raw - _CEIL_EPS)
    above = c > bps[-1]
    rule = table.above_last
    if rule == "cap":
        out[above] = 500.0
    elif rule.startswith("substitute:"):
        out[above] = np.nan
    else:
        out[above] = float(rule)
    return out


@dataclass(frozen=True)
class AqiArrays:
    """Vectorised AQI: ``aqi`` (NaN = none), ``level`` (0 = none), ``primary[k]`` a bool array per key."""

    aqi: FloatArray
    level: npt.NDArray[np.int8]
    iaqi: dict[str, FloatArray]
    primary: dict[str, npt.NDArray[np.bool_]]
    averaging: str
    edition: str


_LEVEL_EDGES = np.array([50, 100, 150, 200, 300], dtype=np.float64)


def aqi_array(
    concentrations: Mapping[str, npt.ArrayLike],
    averaging: Averaging = "hour",
    *,
    on: date | datetime | str | None = None,
    edition: EditionLike | None = None,
) -> AqiArrays:
    """Vectorised :func:`aqi` over arrays of equal shape (e.g. 8760 h × 1500 stations).

    Gives the same AQI, level and primary pollutants as the scalar path element by element. A 2012
    substitution whose input is missing raises :class:`InvalidInput` as the scalar path does.
    """
    used = _edition(on, edition)
    if averaging not in ("hour", "day"):
        raise InvalidInput(f"averaging must be 'hour' or 'day', got {averaging!r}", field="averaging")
    known = _pollutant_rows()
    for key in concentrations:
        if key not in known:
            raise InvalidInput(f"unknown pollutant {key!r}; known: {', '.join(known)}", field=key)
    arrays = {key: np.asarray(value, dtype=np.float64) for key, value in concentrations.items()}
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values())) if arrays else ()
    wanted = _participants(averaging, used.year)
    subs: dict[str, FloatArray] = {}
    for key in wanted:
        if key not in arrays:
            subs[key] = np.full(shape, np.nan)
            continue
        c = np.broadcast_to(arrays[key], shape)
        sub = iaqi_array(key, c, averaging, edition=used)
        table = _table_for(key, averaging, used.year)
        if table.above_last.startswith("substitute:"):
            undefined = c > table.breakpoints[-1]
            if undefined.any():
                source = "so2_24h" if key == "so2" else "o3"
                src = np.broadcast_to(arrays.get(source, np.full(shape, np.nan)), shape)
                lacking = undefined & np.isnan(src)
                if lacking.any():
                    index = int(np.flatnonzero(lacking.ravel())[0])
                    raise InvalidInput(
                        f"{key} above {table.breakpoints[-1]:g} at index {index}: {used.code} takes the IAQI "
                        f"from {source}, which is missing",
                        field=source,
                        row=index,
                    )
                alt = iaqi_array(source, src, averaging, edition=used)
                if key == "o3_8h" and "o3" in wanted:
                    sub = np.where(undefined, np.nan, sub)  # 1-h IAQI already counted
                else:
                    sub = np.where(undefined, alt, sub)
        subs[key] = sub
    stack = np.stack([subs[key] for key in wanted]) if wanted else np.full((1, *shape), np.nan)
    present = ~np.isnan(stack)
    any_present = present.any(axis=0)
    value = np.where(any_present, np.nanmax(np.where(present, stack, -np.inf), axis=0), np.nan)
    if used.year >= 2026:
        value = np.where(any_present, np.maximum(value, 1.0), np.nan)
        any_missing = (~present).any(axis=0)
        value = np.where(any_missing & (value <= 100), np.nan, value)
    valid = ~np.isnan(value)
    level = np.where(valid, np.searchsorted(_LEVEL_EDGES, np.nan_to_num(value), side="left") + 1, 0)
    primary = {
        key: valid & (value > 50) & (subs[key] == value) if key in subs else np.zeros(shape, dtype=bool)
        for key in POLLUTANTS
    }
    return AqiArrays(
        aqi=value,
        level=level.astype(np.int8),
        iaqi=subs,
        primary=primary,
        averaging=averaging,
        edition=used.code,
    )
