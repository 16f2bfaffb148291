"""Chart options a reader can trust: axes that include the targets they draw, town names on the
map, category labels that are neither clipped nor skipped."""

from __future__ import annotations

from greenport.web import charts


def test_a_target_above_the_data_stays_on_the_axis() -> None:
    # PM2.5 26.9 against a target of 35: the target line used to fall outside ECharts' own extent
    option = charts.progress_vs_target(
        "PM2.5", 26.9, 35.0, unit="µg/m³", target_name="目标", lower_is_better=True
    )
    axis = option["xAxis"]
    assert axis["min"] == 0 and axis["max"] >= 35.0
    good_days = charts.progress_vs_target("优良天数比例", 82.4, 83.6, unit="%", target_name="目标")["xAxis"]
    assert good_days["max"] >= 83.6
    missing = charts.progress_vs_target("PM2.5", None, 35.0, unit="µg/m³", target_name="目标")["xAxis"]
    assert missing["max"] >= 35.0


def test_limit_lines_and_the_good_aqi_line_are_inside_the_value_axis() -> None:
    option = charts.series_vs_limits(
        [("2022-06-01T00:00:00+08:00", 12.0), ("2022-06-01T01:00:00+08:00", 20.0)],
        parameter="SO₂",
        unit="mg/m³",
        limits=[("GB 13223-2011", 50.0)],
    )
    assert option["yAxis"]["max"] >= 50.0 and option["yAxis"]["min"] == 0
    calendar = charts.daily_aqi_calendar([{"day": "06-01", "aqi": 40, "level": 1}], title="AQI")
    assert calendar["yAxis"]["max"] >= charts.AQI_GOOD_LIMIT
    assert charts.axis_range([-3.0, 5.0]) == {"min": -4, "max": 6}
    assert charts.axis_range([]) == {"min": 0.0, "max": 1.0}


def test_town_names_are_drawn_on_the_map_and_parks_keep_theirs_off() -> None:
    option = charts.city_map([], state_labels={}, parks=["化工园"])
    assert option["geo"]["label"]["show"] is True
    assert option["geo"]["regions"] == [
        {"name": "化工园", "itemStyle": charts.PARK_STYLE, "label": {"show": False}}
    ]


def test_long_category_labels_are_rotated_and_kept_inside_the_grid() -> None:
    classes = ["Ⅰ类", "Ⅱ类", "Ⅲ类", "Ⅳ类", "Ⅴ类", "劣Ⅴ类"]
    water = charts.water_classes(
        [{"name": "张家港河二干河交汇处", "actual_class": 3, "target_class": 3}],
        actual="实际",
        target="目标",
        class_names=classes,
    )
    assert water["yAxis"]["data"] == classes  # Ⅰ-Ⅴ类 and 劣Ⅴ类 on the axis, not 1-6
    assert water["series"][0]["data"][0]["value"] == classes.index("Ⅲ类")
    assert water["xAxis"]["axisLabel"] == {
        "interval": 0,
        "rotate": charts.LABEL_ROTATION,
        "hideOverlap": False,
    }
    assert water["grid"]["containLabel"] is True
    short = charts.category_axis(["锦丰镇", "乐余镇"])
    assert short["axisLabel"]["rotate"] == 0
    totals = charts.ranked_totals([{"unit": "u", "label": "江苏某某化工有限公司", "total": 80.0, "rank": 1}])
    assert totals["grid"]["containLabel"] is True and totals["yAxis"]["axisLabel"]["interval"] == 0
    assert "dataZoom" not in totals


def test_the_on_time_rate_map_colours_every_town_and_leaves_those_without_a_figure_grey() -> None:
    option = charts.rate_by_town(
        [("杨舍镇", 62.4), ("塘桥镇", None)], name="按时办结率", no_data="暂无办结工单"
    )
    series = option["series"][0]
    assert series["type"] == "map" and series["map"] == charts.MAP_NAME
    assert series["data"][0] == {"name": "杨舍镇", "value": 62.4}
    assert series["data"][1]["value"] is None and "暂无办结工单" in series["data"][1]["tooltip"]["formatter"]
    # the scale reaches down to the worst town shown, so a 62 % town is not clipped at 80 %
    assert option["visualMap"]["min"] == 62 and option["visualMap"]["max"] == 100
    assert charts.rate_by_town([("杨舍镇", 97.0)], name="", no_data="")["visualMap"]["min"] == 80
