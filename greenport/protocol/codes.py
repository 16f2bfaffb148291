"""HJ 212 code tables: factor codes -> canonical parameters, ST and CN names, data flags.

The tables are data files under ``greenport/protocol/data/`` (each names its source in a header
comment); this module only reads them:

* ``factor_codes.csv``: protocol factor code (HJ 212-2017 Appendix B, and the HJ/T 212-2005
  "原编码" such as ``011`` COD, ``060`` NH3-N, ``B01`` flow, ``001`` pH) -> canonical parameter of
  ``greenport.kernel.parameters`` + the unit the device sends. One code can mean different
  parameters by medium (``a21026`` is flue-gas SO2 in mg/m³ at a pollution source, ST=31, and
  ambient SO2 in µg/m³ at an air station, ST=22); the frame's ST decides.
* ``st_codes.csv``: system codes (Table 5) with the medium used above.
* ``cn_codes.csv``: command codes (Table 9; 2025 rows UNVERIFIED), with their kind.
* ``data_flags.csv``: data flags (Table 8).

This is the one place where protocol codes meet canonical parameters (STYLE.md habit 3).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from greenport.protocol.errors import UnknownCodeError


@dataclass(frozen=True, slots=True)
class FactorCode:
    """One row of ``factor_codes.csv``: a protocol factor code in one medium."""

    code: str
    edition: str
    medium: str
    parameter: str | None
    unit: str
    name_zh: str
    name_en: str
    equivalent: str | None
    source: str
    note: str


@dataclass(frozen=True, slots=True)
class SystemCode:
    """One ST code (HJ 212-2017 Table 5)."""

    code: str
    name_zh: str
    name_en: str
    medium: str | None


@dataclass(frozen=True, slots=True)
class CommandCode:
    """One CN code (HJ 212-2017 Table 9; ``edition == "2025"`` rows are UNVERIFIED)."""

    code: str
    name_zh: str
    name_en: str
    kind: str
    history: bool
    edition: str


@dataclass(frozen=True, slots=True)
class DataFlag:
    """One data flag letter (HJ 212-2017 Table 8)."""

    flag: str
    name_zh: str
    name_en: str
    normal: bool


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("greenport.protocol").joinpath(f"data/{name}").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines))


@cache
def factor_codes() -> dict[str, tuple[FactorCode, ...]]:
    """Every factor code with its meanings, first row = meaning when no ST is known."""
    table: dict[str, list[FactorCode]] = {}
    for row in _rows("factor_codes.csv"):
        entry = FactorCode(
            code=row["code"],
            edition=row["edition"],
            medium=row["medium"],
            parameter=row["parameter"] or None,
            unit=row["unit"],
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            equivalent=row["equivalent"] or None,
            source=row["source"],
            note=row["note"],
        )
        table.setdefault(entry.code, []).append(entry)
    return {code: tuple(entries) for code, entries in table.items()}


@cache
def system_codes() -> dict[str, SystemCode]:
    """ST codes of HJ 212-2017 Table 5, by code."""
    return {
        row["code"]: SystemCode(row["code"], row["name_zh"], row["name_en"], row["medium"] or None)
        for row in _rows("st_codes.csv")
    }


@cache
def command_codes() -> dict[str, CommandCode]:
    """CN codes of HJ 212-2017 Table 9 (and the UNVERIFIED 2025 additions), by code."""
    return {
        row["code"]: CommandCode(
            row["code"], row["name_zh"], row["name_en"], row["kind"], row["history"] == "yes", row["edition"]
        )
        for row in _rows("cn_codes.csv")
    }


@cache
def data_flags() -> dict[str, DataFlag]:
    """Data flags of HJ 212-2017 Table 8, by letter."""
    return {
        row["flag"]: DataFlag(row["flag"], row["name_zh"], row["name_en"], row["normal"] == "yes")
        for row in _rows("data_flags.csv")
    }


def data_flag(flag: str) -> DataFlag:
    """The data flag for a letter; a letter outside Table 8 is reported as abnormal (ref §1.8)."""
    known = data_flags().get(flag)
    if known is not None:
        return known
    return DataFlag(flag, "未知标记", f"unknown flag {flag!r} (treated as abnormal)", False)


def is_normal_flag(flag: str | None) -> bool:
    """True for ``N`` (normal, Table 8); a missing flag counts as normal (2005 packets omit it)."""
    return flag is None or data_flag(flag).normal


def medium_for_st(st: str | None) -> str | None:
    """The medium (water, air, flue_gas, noise) whose factor meanings apply to an ST code."""
    if st is None:
        return None
    system = system_codes().get(st)
    return system.medium if system else None


def lookup_factor(code: str, st: str | None = None) -> FactorCode | None:
    """The meaning of a factor code for a system code, or ``None`` if it has none there.

    Parameters
    ----------
    code
        Protocol factor code as on the wire (``"w01018"``, ``"011"``, ``"a21026"``).
    st
        The frame's ST; decides between ambient and pollution-source meanings. Without it (or
        for an ST with no medium), the code's first row applies.
    """
    entries = factor_codes().get(code)
    if not entries:
        return None
    medium = medium_for_st(st)
    if medium is None:
        return entries[0]
    for entry in entries:
        if entry.medium == medium or entry.medium == "any":
            return entry
    return None


def factor_parameter(code: str, st: str | None = None) -> tuple[str, str]:
    """Canonical parameter and the device's unit for a protocol factor code.

    ``factor_parameter("011")`` and ``factor_parameter("w01018")`` both give ``("cod", "mg/L")``;
    ``factor_parameter("a21026", st="22")`` gives ``("so2", "µg/m³")`` and with ``st="31"``
    ``("flue_so2", "mg/m³")``. Convert values to the parameter's canonical unit with
    ``greenport.kernel.units.convert``.

    Parameters
    ----------
    code
        Protocol factor code (HJ 212-2017 Appendix B or the HJ/T 212-2005 code).
    st
        The frame's ST code (Table 5), see :func:`lookup_factor`.

    Returns
    -------
    tuple of str
        ``(parameter, unit)``: a code of ``greenport.kernel.parameters`` and the unit of the
        values the device sends.

    Raises
    ------
    UnknownCodeError
        An unknown code, a code with no meaning for this ST, or one with no canonical parameter.
    """
    entries = factor_codes().get(code)
    if not entries:
        raise UnknownCodeError(
            f"unknown factor code {code!r}; the table (protocol/data/factor_codes.csv) knows "
            f"{len(factor_codes())} codes, e.g. w01018, 011, a21026, a34004",
            field=code,
        )
    entry = lookup_factor(code, st)
    if entry is None:
        media = sorted({e.medium for e in entries})
        raise UnknownCodeError(
            f"factor code {code!r} has no meaning for ST={st} (medium {medium_for_st(st)}); "
            f"it is known for: {', '.join(media)}",
            field=code,
        )
    if entry.parameter is None:
        raise UnknownCodeError(
            f"factor code {code!r} ({entry.name_en}) has no canonical parameter", field=code
        )
    return entry.parameter, entry.unit


def st_name(st: str) -> str | None:
    """Chinese name of an ST code, or ``None`` for a non-standard one (store, don't reject)."""
    system = system_codes().get(st)
    return system.name_zh if system else None


def cn_name(cn: str) -> str | None:
    """Chinese name of a CN code, or ``None`` if Table 9 does not list it."""
    command = command_codes().get(cn)
    return command.name_zh if command else None
