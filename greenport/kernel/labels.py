"""Names, not codes: what a person reads, and may type, for a code (a site kind, a size class, ...).

The one home of these names, for pages, exports, import templates and imports. Each kind of code
has one table, ``kernel/data/labels/<kind>.csv`` (``code,zh,en``, its source in the ``#`` comment
lines at the top). The first name of a cell is the one shown; further names after ``|`` are
alternatives a person may type in an import file (``大型|大型企业``). Parameters are named by the
canonical parameter registry (``kernel/data/parameters.csv``) with their symbol, e.g. ``二氧化硫 SO₂``.

* :func:`label` names a code in a language (pages reach it through ``label(kind, code)`` in
  templates, exports and the command line call it directly);
* :func:`code_for` reads back what a person typed (the code, a Chinese name or an English name),
  so an import accepts a file filled in either language; :func:`accepted` lists those names for an
  error message;
* :data:`KIND_OF` says which table names the values of an enumeration class (``SizeClass`` ->
  ``size_class``) or of a yes/no column with names of its own (``above_scale`` -> 规上/规下).

``tests/web/test_i18n.py`` checks every row is filled in both languages (no English in ``zh``, no
Chinese in ``en``) and that every value of the enumerations of :data:`KIND_OF` has a name.
"""

from __future__ import annotations

import csv
import enum
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from greenport.kernel.parameters import registry

Language = Literal["zh", "en"]

#: The languages of :func:`label`, of pages, import templates and exports.
LANGUAGES: tuple[Language, ...] = ("zh", "en")

#: The kind named by the parameter registry rather than by a CSV table.
PARAMETER = "parameter"

#: The table naming the values of an enumeration (by its class name) or of a coded column (by
#: its key): the names an import accepts for a field are those of this table.
KIND_OF: dict[str, str] = {
    "SizeClass": "size_class",
    "IndustryGroup": "industry_group",
    "SiteKind": "site_kind",
    "SiteLevel": "site_level",
    "Waterbody": "waterbody",
    "DivisionLevel": "division_level",
    "GridLevel": "grid_level",
    "ParkKind": "park_kind",
    "PeriodKind": "period",
    "QuarantineReason": "quarantine_reason",
    "SiteState": "site_state",
    "Role": "role",
    "AlarmState": "alarm_state",
    "Severity": "severity",
    "RuleKind": "alarm_kind",
    "EventKind": "alarm_event",
    "above_scale": "above_scale",
    "CaseState": "case_state",
    "CaseAction": "case_action",
    "CaseSource": "case_source",
    "GroupBy": "case_grouping",
}

#: Chemical symbols shown after a parameter's name (HJ 633-2012 Table 1 writes them so).
_SYMBOLS = {
    "so2": "SO₂",
    "so2_24h": "SO₂",
    "no2": "NO₂",
    "co": "CO",
    "o3": "O₃",
    "o3_8h": "O₃",
    "pm10": "",
    "pm2_5": "",
    "nh3_n": "NH₃-N",
    "cod": "COD",
    "codmn": "COD_Mn",
    "do": "DO",
    "tp": "TP",
    "tn": "TN",
    "flue_so2": "SO₂",
    "flue_nox": "NOₓ",
}


@dataclass(frozen=True, slots=True)
class Label:
    """One code and its names: the Chinese and English names shown, and the alternatives a person
    may type for it."""

    code: str
    zh: str
    en: str
    zh_alternatives: tuple[str, ...] = ()
    en_alternatives: tuple[str, ...] = ()

    def name(self, lang: str) -> str:
        """The name shown in ``lang`` (``zh`` or ``en``)."""
        return self.en if lang == "en" else self.zh

    def names(self) -> tuple[str, ...]:
        """Every text that means this code: the code, the Chinese names, the English names."""
        return (self.code, self.zh, *self.zh_alternatives, self.en, *self.en_alternatives)


def _folder() -> resources.abc.Traversable:
    return resources.files("greenport.kernel").joinpath("data/labels")


@cache
def kinds() -> tuple[str, ...]:
    """Every kind of label table."""
    tables = sorted(p.name.removesuffix(".csv") for p in _folder().iterdir() if p.name.endswith(".csv"))
    return (PARAMETER, *tables)


@cache
def table(kind: str) -> dict[str, Label]:
    """The label table of ``kind``: code -> :class:`Label`, in the file's order.

    Raises KeyError naming the known kinds when there is no such table.
    """
    if kind == PARAMETER:
        return {code: _parameter_label(code) for code in registry()}
    source = _folder().joinpath(f"{kind}.csv")
    if not source.is_file():
        raise KeyError(f"no label table {kind!r}; known: {', '.join(kinds())}")
    lines = [line for line in source.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    entries = {}
    for row in csv.DictReader(lines):
        zh, *zh_alternatives = row["zh"].split("|")
        en, *en_alternatives = row["en"].split("|")
        entries[row["code"]] = Label(row["code"], zh, en, tuple(zh_alternatives), tuple(en_alternatives))
    return entries


def _parameter_label(code: str) -> Label:
    parameter = registry()[code]
    symbol = _SYMBOLS.get(code, "")
    english = parameter.name_en[:1].upper() + parameter.name_en[1:]
    return Label(code, f"{parameter.name_zh} {symbol}".strip(), f"{english} {symbol}".strip())


def kind_of(enumeration: type[enum.Enum] | str) -> str | None:
    """The label table of an enumeration class or a coded column's key (:data:`KIND_OF`), or None."""
    return KIND_OF.get(enumeration if isinstance(enumeration, str) else enumeration.__name__)


def label(kind: str, code: object, lang: str = "zh") -> str:
    """The name of ``code`` (a code or an enum member) of ``kind`` in ``lang`` (``zh`` or ``en``).

    A code missing from its table is shown as it is (data may hold codes newer than the table;
    the page stays readable and the test of the tables names the gap). ``None`` shows ``—``.
    """
    if code is None or code == "":
        return "—"
    key = str(getattr(code, "value", code))
    entry = table(kind).get(key)
    return key if entry is None else entry.name(lang)


def code_for(kind: str, text: str) -> str | None:
    """The code of ``kind`` that ``text`` names (the code, a Chinese name or alternative, an English
    name; case and surrounding blanks ignored), or None."""
    wanted = text.strip().casefold()
    for entry in table(kind).values():
        if any(wanted == name.casefold() for name in entry.names()):
            return entry.code
    return None


def accepted(kind: str, codes: list[str] | None = None) -> str:
    """The codes of ``kind`` (or only ``codes``) as a reader may write them: "大型 (large), ..."."""
    return ", ".join(f"{e.zh} ({e.code})" for e in table(kind).values() if codes is None or e.code in codes)
