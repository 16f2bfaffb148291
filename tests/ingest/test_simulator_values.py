"""The simulator sends only values an instrument can produce: the server refuses the others.

Found by ``bench/bench_ingest.py``: with Gaussian noise around 70 %, about one humidity value in
500 passed 101 % and its frame was quarantined as ``bad_value`` (a "loss" of 4 frames per run).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from greenport.ingest.pipeline import parameter_for
from greenport.ingest.simulator import CONDITIONS, PROFILES, simulated_value
from greenport.kernel.parameters import plausible_ranges

FACTORS = [(profile[0], *factor[:3]) for profile in PROFILES.values() for factor in profile[1]]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(FACTORS), st.floats(min_value=-8.0, max_value=8.0), st.booleans())
def test_every_simulated_value_is_plausible(
    factor: tuple[str, str, float, float], sigmas: float, exceeding: bool
) -> None:
    """As the simulator draws them: the mean plus up to 8 standard deviations of its noise, and
    six times that during an injected exceedance (pollutants only: conditions such as temperature
    stay as they are)."""
    st_code, code, mean, noise = factor
    parameter, scale = parameter_for(code, st_code)
    low, high = plausible_ranges()[parameter]
    value = simulated_value(code, mean + sigmas * mean * noise)
    if exceeding and noise > 0.1 and code not in CONDITIONS:
        value = simulated_value(code, value * 6.0)
    assert low <= value * scale <= high, (code, value)


def test_humidity_and_oxygen_stop_at_their_physical_ceiling() -> None:
    assert simulated_value("a01002", 107.5) == 100.0  # relative humidity [%]
    assert simulated_value("a19001", 30.0) == 21.0  # O2 in flue gas [%]: not more than air
    assert simulated_value("a34004", -3.0) == 0.0  # no negative concentration
    assert simulated_value("a34004", 812.0) == 812.0  # an exceedance stays an exceedance
    assert {"a01001", "a01002", "a19001", "w01001"} <= CONDITIONS  # never multiplied by an injection
