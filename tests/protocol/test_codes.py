"""Code tables: factor codes -> canonical parameters (expected values taken from the text of the
monitoring reference §1.9-1.10, not from our CSV), ST/CN/flag tables."""

from __future__ import annotations

import pytest

from greenport.kernel.parameters import registry
from greenport.kernel.units import convert
from greenport.protocol import (
    UnknownCodeError,
    cn_name,
    command_codes,
    data_flag,
    data_flags,
    factor_codes,
    factor_parameter,
    is_normal_flag,
    lookup_factor,
    st_name,
    system_codes,
)


@pytest.mark.parametrize(
    ("code", "st", "expected"),
    [
        # §1.10 "2005 used numeric/short codes: water 3 digits (011 COD, 060 NH3-N, 101 TP, 065 TN, 001 pH, B01 flow)"
        ("011", None, "cod"),
        ("060", None, "nh3_n"),
        ("101", None, "tp"),
        ("065", None, "tn"),
        ("001", None, "ph"),
        ("B01", None, "water_flow"),
        # §1.9 Table B.1 rows
        ("w01018", None, "cod"),
        ("w21003", None, "nh3_n"),
        ("w01001", None, "ph"),
        ("w00000", "32", "water_flow"),
        ("w01019", "21", "codmn"),
        ("w01009", "21", "do"),
        # §1.10 air: 01 dust, 02 SO2, 03 NOx, 04 CO, S01 O2, S02 velocity, S03 temp, S08 pressure, B02 flow
        ("01", "31", "flue_dust"),
        ("02", "31", "flue_so2"),
        ("03", "31", "flue_nox"),
        ("04", "31", "flue_co"),
        ("S01", "31", "flue_o2"),
        ("B02", "31", "flue_flow"),
        # one code, two meanings: pollution source vs ambient station
        ("a21026", "31", "flue_so2"),
        ("a21026", "22", "so2"),
        ("a21026", None, "flue_so2"),
        ("a34004", "22", "pm2_5"),
        ("a34002", "22", "pm10"),
        ("a05024", "22", "o3"),
        ("a21005", "22", "co"),
        ("a01001", "22", "air_temp"),
        ("a01001", "31", "air_temp"),
    ],
)
def test_factor_parameter(code: str, st: str | None, expected: str) -> None:
    assert factor_parameter(code, st)[0] == expected


def test_units_per_reference() -> None:
    assert factor_parameter("w01018") == ("cod", "mg/L")
    assert factor_parameter("a21026", "22") == ("so2", "µg/m³")
    assert factor_parameter("a21005", "22") == ("co", "mg/m³")
    assert factor_parameter("a21026", "31") == ("flue_so2", "mg/m³")
    assert factor_parameter("a00000", "31") == ("flue_flow", "m³/s")
    assert factor_parameter("w00000") == ("water_flow", "L/s")


def test_unknown_and_unmapped_codes() -> None:
    with pytest.raises(UnknownCodeError) as info:
        factor_parameter("zz999")
    assert info.value.field == "zz999"
    with pytest.raises(UnknownCodeError, match="no meaning for ST=31"):
        factor_parameter("011", "31")  # a water code in a flue-gas frame (the ST=31 capture's '023')
    with pytest.raises(UnknownCodeError, match="no canonical parameter"):
        factor_parameter("w01020")
    assert lookup_factor("zz999") is None
    assert lookup_factor("023", "31") is None


def test_every_parameter_exists_and_every_unit_converts() -> None:
    known = registry()
    for entries in factor_codes().values():
        for entry in entries:
            if entry.parameter is None:
                continue
            assert entry.parameter in known, entry
            canonical = known[entry.parameter].unit
            if entry.unit != canonical:
                assert convert(1.0, entry.unit, canonical) > 0, entry


def test_2005_codes_mean_what_their_2017_equivalents_mean() -> None:
    table = factor_codes()
    for code, entries in table.items():
        for entry in entries:
            if entry.edition == "2005":
                assert entry.equivalent in table, entry
                twin = next(e for e in table[entry.equivalent] if e.medium == entry.medium)
                assert (twin.parameter, twin.unit, twin.equivalent) == (entry.parameter, entry.unit, code)


def test_st_table() -> None:
    # reference §1.4 Table 5
    assert st_name("22") == "空气质量监测"
    assert st_name("31") == "大气环境污染源"
    assert st_name("91") == "系统交互"
    assert st_name("101") is None  # non-standard: store, don't reject
    assert {"21", "22", "23", "31", "32", "39", "51", "52", "91"} <= set(system_codes())


def test_cn_table() -> None:
    # reference §1.5 Table 9 and §1.11 (2025)
    expected = {
        "1000", "1011", "1012", "1013", "1061", "1062", "1063", "1064", "1072", "2011", "2012", "2021",
        "2022", "2031", "2041", "2051", "2061", "2081", "3011", "3012", "3013", "3014", "3015", "3016",
        "3017", "3018", "3019", "3020", "3021", "9011", "9012", "9013", "9014",
    }  # fmt: skip
    assert expected <= set(command_codes())
    assert {c for c, v in command_codes().items() if v.edition == "2025"} >= {"9015", "1001", "1014", "2013"}
    assert {c for c, v in command_codes().items() if v.history} == {"2031", "2041", "2051", "2061", "3020"}
    assert cn_name("2051") == "分钟数据"
    assert cn_name("2050") is None  # no CN 2050 in HJ 212-2017 (reference §1.5)


def test_data_flags() -> None:
    # reference §1.8 Table 8: N normal; F M S D C T B abnormal
    assert set(data_flags()) == set("NFMSDCTB")
    assert is_normal_flag("N") and is_normal_flag(None)
    assert not any(is_normal_flag(f) for f in "FMSDCTB")
    assert data_flag("P").normal is False  # unknown letters count as abnormal
