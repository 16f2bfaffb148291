"""Unit conversion to the canonical units of the parameter registry.

Only conversions that are pure scale factors live here (mass concentration, volume flow, ...);
the conversion between ppm and mg/m³ needs a molar mass and conditions and belongs to
``standards.emission``.
"""

from __future__ import annotations

#: Scale factors to a base unit per dimension: value_in_base = value * factor.
_SCALE: dict[str, tuple[str, float]] = {
    "µg/m³": ("mass_concentration_air", 1e-3),
    "ug/m3": ("mass_concentration_air", 1e-3),
    "mg/m³": ("mass_concentration_air", 1.0),
    "mg/m3": ("mass_concentration_air", 1.0),
    "g/m³": ("mass_concentration_air", 1e3),
    "µg/L": ("mass_concentration_water", 1e-3),
    "ug/L": ("mass_concentration_water", 1e-3),
    "mg/L": ("mass_concentration_water", 1.0),
    "g/L": ("mass_concentration_water", 1e3),
    "m³/h": ("volume_flow", 1.0),
    "m3/h": ("volume_flow", 1.0),
    "m³/s": ("volume_flow", 3600.0),
    "m3/s": ("volume_flow", 3600.0),
    "L/s": ("volume_flow", 3.6),
    "m³/d": ("volume_flow", 1 / 24),
    "m3/d": ("volume_flow", 1 / 24),
    "kPa": ("pressure", 1.0),
    "Pa": ("pressure", 1e-3),
    "hPa": ("pressure", 0.1),
}


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert ``value`` from ``from_unit`` to ``to_unit`` (same dimension, pure scale)."""
    if from_unit == to_unit:
        return value
    try:
        dim_from, f_from = _SCALE[from_unit]
        dim_to, f_to = _SCALE[to_unit]
    except KeyError as exc:
        raise ValueError(f"unknown unit {exc.args[0]!r}; known: {', '.join(sorted(_SCALE))}") from None
    if dim_from != dim_to:
        raise ValueError(f"cannot convert {from_unit} to {to_unit}: different dimensions")
    return value * f_from / f_to
