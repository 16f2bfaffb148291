"""Every user-visible string is translated both ways (gettext catalogues, label tables, rendered pages).

Messages are extracted as ``pybabel extract`` does (``greenport.web.i18n_extract``: Jinja2's Babel
extractor for templates, Babel's for Python) and each must be in both catalogues, Chinese in the
Chinese one and no Chinese in the English one. The label tables (names of codes) are checked the
same way, and so is the visible text of every page, rendered in each language.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from greenport.accounts.model import Role
from greenport.alarms.model import AlarmState, EventKind, RuleKind, Severity
from greenport.cases.model import CaseAction, CaseSource, CaseState
from greenport.cases.statistics import GroupBy
from greenport.enterprises.model import IndustryGroup, SiteKind, SiteLevel, SizeClass, Waterbody
from greenport.kernel import labels
from greenport.kernel.time import PeriodKind, format_local
from greenport.monitoring.model import QuarantineReason
from greenport.monitoring.status import SiteState
from greenport.regions.model import DivisionLevel, GridLevel, ParkKind
from greenport.web import i18n
from greenport.web.i18n_extract import extract
from tests.web.conftest import bearer
from tests.web.test_bounds_and_pages import _fill_page, http_routes, is_city_page, page_role

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]")
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.+\-]*")


def _allowed(section: str) -> re.Pattern[str]:
    text = (Path(__file__).with_name("i18n_allow.txt")).read_text(encoding="utf-8")
    body = text.split(f"== {section}:", 1)[1].split("\n== ", 1)[0].split("\n", 1)[1]
    lines = [line.strip() for line in body.splitlines() if line.strip() and not line.startswith("#")]
    # whole words only: a code pattern must not eat the first letter of an English word
    return re.compile("|".join(f"(?<![A-Za-z0-9_])(?:{line})(?![A-Za-z0-9_])" for line in lines))


def _catalogue(lang: str) -> dict[tuple[str | None, str], str]:
    with i18n.catalogue_path(lang).open("rb") as po:
        catalog = read_po(po)
    return {(m.context, str(m.id)): str(m.string or "") for m in catalog if m.id}


def _english_left(text: str) -> list[str]:
    """English words of ``text`` once the allowed codes, units and names are taken out."""
    return ENGLISH_WORD.findall(_allowed("zh").sub(" ", text))


def test_every_extracted_message_is_in_both_catalogues_in_its_language() -> None:
    messages = extract()
    assert len(messages) > 50, "the extractor finds the templates' and the code's messages"
    zh, en = _catalogue("zh"), _catalogue("en")
    missing_zh = [m.where[0] + " " + m.msgid for m in messages if not zh.get((m.context, m.msgid))]
    missing_en = [m.where[0] + " " + m.msgid for m in messages if not en.get((m.context, m.msgid))]
    assert missing_zh == [] and missing_en == [], f"untranslated: zh {missing_zh}, en {missing_en}"
    for m in messages:
        chinese, english = zh[(m.context, m.msgid)], en[(m.context, m.msgid)]
        assert not CJK.search(m.msgid) and not CJK.search(english), f"Chinese in English: {m.msgid!r}"
        assert CJK.search(chinese) or not _english_left(chinese), (
            f"English left in zh: {m.msgid!r} -> {chinese!r}"
        )


def test_nothing_is_left_to_convert_and_the_conversion_is_idempotent() -> None:
    """No ``t("key")`` is left in a template or module (the lead's merge re-runs the script)."""
    done = subprocess.run(
        [sys.executable, "tools/i18n_convert.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_app_no_longer_reads_messages_json() -> None:
    sources = [p.read_text(encoding="utf-8") for p in (ROOT / "greenport").rglob("*.py")]
    assert not any("messages.json" in s for s in sources)


@pytest.mark.parametrize("kind", labels.kinds())
def test_label_tables_name_every_code_in_both_languages(kind: str) -> None:
    for code, entry in labels.table(kind).items():
        assert entry.zh and entry.en and all(entry.names()), f"{kind}/{code} has an empty name"
        for english in (entry.en, *entry.en_alternatives):
            assert not CJK.search(english), f"{kind}/{code}: Chinese in English {english!r}"
        for chinese in (entry.zh, *entry.zh_alternatives):
            assert CJK.search(chinese) or not _english_left(chinese), f"{kind}/{code}: {chinese!r}"


@pytest.mark.parametrize(
    ("kind", "enum"),
    [
        ("site_kind", SiteKind),
        ("site_state", SiteState),
        ("role", Role),
        ("quarantine_reason", QuarantineReason),
        ("park_kind", ParkKind),
        ("grid_level", GridLevel),
        ("size_class", SizeClass),
        ("industry_group", IndustryGroup),
        ("division_level", DivisionLevel),
        ("site_level", SiteLevel),
        ("period", PeriodKind),
        ("waterbody", Waterbody),
        ("alarm_state", AlarmState),
        ("severity", Severity),
        ("alarm_kind", RuleKind),
        ("alarm_event", EventKind),
        ("case_state", CaseState),
        ("case_action", CaseAction),
        ("case_source", CaseSource),
        ("case_grouping", GroupBy),
    ],
)
def test_every_enumeration_value_has_a_name(kind: str, enum: Any) -> None:
    assert {member.value for member in enum} <= set(labels.table(kind))
    assert labels.kind_of(enum) == kind, "imports find the table of the enumeration"


def test_every_chinese_unit_of_the_shipped_indicator_systems_has_an_english_name() -> None:
    from greenport.systems import all_systems

    written = {
        indicator.unit
        for system in all_systems()
        for indicator in (*system.indicators, *system.adjustments)
        if indicator.unit and CJK.search(indicator.unit)
    }
    assert "分" in written and written <= set(labels.table("indicator_unit"))
    assert labels.label("indicator_unit", "分", "en") == "points"


def test_every_enumeration_and_coded_column_names_an_existing_table() -> None:
    assert set(labels.KIND_OF.values()) <= set(labels.kinds())


def test_imports_read_back_the_names_and_alternatives_a_person_may_type() -> None:
    """One table for pages and imports: the name shown, its alternatives and the English name all
    read back as the code (a file filled in by hand or exported in either language imports)."""
    assert labels.label("site_kind", "gas_outlet", "zh") == "废气排口"
    for text in ("废气排口", "废气排放口", "flue-gas outlet", "GAS_OUTLET "):
        assert labels.code_for("site_kind", text) == "gas_outlet"
    assert labels.code_for("size_class", "大型企业") == "large"
    assert labels.code_for("division_level", "市") == "city"
    assert labels.code_for("park_kind", "national development zone") == "national_development_zone"
    assert labels.code_for("above_scale", "规模以下") == "0"
    assert labels.code_for("site_kind", "空气监测车") is None
    assert labels.accepted("waterbody") == "河流 (river), 湖库 (lake)"


def test_names_not_codes() -> None:
    assert labels.label("water_class", 3, "zh") == "Ⅲ类"
    assert labels.label("water_class", 6, "zh") == "劣Ⅴ类"
    assert labels.label("parameter", "so2", "zh") == "二氧化硫 SO₂"
    assert labels.label("emission_standard", "gb8978_1996", "zh") == "污水综合排放标准（GB 8978-1996）"
    assert labels.label("industry", "3120", "en") == "Steelmaking"
    assert labels.label("site_kind", None, "en") == "—"


def test_times_for_people_are_beijing_time() -> None:
    assert format_local("2026-12-06T15:19:42+00:00") == "2026-12-06 23:19"
    assert format_local("2026-12-31T16:00:00Z") == "2027-01-01 00:00"
    assert format_local(None) == "—"
    with pytest.raises(ValueError, match="time zone"):
        format_local("2026-12-06T15:19:42")


#: An element of text people wrote (a case's description, an officer's note, a name as registered),
#: marked with the HTML attribute that says "not to be translated": it is shown as written, in
#: whatever language its author used, so the language check skips it.
UNTRANSLATED = re.compile(r'(?s)<(td|span|p|div|li)\b[^>]*\btranslate="no"[^>]*>.*?</\1>')


def _visible_text(html: str) -> str:
    html = re.sub(r"(?s)<script.*?</script>|<style.*?</style>|<code>.*?</code>", " ", html)
    html = UNTRANSLATED.sub(" ", html)
    text = re.sub(r"<[^>]+>", " ", html).replace("&#39;", "'").replace("&amp;", "&")
    return re.sub(r"\s+", " ", text)


def test_every_page_speaks_one_language(lite_app: Any) -> None:
    """Rendered for the city admin (or a page's only role) in each language: no Chinese on English pages (but proper
    names), no English words on Chinese pages (but the codes and units of ``i18n_allow.txt``)."""
    client, city = lite_app
    pages = [r.path for r in http_routes(client.app) if "GET" in r.methods and is_city_page(r.path)]
    chinese_allowed = _allowed("en")
    problems = []
    for path in pages:
        url = _fill_page(path, city)
        zh = _visible_text(client.get(url + "?lang=zh", headers=bearer(city, page_role(path))).text)
        en = _visible_text(client.get(url + "?lang=en", headers=bearer(city, page_role(path))).text)
        if noise := re.findall(r"\d+\.\d{5,}", zh + en):
            problems.append(f"{path}: unrounded numbers {noise}")
        if left := _english_left(zh):
            problems.append(f"{path} zh: English {sorted(set(left))}")
        if stray := CJK.findall(chinese_allowed.sub(" ", en)):
            problems.append(f"{path} en: Chinese {sorted(set(stray))}")
    assert problems == [], "\n".join(problems)
