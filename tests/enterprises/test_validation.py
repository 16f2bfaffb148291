"""Enterprise and site rules (pure): each rule names its field; industry groups follow the issue's
GB/T 4754-2017 grouping."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenport.enterprises.importing import RegistrySnapshot
from greenport.enterprises.model import IndustryGroup, SiteKind, SiteLevel
from greenport.enterprises.validation import (
    industry_divisions,
    industry_group,
    normalise_industry_code,
    parse_enterprise,
    parse_site,
)
from greenport.kernel.errors import InvalidInput
from greenport.standards.ids import make_credit_code

TOWN, TOWN_2, CITY, VILLAGE = "320582100000", "320582101000", "320582000000", "320582100201"
CODE = make_credit_code("320582", sequence=1)
TAKEN = make_credit_code("320582", sequence=2)


def snapshot() -> RegistrySnapshot:
    return RegistrySnapshot(
        division_levels={CITY: "city", TOWN: "town", TOWN_2: "town", VILLAGE: "village"},
        park_towns={"P1": TOWN},
        enterprise_ids={TAKEN: 7},
        enterprise_towns={7: TOWN},
        site_codes={"S-TAKEN"},
    )


def firm(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "credit_code": CODE,
        "name": "港城特钢有限公司",
        "industry_code": "3120",
        "town_code": TOWN,
        "park_code": "P1",
        "land_area_mu": 120.5,
        "lon": 120.55,
        "lat": 31.92,
        "size_class": "large",
    }
    raw.update(changes)
    return raw


# Expected groups written from the issue text (31xx/32xx metallurgy; 26/28/29 chemicals; 17/18 textiles;
# 33-40 machinery & electrical; anything else other), not read from the data file under test.
@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("3110", IndustryGroup.METALLURGY),
        ("3216", IndustryGroup.METALLURGY),
        ("2614", IndustryGroup.CHEMICALS),
        ("2822", IndustryGroup.CHEMICALS),
        ("2922", IndustryGroup.CHEMICALS),
        ("1713", IndustryGroup.TEXTILES),
        ("1810", IndustryGroup.TEXTILES),
        ("3311", IndustryGroup.MACHINERY_ELECTRICAL),
        ("3670", IndustryGroup.MACHINERY_ELECTRICAL),
        ("3841", IndustryGroup.MACHINERY_ELECTRICAL),
        ("4011", IndustryGroup.MACHINERY_ELECTRICAL),
        ("2710", IndustryGroup.OTHER),
        ("1331", IndustryGroup.OTHER),
        ("4411", IndustryGroup.OTHER),
        ("2511", IndustryGroup.OTHER),
        ("4190", IndustryGroup.OTHER),
    ],
)
def test_industry_group_of_a_class_code(code: str, group: IndustryGroup) -> None:
    assert industry_group(code) == group


def test_division_table_is_complete_and_sourced() -> None:
    divisions = industry_divisions()
    assert sorted(divisions) == [f"{n:02d}" for n in range(1, 98)]
    assert divisions["31"].name_zh == "黑色金属冶炼和压延加工业" and divisions["31"].section == "C"


@given(st.integers(min_value=0, max_value=9999))
def test_any_four_digit_code_maps_or_fails_with_the_field(number: int) -> None:
    code = f"{number:04d}"
    try:
        group = industry_group(code)
    except InvalidInput as exc:
        assert exc.field == "industry_code" and (code[:2] == "00" or code[:2] > "97")
    else:
        assert group in IndustryGroup


def test_excel_numbers_become_four_digit_codes() -> None:
    assert normalise_industry_code(610.0) == "0610"
    with pytest.raises(InvalidInput, match="4 digits"):
        normalise_industry_code("311")


def test_valid_enterprise() -> None:
    enterprise, problems = parse_enterprise(firm(), snapshot())
    assert problems == [] and enterprise is not None
    assert enterprise.industry_group == IndustryGroup.METALLURGY and enterprise.above_scale


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"credit_code": CODE[:-1] + ("0" if CODE[-1] != "0" else "1")}, "credit_code", "position 18"),
        ({"credit_code": CODE[:5] + "I" + CODE[6:]}, "credit_code", "position 6"),
        ({"credit_code": TAKEN}, "credit_code", "exists"),
        ({"name": " "}, "name", "required"),
        ({"industry_code": "99x"}, "industry_code", "4 digits"),
        ({"industry_code": "9999"}, "industry_code", "division"),
        ({"town_code": "320582109000"}, "town_code", "no division"),
        ({"town_code": VILLAGE, "park_code": None}, "town_code", "not a town"),
        ({"park_code": "P9"}, "park_code", "no park"),
        ({"town_code": TOWN_2}, "park_code", "lies in town"),
        ({"land_area_mu": -0.1}, "land_area_mu", ">= 0"),
        ({"lon": 150.0}, "lon", "outside China"),
        ({"lat": 60.0}, "lat", "outside China"),
        ({"lat": "north"}, "lat", "number"),
        ({"size_class": "huge"}, "size_class", "大型 (large), 中型 (medium), 小型 (small), 微型 (micro)"),
        ({"above_scale": "maybe"}, "above_scale", "true or false"),
    ],
)
def test_each_enterprise_rule_names_its_field(changes: dict[str, Any], field: str, message: str) -> None:
    enterprise, problems = parse_enterprise(firm(**changes), snapshot())
    assert enterprise is None
    assert [p.field for p in problems] == [field]
    assert message in problems[0].message


def site(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"code": "S1", "name": "站", "town_code": TOWN, "lon": 120.5, "lat": 31.9}
    raw.update(changes)
    return raw


def test_site_kinds_and_their_rules() -> None:
    air, problems = parse_site(site(kind="air_station", level="national"), snapshot())
    assert problems == [] and air is not None and air.level == SiteLevel.NATIONAL
    section, problems = parse_site(
        site(kind="water_section", level="tributary", waterbody="river", river="一干河", target_class=3),
        snapshot(),
    )
    assert problems == [] and section is not None and section.target_class == 3
    outlet, problems = parse_site(
        site(
            kind="gas_outlet",
            enterprise_credit_code=TAKEN,
            emission_standard="steel_ultra_low",
            process="sintering_head",
        ),
        snapshot(),
    )
    assert problems == [] and outlet is not None
    assert (
        outlet.kind == SiteKind.GAS_OUTLET
        and outlet.level == SiteLevel.ENTERPRISE
        and outlet.enterprise_id == 7
    )
    water, problems = parse_site(
        site(
            kind="water_outlet",
            enterprise_id=7,
            emission_standard="gb8978_1996",
            process="other",
            emission_grade=1,
        ),
        snapshot(),
    )
    assert problems == [] and water is not None and water.emission_grade == "1"


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        (
            site(kind="air_station", level="tributary"),
            "level",
            "国控 (national), 省控 (provincial), 镇控 (town)",
        ),
        (site(kind="air_station", level="town", target_class=2), "target_class", "must be empty"),
        (site(kind="water_section", level="national", waterbody="river"), "target_class", "required"),
        (
            site(kind="water_section", level="national", waterbody="sea", target_class=2),
            "waterbody",
            "河流 (river), 湖库 (lake)",
        ),
        (
            site(kind="water_section", level="national", waterbody="river", target_class=6),
            "target_class",
            "Ⅰ类 (1), Ⅱ类 (2), Ⅲ类 (3), Ⅳ类 (4), Ⅴ类 (5)",
        ),
        (
            site(kind="gas_outlet", emission_standard="steel_ultra_low", process="eaf"),
            "enterprise_credit_code",
            "required",
        ),
        (
            site(
                kind="gas_outlet",
                enterprise_credit_code="X",
                emission_standard="steel_ultra_low",
                process="eaf",
            ),
            "enterprise_credit_code",
            "no enterprise",
        ),
        (site(kind="gas_outlet", enterprise_id=7), "emission_standard", "required"),
        (
            site(kind="gas_outlet", enterprise_id=7, emission_standard="gb0000"),
            "emission_standard",
            "must be one of: 污水综合排放标准（GB 8978-1996） (gb8978_1996)",
        ),
        (
            site(kind="gas_outlet", enterprise_id=7, emission_standard="steel_ultra_low"),
            "process",
            "per process",
        ),
        (
            site(kind="gas_outlet", enterprise_id=7, emission_standard="steel_ultra_low", process="oven"),
            "process",
            "must be one of: 烧结机机头 (sintering_head), 球团焙烧 (pellet_roasting)",
        ),
        (
            site(kind="water_outlet", enterprise_id=7, emission_standard="gb8978_1996", process="other"),
            "emission_grade",
            "graded",
        ),
        (
            site(
                kind="water_outlet",
                enterprise_id=7,
                emission_standard="gb8978_1996",
                process="other",
                emission_grade="4",
            ),
            "emission_grade",
            "must be one of: 一级标准 (1), 二级标准 (2), 三级标准 (3)",
        ),
        (
            site(
                kind="gas_outlet",
                enterprise_id=7,
                emission_standard="steel_ultra_low",
                process="eaf",
                town_code=TOWN_2,
            ),
            "town_code",
            "enterprise is in town",
        ),
        (site(code="S-TAKEN", kind="air_station", level="town"), "code", "exists"),
        (site(kind="stack"), "kind", "air_station"),
    ],
)
def test_each_site_rule_names_its_field(raw: dict[str, Any], field: str, message: str) -> None:
    result, problems = parse_site(raw, snapshot())
    assert result is None
    assert field in [p.field for p in problems]
    assert message in next(p.message for p in problems if p.field == field)
