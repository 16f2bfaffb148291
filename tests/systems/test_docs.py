"""docs/evaluation.md lists every shipped system and the CLI forms (STYLE.md: documentation tests)."""

from __future__ import annotations

from pathlib import Path

from greenport.systems import system_ids

DOC = Path(__file__).resolve().parents[2] / "docs" / "evaluation.md"


def test_every_shipped_system_is_documented():
    text = DOC.read_text(encoding="utf-8")
    for system_id in system_ids():
        assert f"`{system_id}`" in text, system_id


def test_cli_forms_are_documented():
    text = DOC.read_text(encoding="utf-8")
    for form in (
        "greenport evaluate list",
        "greenport evaluate template",
        "--uncertainty",
        "--xlsx",
        "--period",
    ):
        assert form in text
