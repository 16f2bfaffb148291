"""Division, park and boundary rules (pure): every rule names its field."""

from __future__ import annotations

import json

import pytest

from greenport.kernel.fields import Problem
from greenport.regions.model import DivisionLevel
from greenport.regions.validation import (
    expected_level,
    parse_division,
    parse_geojson_polygon,
    parse_park,
    point_in_geojson,
)
from greenport.standards.ids import InvalidDivisionCode


class Levels:
    def __init__(self, levels: dict[str, str]) -> None:
        self.levels = levels

    def division_level(self, code: str) -> str | None:
        return self.levels.get(code)


STORED = Levels({"320582000000": "city", "320582100000": "town", "320582001000": "street"})


def fields_of(problems: list[Problem]) -> list[str]:
    return [p.field for p in problems]


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("320582000000", DivisionLevel.CITY),  # county-level code: the registry's city
        ("320582001000", DivisionLevel.STREET),  # NBS: town part 001-099 = 街道
        ("320582100000", DivisionLevel.TOWN),  # 100-199 = 镇
        ("320582201000", DivisionLevel.TOWN),  # 200-399 = 乡
        ("320582400000", DivisionLevel.TOWN),  # 400-599 = 政企合一 (development zones, farms)
        ("320582100001", DivisionLevel.COMMUNITY),  # village part 001-199 = 居委会
        ("320582100201", DivisionLevel.VILLAGE),  # 200-399 = 村委会
        ("320582100401", DivisionLevel.COMMUNITY),  # 400-599 = 类似居委会
        ("320582100601", DivisionLevel.VILLAGE),  # 600-799 = 类似村委会
    ],
)
def test_level_follows_from_the_nbs_code_ranges(code: str, level: DivisionLevel) -> None:
    assert expected_level(code) == level


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("320582", "12-digit"),
        ("320500000000", "prefecture"),
        ("320582600000", "position 7"),
        ("320582100801", "position 10"),
        ("99058200000", "length"),
    ],
)
def test_codes_the_registry_refuses(code: str, reason: str) -> None:
    with pytest.raises(InvalidDivisionCode, match=reason):
        expected_level(code)


def test_valid_division_with_derived_level_and_parent() -> None:
    division, problems = parse_division(
        {"code": "320582100201", "name": "东村"}, Levels({"320582100000": "town"})
    )
    assert problems == []
    assert division is not None
    assert division.level == DivisionLevel.VILLAGE and division.parent_code == "320582100000"


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"code": "32058210020X", "name": "x"}, "code", "position 12"),
        ({"code": "320582100000", "name": "x"}, "code", "exists"),
        ({"code": "320582101000"}, "name", "required"),
        ({"code": "320582101000", "name": "x", "level": "village"}, "level", "denotes a town"),
        ({"code": "320582101000", "name": "x", "level": "county"}, "level", "one of"),
        (
            {"code": "320582101000", "name": "x", "parent_code": "320582100000"},
            "parent_code",
            "one level above",
        ),
        ({"code": "320582102201", "name": "x"}, "parent_code", "no division"),
        (
            {"code": "320582000000", "name": "x", "parent_code": "320500000000"},
            "parent_code",
            "empty for the city",
        ),
        ({"code": "320582101000", "name": "x", "area_km2": -1}, "area_km2", ">= 0"),
        ({"code": "320582101000", "name": "x", "population": 1.5}, "population", "whole number"),
        ({"code": "320582101000", "name": "x", "boundary_geojson": "{"}, "boundary_geojson", "not JSON"),
    ],
)
def test_each_division_rule_names_its_field(raw: dict[str, object], field: str, message: str) -> None:
    stored = Levels({"320582000000": "city", "320582100000": "town"})
    division, problems = parse_division(raw, stored)
    assert division is None
    assert field in fields_of(problems)
    assert message in next(p.message for p in problems if p.field == field)


def test_all_problems_of_a_record_are_reported_at_once() -> None:
    _, problems = parse_division({"code": "320582999000", "level": "x", "area_km2": "abc"}, STORED)
    assert set(fields_of(problems)) == {"code", "name", "level", "area_km2"}


def test_village_under_a_street_is_a_community_level_child() -> None:
    division, problems = parse_division({"code": "320582001001", "name": "社区"}, STORED)
    assert problems == [] and division is not None and division.level == DivisionLevel.COMMUNITY


def test_park_rules() -> None:
    park, problems = parse_park(
        {"code": "P", "name": "园", "kind": "chemical_park", "town_code": "320582100000"}, STORED
    )
    assert problems == [] and park is not None
    _, problems = parse_park(
        {"code": "P", "name": "园", "kind": "zone", "town_code": "320582000000"}, STORED, code_taken=True
    )
    assert fields_of(problems) == ["code", "kind", "town_code"]
    assert "a town or street" in problems[2].message and problems[0].conflict


def test_geojson_polygon_checks_and_point_in_polygon() -> None:
    square = [[120.0, 31.0], [121.0, 31.0], [121.0, 32.0], [120.0, 32.0], [120.0, 31.0]]
    hole = [[120.4, 31.4], [120.6, 31.4], [120.6, 31.6], [120.4, 31.6], [120.4, 31.4]]
    text = parse_geojson_polygon(
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [square, hole]}}
    )
    assert json.loads(text)["type"] == "Polygon"
    assert point_in_geojson(120.2, 31.2, text)
    assert not point_in_geojson(120.5, 31.5, text)  # in the hole
    assert not point_in_geojson(122.0, 31.5, text)
    for bad, reason in [
        ({"type": "Point", "coordinates": [120, 31]}, "Polygon"),
        ({"type": "Polygon", "coordinates": [[[120, 31], [121, 31], [120, 31]]]}, "4 positions"),
        ({"type": "Polygon", "coordinates": [[[120, 31], [121, 31], [121, 32], [120, 32]]]}, "closed"),
        ({"type": "Polygon", "coordinates": [[[200, 31], [121, 31], [121, 32], [200, 31]]]}, "outside"),
    ]:
        with pytest.raises(ValueError, match=reason):
            parse_geojson_polygon(bad)
