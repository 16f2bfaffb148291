"""How a figure is rounded where a person reads it (pages, dashboards, documents).

Computation keeps full precision (:func:`greenport.standards.aqi.round_concentration` is the
rounding HJ 633-2026 §4.2 applies *before* an IAQI); reporting precision is a separate rule, kept
as data in ``data/reporting_precision.csv`` with the clause of each row:

* AQI and IAQI as integers, rounded up (HJ 633-2012 §5 / §6.2, "全部进位取整数");
* SO2, NO2, O3, PM10, PM2.5 [µg/m³] as integers, CO [mg/m³] to 0.1 (HJ 663-2013), half to even
  (GB/T 8170-2008);
* ratios [%] to 0.1; assessment scores to 0.01 points (GreenPort's declared precision).

A quantity without a rule is shown to at most :data:`DEFAULT_DECIMALS` decimals, trailing zeros
dropped. The rounding is decimal (on the shortest ``repr`` of the float), so ``35.4999`` gives
``35``, ``1.25`` gives ``1.2`` and no binary noise such as ``20.049999999999983`` survives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from functools import cache

from greenport.standards._data import read_rows

#: Decimals of a quantity the table does not name (a water or flue-gas parameter): enough for
#: mg/L values such as 0.005 without float noise.
DEFAULT_DECIMALS = 3
#: What a missing figure is shown as (never 0).
MISSING = "—"


@dataclass(frozen=True, slots=True)
class Precision:
    """The reporting rule of one quantity."""

    decimals: int
    mode: str  # "half_even" (GB/T 8170) or "up" (HJ 633 IAQI / AQI)
    clause: str
    declared: bool = True


@cache
def _rules() -> dict[str, Precision]:
    return {
        row["quantity"]: Precision(int(row["decimals"]), row["mode"], row["clause"])
        for row in read_rows("reporting_precision.csv")
    }


def precision_of(quantity: str) -> Precision:
    """The reporting rule of ``quantity`` (a parameter key such as ``pm2_5``, or ``aqi``,
    ``iaqi``, ``ratio``, ``score``); undeclared quantities get :data:`DEFAULT_DECIMALS`."""
    return _rules().get(quantity) or Precision(DEFAULT_DECIMALS, "half_even", "", declared=False)


def report_value(quantity: str, value: float | int | None) -> float | int | None:
    """``value`` rounded as reported for ``quantity``: an ``int`` when the rule keeps no decimals.

    Parameters
    ----------
    quantity : str
        Parameter key (``so2``, ``co``, ``pm2_5``, ...) or ``aqi``, ``iaqi``, ``ratio``, ``score``.
    value : float or None
        The figure in the parameter's canonical unit [µg/m³; CO mg/m³; ratios %]; None or NaN is
        missing and stays None.
    """
    if value is None or isinstance(value, bool):
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    rule = precision_of(quantity)
    step = Decimal(1).scaleb(-rule.decimals)
    rounding = ROUND_CEILING if rule.mode == "up" else ROUND_HALF_EVEN
    # repr is the shortest decimal that reads back as this float: 35.4999 stays 35.4999, not
    # 35.49989999...; an IAQI of 51.0000000001 from binary arithmetic is 51, not 52
    exact = Decimal(repr(number))
    if rule.mode == "up":
        exact = exact.quantize(Decimal("1e-9"), rounding=ROUND_HALF_EVEN)
    rounded = exact.quantize(step, rounding=rounding)
    if rule.decimals == 0 and rule.declared:
        return int(rounded)
    result = float(rounded)
    return 0.0 if result == 0 else result  # no "-0"


def format_reported(quantity: str, value: float | int | None, *, missing: str = MISSING) -> str:
    """``value`` as printed for ``quantity``: declared precision kept (``1.0`` for CO), undeclared
    quantities without trailing zeros; ``missing`` when there is no value."""
    rounded = report_value(quantity, value)
    if rounded is None:
        return missing
    rule = precision_of(quantity)
    if isinstance(rounded, int):
        return str(rounded)
    text = f"{rounded:.{rule.decimals}f}"
    if not rule.declared:
        text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text == "-0" else text
