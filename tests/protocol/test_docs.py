"""docs/protocol.md names every public name of greenport.protocol (like Datasette's test_docs)."""

from __future__ import annotations

from pathlib import Path

import greenport.protocol as protocol

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def test_every_public_name_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert [name for name in protocol.__all__ if name not in text] == []


def test_package_docstring_lists_the_core_api() -> None:
    doc = protocol.__doc__ or ""
    for name in (
        "FrameBuffer",
        "decode",
        "encode",
        "crc16_hj212",
        "ProtocolError",
        "factor_parameter",
        "reply_for",
    ):
        assert name in doc
