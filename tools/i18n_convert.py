"""Turn ``t("key")`` look-ups into gettext and write the gettext catalogues (re-runnable).

    python tools/i18n_convert.py            # convert, then write the catalogues
    python tools/i18n_convert.py --check    # exit 1 if anything is left to convert (CI / lead)

Input: ``greenport/web/messages.json`` (``{"key": {"zh": ..., "en": ...}}``), the catalogue the
pages used before gettext; helpers may keep adding keys there until the final run. The script

* in every template under ``greenport/web/templates``: ``t("key")`` -> ``gettext("English")``
  (``pgettext("key", "English")`` when one English text has two Chinese renderings);
  ``t("prefix." ~ expr)`` -> ``label("<table>", expr)`` and the ``prefix.*`` entries become rows
  of the label table ``greenport/kernel/data/labels/<table>.csv`` (a row already there is kept:
  the table is the home of its names once written); any other ``t(expr)`` ->
  ``gettext(expr)`` and is reported (``expr`` must now yield an English msgid marked ``N_()``);
* in Python modules of ``greenport``: ``t = i18n.translator(lang)`` -> ``_ = i18n.gettext_for(lang)``,
  ``t("key")`` -> ``_("English")``, ``t(f"prefix.{expr}")`` -> ``i18n.label("<table>", expr, lang)``;
* extracts every message (``greenport.web.i18n_extract``, Babel's extractors) and writes
  ``greenport/web/locale/{zh_Hans,en}/LC_MESSAGES/messages.po``: translations from messages.json
  first, then those already in the ``.po`` files; a message with no translation is written empty
  (and ``tests/web/test_i18n.py`` fails, naming it).

Running it twice changes nothing the second time.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from greenport.web.i18n import LOCALES, catalogue_path  # noqa: E402
from greenport.web.i18n_extract import extract  # noqa: E402

MESSAGES = ROOT / "greenport" / "web" / "messages.json"
TEMPLATES = ROOT / "greenport" / "web" / "templates"
PACKAGE = ROOT / "greenport"
LABELS = ROOT / "greenport" / "kernel" / "data" / "labels"

#: Key prefixes looked up with a computed code -> the label table that names those codes.
LABEL_TABLES = {
    "kind.": "site_kind",
    "state.": "site_state",
    "role.": "role",
    "reg.import_": "import_kind",
    "ent.group.": "industry_group",
    "ent.order_": "enterprise_order",
    "as.sort_": "sort_key",
    "reports.format.": "report_format",
    "site.range.": "time_range",
}

#: Names, not codes: a template that shows ``{{ x.<field> }}`` (optionally ``or "..."``) shows the
#: name from the label table instead. Field names that mean one thing everywhere.
LABELLED_FIELDS = {
    "size_class": "size_class",
    "industry_group": "industry_group",
    "industry_code": "industry",
    "emission_standard": "emission_standard",
    "target_class": "water_class",
    "actual_class": "water_class",
    "grade": "grade",
    "park_kind": "park_kind",
    "grid_level": "grid_level",
    "reason": "quarantine_reason",
    "parameter": "parameter",
    "active": "yes_no",
}
#: Fields whose meaning depends on the table they are in: (template, expression) -> label table.
LABELLED_EXPRESSIONS = {
    ("towns.html", "p.kind"): "park_kind",
    ("towns.html", "g.level"): "grid_level",
    ("site.html", "ctx.period"): "period",
    ("assessment_unit.html", "a.kind"): "adjustment_kind",
}
#: (Not after ``=`` or ``"``: a code in a link's query or a form value stays a code.)
_SHOWN_FIELD = re.compile(r"""(?<![="])\{\{ ([a-z_][\w.]*)\.(\w+)(?: or "[^"]*")? \}\}""")
_SHOWN_TIME = re.compile(
    r"""\{\{ ([a-z_][\w.]*\.(?:created_at|at|time|received_at|updated_at))(?:\[:\d+\])? \}\}"""
)
_NAME_BY_LANG = re.compile(r"""([a-z_][\w.]*)\.name_zh if chrome\.lang == ["']zh["'] else \1\.name_en""")
#: Ranks are whole numbers: a rank interval's percentiles (interpolated by numpy) are rounded.
_RANK_PERCENTILE = re.compile(r"""\{\{ ([a-z_][\w.]*\.rank_interval\.(?:p05|p95|median)) \}\}""")
_NAME_ZH_ONLY = re.compile(r"""\{\{ ([a-z_][\w.]*)\.name_zh \}\}""")

_STATIC = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.\-]+)["']\s*\)""")
_PREFIXED = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.\-]+)["']\s*~\s*([^()]+?)\s*\)""")
_DYNAMIC = re.compile(r"""(?<![\w.])t\(\s*([A-Za-z_][\w.\[\]"']*)\s*\)""")
_PY_TRANSLATOR = re.compile(r"""\bt = (?:i18n\.)?translator\((\w+)\)""")
_PY_TRANSLATOR_IMPORT = re.compile(r"""^from greenport\.web\.i18n import translator\n""", re.MULTILINE)
_PY_FSTRING = re.compile(r"""\bt\(f["']([A-Za-z0-9_.\-]+)\{([^}]+)\}["']\)""")


def _jinja_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _py_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


class Converter:
    def __init__(self, messages: dict[str, dict[str, str]]) -> None:
        self.messages = messages
        by_english: dict[str, set[str]] = {}
        for entry in messages.values():
            by_english.setdefault(entry["en"], set()).add(entry["zh"])
        #: English texts that need a context: the same words, two Chinese renderings.
        self.ambiguous = {en for en, zh in by_english.items() if len(zh) > 1}
        #: (context, msgid) -> {"zh": ..., "en": ...} for every message this run produced.
        self.translations: dict[tuple[str | None, str], dict[str, str]] = {}
        self.label_rows: dict[str, dict[str, dict[str, str]]] = {}
        self.reports: list[str] = []

    def _message(self, key: str, where: str, *, template: bool) -> tuple[str | None, str]:
        entry = self.messages.get(key)
        if entry is None:
            raise SystemExit(f"{where}: t({key!r}) has no entry in {MESSAGES.relative_to(ROOT)}")
        english, chinese = entry["en"], entry["zh"]
        if template:  # Jinja's newstyle gettext %-formats every message: a literal % is %%
            english, chinese = english.replace("%", "%%"), chinese.replace("%", "%%")
        context = key if entry["en"] in self.ambiguous else None
        self.translations[(context, english)] = {"zh": chinese, "en": english}
        return context, english

    def _label_table(self, prefix: str, where: str) -> str:
        table = LABEL_TABLES.get(prefix) or prefix.rstrip("._").replace(".", "_")
        rows = self.label_rows.setdefault(table, {})
        for key, entry in self.messages.items():
            if key.startswith(prefix):
                rows[key.removeprefix(prefix)] = {"zh": entry["zh"], "en": entry["en"]}
        if not rows:
            raise SystemExit(f"{where}: no key of messages.json starts with {prefix!r}")
        return table

    def template(self, text: str, where: str) -> str:
        def static(match: re.Match[str]) -> str:
            context, msgid = self._message(match.group(1), where, template=True)
            if context is None:
                return f"gettext({_jinja_string(msgid)})"
            return f"pgettext({_jinja_string(context)}, {_jinja_string(msgid)})"

        def prefixed(match: re.Match[str]) -> str:
            table = self._label_table(match.group(1), where)
            return f"label({_jinja_string(table)}, {match.group(2)})"

        def dynamic(match: re.Match[str]) -> str:
            self.reports.append(
                f"{where}: t({match.group(1)}) -> gettext({match.group(1)}); the value must now be an "
                "English msgid marked with N_() where it is produced"
            )
            return f"gettext({match.group(1)})"

        text = _STATIC.sub(static, text)
        text = _PREFIXED.sub(prefixed, text)
        text = _DYNAMIC.sub(dynamic, text)
        return self.names_not_codes(text, Path(where).name)

    @staticmethod
    def names_not_codes(text: str, template: str) -> str:
        """Codes shown as names (label tables), names in the page's language, times in Beijing time."""

        def field(match: re.Match[str]) -> str:
            owner, name = match.group(1), match.group(2)
            table = LABELLED_EXPRESSIONS.get((template, f"{owner}.{name}")) or LABELLED_FIELDS.get(name)
            if table is None:
                return match.group(0)
            return f"{{{{ label({_jinja_string(table)}, {owner}.{name}) }}}}"

        text = _SHOWN_FIELD.sub(field, text)
        text = _SHOWN_TIME.sub(lambda m: f"{{{{ {m.group(1)}|local_time }}}}", text)
        text = _RANK_PERCENTILE.sub(lambda m: f"{{{{ {m.group(1)}|round|int }}}}", text)
        text = _NAME_BY_LANG.sub(lambda m: f"name({m.group(1)})", text)
        return _NAME_ZH_ONLY.sub(lambda m: f"{{{{ name({m.group(1)}) }}}}", text)

    def python(self, text: str, where: str) -> str:
        translator = _PY_TRANSLATOR.search(text)
        if translator is None:
            return text
        lang = translator.group(1)
        text = _PY_TRANSLATOR.sub(lambda m: f"_ = i18n.gettext_for({m.group(1)})", text)
        if _PY_TRANSLATOR_IMPORT.search(text):  # ``from ...i18n import translator`` -> the module
            has_module = re.search(r"^from greenport\.web import (?:.*\b)?i18n\b", text, re.MULTILINE)
            text = _PY_TRANSLATOR_IMPORT.sub("" if has_module else "from greenport.web import i18n\n", text)

        def static(match: re.Match[str]) -> str:
            _context, msgid = self._message(match.group(1), where, template=False)
            return f"_({_py_string(msgid)})"

        def fstring(match: re.Match[str]) -> str:
            table = self._label_table(match.group(1), where)
            return f"i18n.label({_py_string(table)}, {match.group(2)}, {lang})"

        text = _STATIC.sub(static, text)
        text = _PY_FSTRING.sub(fstring, text)
        if re.search(r"(?<![\w.])t\(", text):
            self.reports.append(f"{where}: a t(...) call is left; convert it by hand")
        return text


def _write_label_tables(rows_by_table: dict[str, dict[str, dict[str, str]]]) -> list[Path]:
    written = []
    for table, rows in sorted(rows_by_table.items()):
        path = LABELS / f"{table}.csv"
        header = [
            f"# Names of the {table.replace('_', ' ')} codes shown on pages (GreenPort's own vocabulary;",
            "# written by tools/i18n_convert.py from greenport/web/messages.json, then kept here).",
        ]
        existing: dict[str, dict[str, str]] = {}
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()
            header = [line for line in lines if line.startswith("#")]
            for row in csv.DictReader(line for line in lines if not line.startswith("#")):
                existing[row["code"]] = {"zh": row["zh"], "en": row["en"]}
        for code, names in sorted(rows.items()):  # a row kept in the table wins (reviewed names,
            existing.setdefault(code, names)  # alternatives, its place in the table's order)
        out = io.StringIO()
        out.write("\n".join(header) + "\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["code", "zh", "en"])
        for code in existing:
            writer.writerow([code, existing[code]["zh"], existing[code]["en"]])
        if not path.exists() or path.read_text(encoding="utf-8") != out.getvalue():
            path.write_text(out.getvalue(), encoding="utf-8")
            written.append(path)
    return written


def _read_catalogue(lang: str) -> Catalog | None:
    path = catalogue_path(lang)
    if not path.exists():
        return None
    with path.open("rb") as po:
        return read_po(po, locale=LOCALES[lang])


def _write_catalogues(fresh: dict[tuple[str | None, str], dict[str, str]]) -> list[Path]:
    messages = extract()
    written = []
    for lang, locale in LOCALES.items():
        old = _read_catalogue(lang)
        catalog = Catalog(
            locale=locale,
            domain="messages",
            project="GreenPort",
            version="",
            copyright_holder="GreenPort contributors",
            charset="utf-8",
            fuzzy=False,
        )
        for message in messages:
            key = (message.context, message.msgid)
            translation = fresh.get(key, {}).get(lang, "")
            if not translation and old is not None:
                previous = old.get(message.msgid, context=message.context)
                translation = str(previous.string) if previous is not None and previous.string else ""
            if not translation and lang == "en" and not _has_cjk(message.msgid):
                translation = message.msgid  # English msgid: the English text unless reworded
            catalog.add(
                message.msgid,
                translation,
                locations=[
                    (where.rsplit(":", 1)[0], int(where.rsplit(":", 1)[1])) for where in message.where
                ],
                context=message.context,
                flags=("python-format",) if message.template and "%" in message.msgid else (),
            )
        out = io.BytesIO()
        write_po(out, catalog, width=100, omit_header=False, sort_output=True, include_lineno=False)
        text = re.sub(rb'"POT-Creation-Date: [^"]*"\n', b"", out.getvalue())
        text = re.sub(rb'"PO-Revision-Date: [^"]*"\n', b"", text)
        path = catalogue_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != text:
            path.write_bytes(text)
            written.append(path)
    return written


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a t() is left")
    args = parser.parse_args(argv)
    messages = json.loads(MESSAGES.read_text(encoding="utf-8")) if MESSAGES.exists() else {}
    converter = Converter(messages)
    for key, entry in messages.items():  # texts converted by an earlier run keep messages.json's words
        context = key if entry["en"] in converter.ambiguous else None
        converter.translations.setdefault((context, entry["en"]), dict(entry))
        escaped = {lang: text.replace("%", "%%") for lang, text in entry.items()}
        converter.translations.setdefault((context, escaped["en"]), escaped)
    changed: list[Path] = []
    sources = sorted(TEMPLATES.rglob("*.html")) + sorted(
        p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts
    )
    for path in sources:
        where = str(path.relative_to(ROOT))
        before = path.read_text(encoding="utf-8")
        after = (
            converter.template(before, where) if path.suffix == ".html" else converter.python(before, where)
        )
        if after != before:
            changed.append(path)
            if not args.check:
                path.write_text(after, encoding="utf-8")
    if args.check:
        for path in changed:
            print(f"left to convert: {path.relative_to(ROOT)}")
        return 1 if changed else 0
    changed += _write_label_tables(converter.label_rows)
    changed += _write_catalogues(converter.translations)
    for path in changed:
        print(f"wrote {path.relative_to(ROOT)}")
    for report in converter.reports:
        print(f"note: {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
