"""GB 3095-2012 / -2026 limits by date, with the 2026 transitional stage."""

from __future__ import annotations

from datetime import date

import pytest

from greenport.kernel.errors import InvalidInput
from greenport.standards.ambient import ambient_limit, exceeds_ambient_limit


@pytest.mark.parametrize(
    ("on", "expected", "edition", "stage"),
    [
        # reference §4.4: class-2 PM2.5 annual 35 (2012) -> 30 (2026 transition) -> 25 (from 2031)
        (date(2025, 12, 31), 35, "GB 3095-2012", "all"),
        (date(2026, 3, 1), 30, "GB 3095-2026", "transition"),
        (date(2030, 12, 31), 30, "GB 3095-2026", "transition"),
        (date(2031, 1, 1), 25, "GB 3095-2026", "final"),
    ],
)
def test_pm25_annual_limit_by_date(on: date, expected: float, edition: str, stage: str) -> None:
    limit = ambient_limit("pm2_5", "annual", on=on)
    assert (limit.value, limit.edition, limit.stage) == (expected, edition, stage)


def test_class_1_and_aliases() -> None:
    assert ambient_limit("pm10", "24h", zone_class=1, on="2020-01-01").value == 50
    assert ambient_limit("o3_8h", "day", on="2020-01-01").value == 160
    assert ambient_limit("co", "1h", on="2020-01-01").unit == "mg/m³"
    assert ambient_limit("pm2_5", "day", edition=2026, stage="final").value == 50


def test_equal_to_limit_complies() -> None:
    assert not exceeds_ambient_limit(75, "pm2_5", "day", on="2020-06-01").exceeds
    check = exceeds_ambient_limit(150, "pm2_5", "day", on="2020-06-01")
    assert check.exceeds and check.multiple == pytest.approx(1.0)


def test_bad_input() -> None:
    with pytest.raises(InvalidInput, match="known"):
        ambient_limit("pm2_5", "hour", on="2020-01-01")
    with pytest.raises(InvalidInput):
        ambient_limit("pm2_5", "day", zone_class=3)
    with pytest.raises(InvalidInput):
        exceeds_ambient_limit(-1, "pm2_5", "day")
