"""Plan targets: the shipped table, the year rule, and a bad table reported by row and column."""

from __future__ import annotations

import pytest

from greenport.kernel.errors import InvalidRows
from greenport.targets.loader import read_plan_targets
from greenport.targets.model import PlanTarget
from greenport.targets.service import plan_targets, target_values


def test_the_2023_good_air_day_target_of_the_government_work_report() -> None:
    (target,) = plan_targets(year=2023)
    assert target.indicator == "good_air_day_ratio" and target.value == 83.6 and target.unit == "%"
    assert "S3-181" in target.source and target.responsible_unit


def test_reports_see_the_same_values_as_before_the_move() -> None:
    assert target_values() == {"good_air_day_ratio": 83.6, "pm2_5_annual_mean": 35.0}
    assert all(t.source for t in plan_targets())


def test_without_a_year_the_newest_target_of_each_indicator() -> None:
    def source() -> list[PlanTarget]:
        return [
            PlanTarget("good_air_day_ratio", 2023, 83.6, "%", "市政府", "report 2023"),
            PlanTarget("good_air_day_ratio", 2024, 84.0, "%", "市政府", "report 2024"),
        ]

    assert [t.value for t in plan_targets(source=source)] == [84.0]
    assert [t.value for t in plan_targets(year=2023, source=source)] == [83.6]


def test_a_bad_table_names_every_bad_row_and_column() -> None:
    text = (
        "indicator,year,value,unit,responsible_unit,source\n"
        "good_air_day_ratio,20x3,83.6,%,市政府,report\n"
        "pm2_5_annual_mean,2023,abc,µg/m³,,report\n"
        "rd_intensity,2023,3.7,%,市科技局,\n"
    )
    with pytest.raises(InvalidRows) as caught:
        read_plan_targets(text, source="plan.csv")
    assert [(e.row, e.column) for e in caught.value.errors] == [(2, "year"), (3, "value"), (4, "source")]
