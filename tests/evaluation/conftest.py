from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

DATA = Path(__file__).resolve().parents[1] / "data" / "evaluation"


@pytest.fixture(scope="session")
def worked() -> dict[str, Any]:
    """The reference's worked examples (tests/data/evaluation/worked_example.yaml)."""
    return yaml.safe_load((DATA / "worked_example.yaml").read_text(encoding="utf-8"))
