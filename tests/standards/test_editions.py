"""Editions by date, and every data table names its source."""

from __future__ import annotations

from datetime import UTC, date, datetime
from importlib import resources

import pytest

from greenport.kernel.errors import InvalidInput
from greenport.standards import editions
from greenport.standards._data import source_of


@pytest.mark.parametrize(
    ("family", "on", "code"),
    [
        ("aqi", date(2026, 2, 28), "HJ 633-2012"),
        ("aqi", date(2026, 3, 1), "HJ 633-2026"),
        ("ambient", "2026-03-01", "GB 3095-2026"),
        ("ambient", "2018-02-20", "GB 3095-2012"),
        ("water", date(2024, 1, 1), "GB 3838-2002"),
        # an aware instant is judged on its China date: 2026-02-28T17:00Z is 03-01 01:00 in Shanghai
        ("aqi", datetime(2026, 2, 28, 17, 0, tzinfo=UTC), "HJ 633-2026"),
        ("aqi", datetime(2026, 2, 28, 15, 0, tzinfo=UTC), "HJ 633-2012"),
    ],
)
def test_edition_in_force(family: str, on: date | str, code: str) -> None:
    assert editions.edition_in_force(family, on).code == code


def test_default_is_newest_in_force_today() -> None:
    today = editions.as_date(None)
    assert editions.edition_in_force("aqi").in_force(today)


def test_before_first_edition_refused() -> None:
    with pytest.raises(editions.NoEditionInForce, match="earliest"):
        editions.edition_in_force("aqi", date(2010, 1, 1))


def test_explicit_edition_forms() -> None:
    for form in (2012, "2012", "HJ 633-2012", "HJ633-2012"):
        assert editions.resolve_edition("aqi", edition=form).year == 2012
    with pytest.raises(InvalidInput, match="known"):
        editions.resolve_edition("aqi", edition=1999)
    with pytest.raises(ValueError, match="known"):
        editions.editions("nope")
    with pytest.raises(InvalidInput):
        editions.as_date("20260301x")


def test_every_data_table_names_its_source() -> None:
    names = [
        p.name
        for p in resources.files("greenport.standards").joinpath("data").iterdir()
        if p.name.endswith(".csv")
    ]
    assert len(names) >= 10
    for name in names:
        assert source_of(name), f"{name} has no '# source:' header"
