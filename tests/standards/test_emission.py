"""O2 correction, basis conversions, emission rate, limit tables."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenport.kernel.errors import InvalidInput, InvalidRows
from greenport.standards import emission


def test_o2_correction_worked_example() -> None:
    # 35 mg/m³ at 9 % O2 corrected to 6 %: 35 × (21 - 6)/(21 - 9) = 35 × 15/12 = 43.75
    assert emission.correct_to_reference_o2(35.0, 9.0, 6.0) == pytest.approx(43.75)
    # sintering head, reference 16 %: 20 mg/m³ at 18 % -> 20 × 5/3
    assert emission.correct_to_reference_o2(20.0, 18.0, 16.0) == pytest.approx(100 / 3)


def test_o2_correction_arrays() -> None:
    out = emission.correct_to_reference_o2(np.array([35.0, 10.0]), np.array([9.0, 6.0]), 6.0)
    assert isinstance(out, np.ndarray)
    assert out.tolist() == pytest.approx([43.75, 10.0])


@pytest.mark.parametrize("o2", [21.0, 25.0, -1.0, float("nan")])
def test_o2_correction_refuses_air(o2: float) -> None:
    with pytest.raises(InvalidInput) as info:
        emission.correct_to_reference_o2(35.0, o2, 6.0)
    assert info.value.field == "measured_o2"


@given(st.floats(0, 1000), st.floats(0, 20.9), st.floats(0, 20.9))
def test_o2_round_trip(c: float, measured: float, ref: float) -> None:
    there = emission.correct_to_reference_o2(c, measured, ref)
    back = emission.correct_to_reference_o2(there, ref, measured)
    assert back == pytest.approx(c, rel=1e-9, abs=1e-9)


def test_basis_and_state_conversions() -> None:
    assert emission.wet_to_dry(92.0, 0.08) == pytest.approx(100.0)
    assert emission.dry_to_wet(100.0, 0.08) == pytest.approx(92.0)
    with pytest.raises(InvalidInput, match=r"0\.08, not 8"):
        emission.wet_to_dry(92.0, 8)
    assert emission.to_standard_state(100.0, 0.0, 101325.0) == pytest.approx(100.0)
    assert emission.to_standard_state(100.0, 273.0, 101325.0) == pytest.approx(200.0)
    assert emission.ppm_to_mg_m3(22.4, 64.0) == pytest.approx(64.0)  # SO2
    assert emission.nox_as_no2(30.0, 10.0) == pytest.approx(56.0)


def test_emission_rate() -> None:
    # 50 mg/m³ × 200 000 m³/h = 10 kg/h
    assert emission.emission_rate(50.0, 200_000.0) == pytest.approx(10.0)


def test_limits_by_standard_process_date() -> None:
    sinter = emission.emission_limit("steel_ultra_low", "sintering_head", "flue_nox", on=date(2024, 1, 1))
    assert (sinter.limit, sinter.reference_o2, sinter.unit) == (50.0, 16.0, "mg/m³")
    coal = emission.emission_limit("coal_power_ultra_low", "coal_fired_unit", "flue_so2", on="2020-01-01")
    assert (coal.limit, coal.reference_o2) == (35.0, 6.0)
    cod = emission.emission_limit("gb8978_1996", "other", "cod", grade=1, on="2020-01-01")
    assert cod.limit == 100.0 and cod.exceeded_by(100.1) and not cod.exceeded_by(100.0)
    ph = emission.emission_limit("gb8978_1996", "anything", "ph", grade=2, on="2020-01-01")
    assert ph.exceeded_by(5.9) and ph.exceeded_by(9.1) and not ph.exceeded_by(6.0)


def test_limit_errors() -> None:
    with pytest.raises(InvalidInput, match="known"):
        emission.emission_limit("nope", "x", "flue_nox")
    with pytest.raises(InvalidInput, match="processes"):
        emission.emission_limit("steel_ultra_low", "sintering", "flue_nox", on="2024-01-01")
    with pytest.raises(InvalidInput, match="in force"):
        emission.emission_limit("steel_ultra_low", "sintering_head", "flue_nox", on="2018-01-01")
    with pytest.raises(InvalidInput, match="grade"):
        emission.emission_limit("gb8978_1996", "other", "cod", on="2020-01-01")


def test_register_permit_limits_all_or_nothing() -> None:
    before = len(emission.limits())
    bad = [
        {"standard": "permit_x", "process": "boiler", "pollutant": "flue_nox", "limit": "30", "unit": "mg/m³",
         "effective_from": "2024-01-01", "source": "permit 123"},
        {"standard": "permit_x", "process": "boiler", "pollutant": "flue_so2", "limit": "abc", "unit": "mg/m³",
         "effective_from": "2024-13-01", "source": "permit 123"},
    ]  # fmt: skip
    with pytest.raises(InvalidRows) as info:
        emission.register_limits(bad, source="permit")
    assert {(e.row, e.column) for e in info.value.errors} == {(2, "limit"), (2, "effective_from")}
    assert len(emission.limits()) == before
    assert emission.register_limits(bad[:1], source="permit") == 1
    assert emission.emission_limit("permit_x", "boiler", "flue_nox", on="2025-01-01").limit == 30.0
