"""Alarm rules as data: the shipped file loads, every kind is documented, a bad file is refused
with an error naming the file, the rule and the field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from greenport.alarms.model import FALSIFIED_DATA_KINDS, RuleKind
from greenport.alarms.rules import (
    KIND_PARAMETERS,
    KIND_SITE_KINDS,
    RuleError,
    load_rules,
    load_rules_text,
    shipped_rules,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "alarms.md"

GOOD = """
rules:
  - id: offline-outlets
    kind: offline
    severity: major
    name_zh: 离线
    name_en: offline
    site_kinds: [gas_outlet]
    params: {after_minutes: 30}
"""


def test_the_shipped_rules_load_and_cover_every_kind() -> None:
    rules = shipped_rules()
    assert {rule.kind for rule in rules} == set(RuleKind)
    assert len({rule.id for rule in rules}) == len(rules)
    falsified = {rule.kind for rule in rules if rule.family == "falsified_data"}
    assert falsified == FALSIFIED_DATA_KINDS


def test_every_kind_and_its_parameters_are_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE))
    assert documented == {kind.value for kind in RuleKind}, "an undocumented (or stale) rule kind"
    for kind, parameters in KIND_PARAMETERS.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{kind.value}` |"))
        for name in parameters:
            assert f"`{name}`" in row, f"{kind.value}: parameter {name} undocumented"
    assert set(KIND_SITE_KINDS) == set(RuleKind)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("kind: offline", "kind: offlien"), "kind"),
        (("severity: major", "severity: loud"), "severity"),
        (("site_kinds: [gas_outlet]", "site_kinds: [gas_outlet, air_statoin]"), "site_kinds"),
        (("site_kinds: [gas_outlet]", "site_kinds: [gas_outlet]\n    hold: 0"), "hold"),
        (("site_kinds: [gas_outlet]", "site_kinds: [gas_outlet]\n    parameters: [flue_sox]"), "parameters"),
        (("after_minutes: 30", "after_minutes: soon"), "params.after_minutes"),
        (("after_minutes: 30", "after_minutes: 30, colour: red"), "params.colour"),
        (("name_en: offline", "name_en: offline\n    effective_from: 2026-13-01"), "effective_from"),
        (("name_en: offline", "name_en: offline\n    owner: me"), "owner"),
        (("id: offline-outlets", "id: Offline Outlets"), "id"),
    ],
)
def test_a_bad_rule_is_refused_naming_file_rule_and_field(change: tuple[str, str], field: str) -> None:
    text = GOOD.replace(*change)
    with pytest.raises(RuleError) as raised:
        load_rules_text(text, source="city-rules.yaml")
    message = str(raised.value)
    assert message.startswith("city-rules.yaml, rule 1 (")
    assert f"field {field!r}" in message
    assert raised.value.field == field


def test_a_kind_needs_its_required_parameters_and_a_site_kind_it_judges() -> None:
    text = GOOD.replace("kind: offline", "kind: zero_while_running").replace(
        "params: {after_minutes: 30}", ""
    )
    with pytest.raises(RuleError, match=r"running_flow.*required"):
        load_rules_text(text, source="x.yaml")
    with pytest.raises(RuleError, match="does not judge air_station"):
        load_rules_text(
            GOOD.replace("kind: offline", "kind: mean_exceedance")
            .replace("[gas_outlet]", "[air_station]")
            .replace("params: {after_minutes: 30}", ""),
            source="x.yaml",
        )


def test_duplicate_ids_broken_yaml_and_missing_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match=r"rule 2 .*appears twice"):
        load_rules_text(GOOD + GOOD.split("rules:", 1)[1], source="x.yaml")
    with pytest.raises(RuleError, match=r"x.yaml: not valid YAML at line \d+"):
        load_rules_text("rules: [\n  - id: a\n", source="x.yaml")
    with pytest.raises(RuleError, match="a list 'rules'"):
        load_rules_text("rule: []", source="x.yaml")
    with pytest.raises(RuleError, match="cannot be read"):
        load_rules(tmp_path / "absent.yaml")
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD, encoding="utf-8")
    [rule] = load_rules(path)
    assert rule.params == {"after_minutes": 30.0} and rule.hold == 1
