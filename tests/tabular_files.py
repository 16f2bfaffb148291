"""Real .xlsx files for the import tests, edited inside the zip the way other programs write them."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from greenport.tabular import Sheet, write_xlsx

SHEET_XML = "xl/worksheets/sheet1.xml"


def edit_member(path: Path, member: str, edit: Callable[[bytes], bytes]) -> None:
    """Rewrite one member of the zip at ``path`` through ``edit`` (the others are copied)."""
    with zipfile.ZipFile(path) as source:
        members = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members:
            target.writestr(name, edit(data) if name == member else data)


def xlsx_declaring(path: Path, headers: Sequence[str], rows: Sequence[Sequence[Any]], dimension: str) -> Path:
    """An .xlsx written by openpyxl whose ``<dimension>`` element is then set to ``dimension``."""
    write_xlsx(path, [Sheet("data", headers, rows)])
    edit_member(
        path,
        SHEET_XML,
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), xml),
    )
    return path


def xlsx_bomb(path: Path, rows: int) -> Path:
    """A small .xlsx whose sheet XML holds ``rows`` identical data rows (below a header row)."""
    write_xlsx(path, [Sheet("data", ["name", "value"], [["x", 1]])])

    def many_rows(xml: bytes) -> bytes:
        body = b"".join(
            b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c><c r="B%d"><v>1</v></c></row>'
            % (n, n, n)
            for n in range(2, rows + 2)
        )
        return re.sub(
            rb"(</row>)(.*?)(</sheetData>)",
            lambda m: m.group(1) + body + m.group(3),
            xml,
            count=1,
            flags=re.S,
        )

    edit_member(path, SHEET_XML, many_rows)
    return path


def corrupt_sheet(path: Path) -> Path:
    """A real .xlsx whose sheet XML is cut in the middle (as a broken download leaves it)."""
    write_xlsx(path, [Sheet("data", ["name"], [["a"], ["b"], ["c"]])])
    edit_member(path, SHEET_XML, lambda xml: xml[: len(xml) // 2 + 7] + b"<<garbage")
    return path
