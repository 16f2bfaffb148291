"""Names, not codes: what a person reads for a code (a site kind, an industry, a water class, ...).

Each kind of code has one table, ``kernel/data/labels/<kind>.csv`` (``code,zh,en``, its source in
the ``#`` comment lines at the top). Parameters are named by the canonical parameter registry
(``kernel/data/parameters.csv``) with their symbol, e.g. ``二氧化硫 SO₂``. Pages reach this
through the ``label(kind, code)`` template function; ``tests/web/test_i18n.py`` checks every row
is filled in both languages (no English in ``zh``, no Chinese in ``en``).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

from greenport.kernel.parameters import registry

LANGS = ("zh", "en")
PARAMETER = "parameter"

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


@cache
def table(kind: str) -> dict[str, dict[str, str]]:
    """The label table of ``kind``: code -> {"zh": ..., "en": ...}."""
    if kind == PARAMETER:
        return {code: _parameter_names(code) for code in registry()}
    folder = resources.files("greenport.kernel").joinpath("data/labels")
    source = folder.joinpath(f"{kind}.csv")
    if not source.is_file():
        known = sorted(p.name.removesuffix(".csv") for p in folder.iterdir() if p.name.endswith(".csv"))
        raise KeyError(f"no label table {kind!r}; known: {', '.join([PARAMETER, *known])}")
    lines = [line for line in source.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return {row["code"]: {"zh": row["zh"], "en": row["en"]} for row in csv.DictReader(lines)}


def kinds() -> list[str]:
    """Every kind of label table."""
    folder = resources.files("greenport.kernel").joinpath("data/labels")
    return [
        PARAMETER,
        *sorted(p.name.removesuffix(".csv") for p in folder.iterdir() if p.name.endswith(".csv")),
    ]


def _parameter_names(code: str) -> dict[str, str]:
    parameter = registry()[code]
    symbol = _SYMBOLS.get(code, "")
    english = parameter.name_en[:1].upper() + parameter.name_en[1:]
    return {
        "zh": f"{parameter.name_zh} {symbol}".strip(),
        "en": f"{english} {symbol}".strip(),
    }


def label(kind: str, code: object, lang: str) -> str:
    """The name of ``code`` of ``kind`` in ``lang`` (``zh`` or ``en``).

    A code missing from its table is shown as it is (data may hold codes newer than the table;
    the page stays readable and the test of the tables names the gap). ``None`` shows ``—``.
    """
    if code is None or code == "":
        return "—"
    key = str(getattr(code, "value", code))
    entry = table(kind).get(key)
    if entry is None:
        return key
    return entry["en" if lang == "en" else "zh"]
