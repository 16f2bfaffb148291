"""The seven shipped systems give the results they gave before the handbook-pipeline change (issue 15).

``tests/data/evaluation/shipped_results_before.json`` was written by ``tests/systems/shipped_results.py``
run on the main checkout before the change (``PYTHONPATH=/work/main``). The new winsorisation only differs
where a tie at the extreme was mishandled; none of the shipped systems' test data has such a tie (the
innovation index winsorises one point in 2021, 2022 and the perturbed data), so nothing may move. When a
system is changed on purpose, regenerate the file and say which units moved.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.systems.shipped_results import shipped_results

BEFORE = Path(__file__).resolve().parents[1] / "data" / "evaluation" / "shipped_results_before.json"


def test_shipped_systems_unchanged():
    before = json.loads(BEFORE.read_text(encoding="utf-8"))
    after = shipped_results()
    assert set(after) == set(before)
    for case, old in before.items():
        new = after[case]
        assert new["units"] == old["units"], case
        assert new["rank"] == old["rank"], case
        assert new["total"] == pytest.approx(old["total"], abs=1e-9), case
