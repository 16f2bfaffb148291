"""Extract every translatable message of GreenPort, as ``pybabel extract`` does.

One mapping (Jinja2 templates with Jinja2's Babel extractor, Python with Babel's) used by the
conversion tool (``tools/i18n_convert.py``, which writes the catalogues) and by the test that
fails when a message is missing from a catalogue (``tests/web/test_i18n.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

PACKAGE_DIR = Path(__file__).resolve().parents[1]

#: ``pybabel extract -F`` mapping, relative to the ``greenport`` package directory.
METHOD_MAP = [
    ("web/templates/**.html", "jinja2.ext:babel_extract"),
    ("**.py", "python"),
]
OPTIONS_MAP = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}


@dataclass(frozen=True)
class Message:
    """One extracted message: ``context`` (msgctxt) may be ``None``; ``where`` is ``path:line``."""

    msgid: str
    context: str | None
    where: tuple[str, ...]
    template: bool


def extract(package_dir: Path = PACKAGE_DIR) -> list[Message]:
    """Every literal message given to ``_``/``gettext``/``pgettext``/``N_``/``{% trans %}``."""
    found: dict[tuple[str | None, str], tuple[list[str], bool]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(package_dir), METHOD_MAP, OPTIONS_MAP, keywords=DEFAULT_KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if not msgid:
            continue
        places, template = found.setdefault((context, msgid), ([], False))
        places.append(f"{filename}:{lineno}")
        found[(context, msgid)] = (places, template or filename.endswith(".html"))
    return [
        Message(msgid=msgid, context=context, where=tuple(places), template=template)
        for (context, msgid), (places, template) in sorted(
            found.items(), key=lambda kv: (kv[0][1], kv[0][0] or "")
        )
    ]
