"""Stack-gas corrections, emission rates and emission limit tables.

Formulas (HJ 212-2017 Appendix D eq. 26-28 and HJ 75-2017, as in the monitoring reference §6.1):

* reference-oxygen correction ``C_ref = C × (21 − O2_ref) / (21 − O2_meas)``, C dry at standard
  state (273.15 K, 101.325 kPa), O2 in % (dry);
* wet → dry ``C_dry = C_wet / (1 − X_sw)``, X_sw the water-vapour volume fraction;
* actual → standard state ``C_sn = C_s × (273 + t_s)/273 × 101325/(B_a + P_s)``;
* ppm → mg/m³ ``C = C_ppm × M / 22.4``; NOx as NO2 ``= C_NO × 46/30 + C_NO2``;
* emission rate ``G = C × Q × 10⁻⁶`` [kg/h] from C [mg/m³] and Q [m³/h].

Limit tables are data (``data/emission_limits.csv``) with their source and effective dates; local
standards (e.g. Jiangsu DB32) and per-permit limits are added as rows of the same shape with
:func:`register_limits`. The functions accept floats or numpy arrays.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import numpy.typing as npt

from greenport.kernel.errors import InvalidInput, InvalidRows, RowError
from greenport.standards._data import read_rows
from greenport.standards.editions import as_date

#: A float or a numpy array (results follow the type of the first argument).
Number = float | npt.NDArray[np.float64]

#: Oxygen content of dry air [%] (HJ 212-2017 App. D).
AIR_O2_PERCENT = 21.0
#: Molar volume of an ideal gas at 273.15 K, 101.325 kPa [L/mol].
MOLAR_VOLUME_L = 22.4


def _array(name: str, value: object) -> npt.NDArray[np.float64]:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name}: not a number: {value!r}", field=name) from None


def _back(value: npt.NDArray[np.float64], like: object) -> Number:
    return value if isinstance(like, np.ndarray) else float(value)


def correct_to_reference_o2(concentration: Number, measured_o2: Number, reference_o2: float) -> Number:
    """Concentration at the reference oxygen content (HJ 212-2017 App. D eq. 26; reference §6.1).

    Parameters
    ----------
    concentration : float or ndarray
        Measured concentration, dry, standard state. [mg/m³]
    measured_o2 : float or ndarray
        Measured O2 content, dry. [%]
    reference_o2 : float
        Reference (基准) O2 content of the applicable standard. [%]

    Returns
    -------
    float or ndarray
        ``C × (21 − O2_ref) / (21 − O2_meas)``. [mg/m³]

    Raises
    ------
    InvalidInput
        O2 outside 0 <= O2 < 21 % (at 21 % the stack carries air only: shutdown or air ingress,
        correction undefined), or a negative concentration.
    """
    c = _array("concentration", concentration)
    o2 = _array("measured_o2", measured_o2)
    ref = float(reference_o2)
    if not 0 <= ref < AIR_O2_PERCENT:
        raise InvalidInput(f"reference O2 must be within 0-21 %, got {ref}", field="reference_o2")
    if np.any(~np.isfinite(o2)) or np.any(o2 < 0) or np.any(o2 >= AIR_O2_PERCENT):
        raise InvalidInput(
            "measured O2 must be >= 0 and < 21 % (at 21 % the correction is undefined: the stack carries air)",
            field="measured_o2",
        )
    if np.any(c < 0):
        raise InvalidInput("concentration must be >= 0", field="concentration")
    return _back(c * (AIR_O2_PERCENT - ref) / (AIR_O2_PERCENT - o2), concentration)


def wet_to_dry(concentration: Number, moisture: Number) -> Number:
    """Dry-basis concentration ``C / (1 − X_sw)`` (HJ 75-2017). moisture [fraction 0-1, not %]."""
    c = _array("concentration", concentration)
    x = _array("moisture", moisture)
    if np.any(x < 0) or np.any(x >= 1):
        raise InvalidInput("moisture is a volume fraction 0 <= X_sw < 1 (give 0.08, not 8)", field="moisture")
    return _back(c / (1 - x), concentration)


def dry_to_wet(concentration: Number, moisture: Number) -> Number:
    """Wet-basis concentration ``C × (1 − X_sw)``; inverse of :func:`wet_to_dry`. moisture [fraction]."""
    c = _array("concentration", concentration)
    x = _array("moisture", moisture)
    if np.any(x < 0) or np.any(x >= 1):
        raise InvalidInput("moisture is a volume fraction 0 <= X_sw < 1 (give 0.08, not 8)", field="moisture")
    return _back(c * (1 - x), concentration)


def to_standard_state(
    concentration: Number, temperature_c: Number, barometric_pa: Number, static_pa: Number = 0.0
) -> Number:
    """Actual → standard state (273 K, 101325 Pa): ``C × (273 + t)/273 × 101325/(B_a + P_s)``.

    temperature_c [°C]; barometric_pa, static_pa [Pa]. [mg/m³]
    """
    c = _array("concentration", concentration)
    t = _array("temperature_c", temperature_c)
    pressure = _array("barometric_pa", barometric_pa) + _array("static_pa", static_pa)
    if np.any(pressure <= 0) or np.any(t <= -273):
        raise InvalidInput("absolute pressure must be > 0 and temperature > -273 °C", field="barometric_pa")
    return _back(c * (273 + t) / 273 * 101325 / pressure, concentration)


def ppm_to_mg_m3(ppm: Number, molar_mass: float) -> Number:
    """Volume fraction [µmol/mol] → mass concentration ``ppm × M / 22.4`` [mg/m³]; M [g/mol]."""
    return _back(_array("ppm", ppm) * molar_mass / MOLAR_VOLUME_L, ppm)


def nox_as_no2(no: Number, no2: Number) -> Number:
    """NOx expressed as NO2: ``C_NO × 46/30 + C_NO2`` [mg/m³]."""
    return _back(_array("no", no) * 46.0 / 30.0 + _array("no2", no2), no)


def emission_rate(concentration: Number, flow: Number) -> Number:
    """Emission rate ``C × Q × 10⁻⁶`` [kg/h] from concentration [mg/m³] and flow [m³/h] (same basis)."""
    c = _array("concentration", concentration)
    q = _array("flow", flow)
    if np.any(q < 0):
        raise InvalidInput("flow must be >= 0", field="flow")
    return _back(c * q * 1e-6, concentration)


# --- limits -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EmissionLimit:
    """One limit of one standard (or permit) for one process and pollutant."""

    standard: str
    process: str
    pollutant: str
    grade: str
    limit: float
    limit_low: float | None
    unit: str
    reference_o2: float | None
    averaging: str
    effective_from: date
    effective_to: date | None
    status: str
    source: str

    def exceeded_by(self, value: float) -> bool:
        """True when ``value`` is above the limit (or below ``limit_low``); equal complies."""
        if math.isnan(value):
            return False
        return value > self.limit or (self.limit_low is not None and value < self.limit_low)

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


_REGISTRY: list[EmissionLimit] = []
_REQUIRED = ("standard", "process", "pollutant", "limit", "unit", "effective_from", "source")


def _parse(row: Mapping[str, str], index: int) -> tuple[EmissionLimit | None, list[RowError]]:
    errors = [RowError(index, key, "required") for key in _REQUIRED if not str(row.get(key, "")).strip()]
    if errors:
        return None, errors

    def number(key: str) -> float | None:
        text = str(row.get(key, "") or "").strip()
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            errors.append(RowError(index, key, "not a number", text))
            return None

    def day(key: str) -> date | None:
        text = str(row.get(key, "") or "").strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            errors.append(RowError(index, key, "not an ISO date (YYYY-MM-DD)", text))
            return None

    limit, low, ref = number("limit"), number("limit_low"), number("reference_o2")
    start, end = day("effective_from"), day("effective_to")
    if ref is not None and not 0 <= ref < AIR_O2_PERCENT:
        errors.append(RowError(index, "reference_o2", "must be within 0-21 %", ref))
    if errors or limit is None or start is None:
        return None, errors
    return (
        EmissionLimit(
            standard=str(row["standard"]).strip(),
            process=str(row["process"]).strip(),
            pollutant=str(row["pollutant"]).strip(),
            grade=str(row.get("grade", "") or "").strip(),
            limit=limit,
            limit_low=low,
            unit=str(row["unit"]).strip(),
            reference_o2=ref,
            averaging=str(row.get("averaging", "") or "hour").strip(),
            effective_from=start,
            effective_to=end,
            status=str(row.get("status", "") or "").strip(),
            source=str(row["source"]).strip(),
        ),
        [],
    )


def register_limits(rows: Iterable[Mapping[str, str]], *, source: str = "limit table") -> int:
    """Add limit rows (same columns as ``data/emission_limits.csv``): local standards, permits.

    All rows are checked first; any bad row raises :class:`InvalidRows` (row numbers 1-based) and
    nothing is added. Returns the number of rows added.
    """
    parsed: list[EmissionLimit] = []
    errors: list[RowError] = []
    for index, row in enumerate(rows, start=1):
        item, row_errors = _parse(row, index)
        errors.extend(row_errors)
        if item is not None:
            parsed.append(item)
    if errors:
        raise InvalidRows(errors, source=source)
    _REGISTRY.extend(parsed)
    return len(parsed)


register_limits(read_rows("emission_limits.csv"), source="emission_limits.csv")


def limits(standard: str | None = None) -> tuple[EmissionLimit, ...]:
    """Every registered limit (of one standard)."""
    return tuple(item for item in _REGISTRY if standard is None or item.standard == standard)


def emission_limit(
    standard: str,
    process: str,
    pollutant: str,
    *,
    grade: str | int | None = None,
    on: date | datetime | str | None = None,
) -> EmissionLimit:
    """The limit of ``standard`` for ``process`` and ``pollutant`` in force on ``on`` (default today).

    Parameters
    ----------
    standard : str
        ``steel_ultra_low``, ``coal_power_ultra_low``, ``gb8978_1996`` or a registered local/permit table.
    process : str
        Process (e.g. ``sintering_head``, ``coke_oven_chimney``); a row with process ``all`` applies
        to every process.
    pollutant : str
        Canonical parameter code (``flue_dust``, ``flue_so2``, ``flue_nox``, ``cod``, ``nh3_n``, ``ph``, ...).
    grade : str or int, optional
        GB 8978 discharge grade (1, 2, 3).
    """
    day = as_date(on)
    grade_text = "" if grade is None else str(grade)
    if standard not in {item.standard for item in _REGISTRY}:
        known = sorted({item.standard for item in _REGISTRY})
        raise InvalidInput(f"unknown standard {standard!r}; known: {', '.join(known)}", field="standard")
    candidates = [
        item
        for item in _REGISTRY
        if item.standard == standard
        and item.pollutant == pollutant
        and item.process in (process, "all")
        and (not grade_text or item.grade == grade_text)
    ]
    if not candidates:
        processes = sorted(
            {i.process for i in _REGISTRY if i.standard == standard and i.pollutant == pollutant}
        )
        raise InvalidInput(
            f"{standard} has no limit for {pollutant!r} in process {process!r}"
            + (f" grade {grade_text}" if grade_text else "")
            + (f"; processes with a {pollutant} limit: {', '.join(processes)}" if processes else ""),
            field="pollutant",
        )
    in_force = [item for item in candidates if item.in_force(day)]
    if not in_force:
        raise InvalidInput(
            f"no {standard} limit for {process}/{pollutant} in force on {day.isoformat()}", field="on"
        )
    grades = {item.grade for item in in_force}
    if len(grades) > 1:
        raise InvalidInput(
            f"{standard} has grades {', '.join(sorted(grades))} for {pollutant}; give grade=", field="grade"
        )
    # A process-specific row wins over an ``all`` row; the newest effective date wins.
    in_force.sort(key=lambda item: (item.process == process, item.effective_from))
    return in_force[-1]
