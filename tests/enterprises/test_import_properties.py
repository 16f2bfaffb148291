"""Property: any rows at all give valid records or row errors naming a known column; never a crash."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from greenport.enterprises.importing import (
    ENTERPRISE_COLUMNS,
    SITE_COLUMNS,
    RegistrySnapshot,
    validate_enterprise_rows,
    validate_site_rows,
)
from greenport.regions.importing import DIVISION_COLUMNS, validate_division_rows

cell = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from(
        ["320582100000", "320582000000", "3120", "air_station", "gas_outlet", "large", "P1", "river"]
    ),
)


def rows_of(keys: list[str]) -> st.SearchStrategy[list[tuple[int, dict[str, Any]]]]:
    row = st.fixed_dictionaries({}, optional=dict.fromkeys(keys, cell))
    return st.lists(row, max_size=6).map(lambda rows: [(n + 2, r) for n, r in enumerate(rows)])


SNAPSHOT = RegistrySnapshot(
    division_levels={"320582000000": "city", "320582100000": "town"},
    park_towns={"P1": "320582100000"},
    enterprise_ids={},
    enterprise_towns={},
    site_codes=set(),
)


@settings(max_examples=60, deadline=None)
@given(rows_of([c.key for c in ENTERPRISE_COLUMNS]))
def test_enterprise_rows_never_crash(rows: list[tuple[int, dict[str, Any]]]) -> None:
    valid, errors = validate_enterprise_rows(rows, SNAPSHOT)
    keys = {c.key for c in ENTERPRISE_COLUMNS}
    assert all(e.column in keys and e.row in {n for n, _ in rows} for e in errors)
    assert {n for n, _ in valid}.isdisjoint({e.row for e in errors})
    assert len(valid) + len({e.row for e in errors}) == len(rows)


@settings(max_examples=60, deadline=None)
@given(rows_of([c.key for c in SITE_COLUMNS]))
def test_site_rows_never_crash(rows: list[tuple[int, dict[str, Any]]]) -> None:
    valid, errors = validate_site_rows(rows, SNAPSHOT)
    keys = {c.key for c in SITE_COLUMNS} | {"enterprise_id"}
    assert all(e.column in keys for e in errors)
    assert len(valid) + len({e.row for e in errors}) == len(rows)


@settings(max_examples=60, deadline=None)
@given(rows_of([c.key for c in DIVISION_COLUMNS]))
def test_division_rows_never_crash(rows: list[tuple[int, dict[str, Any]]]) -> None:
    valid, errors = validate_division_rows(rows, SNAPSHOT.division_levels)
    keys = {c.key for c in DIVISION_COLUMNS}
    assert all(e.column in keys for e in errors)
    assert [e.row for e in errors] == sorted(e.row for e in errors)
    assert len(valid) + len({e.row for e in errors}) == len(rows)
