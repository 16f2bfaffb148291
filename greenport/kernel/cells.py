"""Text that a spreadsheet program would run as a formula, and how exports keep it text.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which
spreadsheet programs strip before looking) is read by Excel, LibreOffice Calc and Google Sheets
as a formula: a firm named ``=cmd|' /C calc'!A0`` in an exported file would run a command on the
reader's machine (CSV/formula injection, OWASP "CSV Injection",
https://owasp.org/www-community/attacks/CSV_Injection). Every XLSX and CSV that GreenPort writes
passes its cells through these rules: an .xlsx cell is typed as text (shown exactly as stored), a
CSV cell gets the single-quote prefix OWASP recommends. Numbers stay numbers, and so does text that
is a plain number (``-3.2``, ``+5``, ``-1e-3``): no spreadsheet program reads those as formulas.
"""

from __future__ import annotations

import re
from typing import Any

#: First characters that make a spreadsheet program evaluate a text cell (OWASP CSV Injection).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def reads_as_formula(value: Any) -> bool:
    """True for text that a spreadsheet program would evaluate as a formula (not for numbers,
    nor for text that is a plain signed number such as ``"-3.2"``)."""
    return (
        isinstance(value, str)
        and value.startswith(FORMULA_TRIGGERS)
        and _PLAIN_NUMBER.fullmatch(value) is None
    )


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell: formula-like text gets a leading ``'`` (shown, not evaluated);
    everything else is returned unchanged."""
    return "'" + value if reads_as_formula(value) else value


def from_csv_cell(text: str) -> str:
    """A CSV cell as read back: the ``'`` that :func:`csv_cell` put before formula-like text is
    taken off again, so an exported file imports back unchanged."""
    return text[1:] if text.startswith("'") and reads_as_formula(text[1:]) else text
