"""Water class of a section from its daily or annual means, by :func:`greenport.standards.water.water_class`
(GB 3838-2002 Table 1, single-factor method of 环办〔2011〕22号: the worst factor decides; 6 = 劣V)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from greenport.standards import water as water_std


def overall_class(
    values: Mapping[str, float], *, waterbody: str = "river", on: date | None = None
) -> tuple[int, str | None]:
    """(section class 1-6, limiting parameter) from means by canonical parameter code [mg/L; pH].

    Parameters the standard does not classify are ignored; no classified parameter gives class 1
    with no limiting parameter.
    """
    known = set(water_std.factors())
    measurements = {k: v for k, v in values.items() if k in known}
    body = "lake" if waterbody == "lake" else "river"
    result = water_std.water_class(measurements, body, on=on)  # type: ignore[arg-type]
    if result.water_class is None:
        return 1, None
    return result.water_class, ",".join(result.determining) or None
