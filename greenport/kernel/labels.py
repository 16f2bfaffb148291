"""The names of coded values (enumerations), in Chinese and English: one table for display and imports.

A size class is stored as ``large`` and read as 大型; a site kind as ``gas_outlet`` and read as
废气排放口. The names live in ``kernel/data/enum_labels.csv`` (with their sources), keyed by the
enumeration's class name (``SizeClass``) or, for a yes/no column, by the column's key
(``above_scale``). :func:`label` gives the name to show; :func:`code_for` reads back what a person
typed (the code, the Chinese name or one of its alternatives, or the English name) so that an import
accepts a file filled in either language.
"""

from __future__ import annotations

import csv
import enum
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

Language = Literal["zh", "en"]

#: The languages of :func:`label` and of import templates and exports.
LANGUAGES: tuple[Language, ...] = ("zh", "en")


@dataclass(frozen=True, slots=True)
class EnumLabel:
    """One coded value: its code, its Chinese name (and alternatives a person may type), its English name."""

    enum: str
    code: str
    zh: str
    en: str
    zh_alternatives: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        """Every text that means this value: the code, the Chinese names, the English name."""
        return (self.code, self.zh, *self.zh_alternatives, self.en)


@cache
def _table() -> dict[str, tuple[EnumLabel, ...]]:
    text = resources.files("greenport.kernel").joinpath("data/enum_labels.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    table: dict[str, list[EnumLabel]] = {}
    for row in csv.DictReader(lines):
        zh, *alternatives = row["zh"].split("|")
        table.setdefault(row["enum"], []).append(
            EnumLabel(row["enum"], row["code"], zh, row["en"], tuple(alternatives))
        )
    return {name: tuple(labels) for name, labels in table.items()}


def _name(enumeration: type[enum.Enum] | str) -> str:
    return enumeration if isinstance(enumeration, str) else enumeration.__name__


def labels(enumeration: type[enum.Enum] | str) -> tuple[EnumLabel, ...]:
    """The labelled values of ``enumeration`` (a class or a table key), in table order; () if none."""
    return _table().get(_name(enumeration), ())


def label(
    value: enum.Enum | str, *, enumeration: type[enum.Enum] | str | None = None, lang: Language = "zh"
) -> str:
    """The name to show for ``value`` (an enum member, or a code with its ``enumeration``) in ``lang``;
    the code itself when the table has no name for it."""
    if isinstance(value, enum.Enum):
        enumeration, code = type(value), str(value.value)
    else:
        code = value
    if enumeration is None:
        return code
    for entry in labels(enumeration):
        if entry.code == code:
            return entry.zh if lang == "zh" else entry.en
    return code


def code_for(enumeration: type[enum.Enum] | str, text: str) -> str | None:
    """The code that ``text`` names in ``enumeration`` (code, Chinese name or alternative, English name;
    case and surrounding blanks ignored), or None."""
    wanted = text.strip().casefold()
    for entry in labels(enumeration):
        if any(wanted == name.casefold() for name in entry.names()):
            return entry.code
    return None


def accepted(enumeration: type[enum.Enum] | str, codes: list[str] | None = None) -> str:
    """The values of ``enumeration`` (or only ``codes``) as a reader may write them: "大型 (large), ..."."""
    entries = [e for e in labels(enumeration) if codes is None or e.code in codes]
    return ", ".join(f"{e.zh} ({e.code})" for e in entries)
