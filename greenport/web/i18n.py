"""Translation with gettext catalogues (Babel) and Jinja2's i18n extension.

Simplified Chinese is the default language, English is available. The language comes from
``?lang=en|zh`` (remembered in the ``gp_lang`` cookie), else the cookie, else Chinese.

**Source language.** Message ids are English (``gettext("Towns")``), the gettext convention:
the code base, its identifiers and its docs are English (``shared/DESIGN.md``), every tool of
the ecosystem (Babel, Jinja2's ``{% trans %}``, translation editors) assumes a source-language
msgid, and a missing translation then falls back to a readable text instead of a key. Two
catalogues are shipped: ``locale/zh_Hans/LC_MESSAGES/messages.po`` (the default language) and
``locale/en/LC_MESSAGES/messages.po`` (so English wording can change without touching a
template, and so the test checks *both* catalogues for every msgid). When one English text
needs two Chinese renderings, the msgid carries a context (``pgettext``).

The ``.po`` files are the only form kept in the repository: they are read with
:mod:`babel.messages.pofile` and compiled to gettext translations in memory once per process
(no ``pybabel compile`` step at install time).

Enumerations (site kinds, roles, states, parameters, industries, ...) are named through the
label tables of :mod:`greenport.kernel.labels`, exposed to templates as ``label(kind, code)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment

from greenport.kernel import labels
from greenport.kernel.time import format_local
from greenport.standards.reporting import format_reported

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
LANG_COOKIE = "gp_lang"
#: The page language -> the catalogue's locale (Simplified Chinese script, not a region).
LOCALES = {"zh": "zh_Hans", "en": "en"}
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"


def catalogue_path(lang: str) -> Path:
    """The ``.po`` file of page language ``lang``."""
    return LOCALE_DIR / LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache
def translations(lang: str) -> Translations:
    """The compiled translations of ``lang`` (read from its ``.po`` once per process)."""
    if lang not in LOCALES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
    with catalogue_path(lang).open("rb") as po:
        catalog = read_po(po, locale=LOCALES[lang], domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext_for(lang: str) -> Callable[[str], str]:
    """``gettext`` of ``lang``: what Python code calls ``_`` where it produces text for a person."""
    return translations(lang).gettext


def N_(message: str) -> str:
    """Mark ``message`` for extraction where it is defined; it is translated where it is shown."""
    return message


def label(kind: str, code: object, lang: str) -> str:
    """The name of ``code`` in label table ``kind`` (:func:`greenport.kernel.labels.label`)."""
    return labels.label(kind, code, lang)


def pick_lang(query_lang: str | None, cookie_lang: str | None) -> str:
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGS:
            return str(candidate)
    return DEFAULT_LANG


# -- templates ---------------------------------------------------------------------------------
# One Jinja environment serves both languages: the gettext callables installed on it read the
# language of the page being rendered from this context variable (set by ``language``), so two
# requests rendering at once in different languages never see each other's catalogue.
_rendering_lang: ContextVar[str] = ContextVar("gp_rendering_lang", default=DEFAULT_LANG)


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Render templates in ``lang`` inside this block."""
    token = _rendering_lang.set(lang)
    try:
        yield
    finally:
        _rendering_lang.reset(token)


def _gettext(message: str) -> str:
    return translations(_rendering_lang.get()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_rendering_lang.get()).ngettext(singular, plural, n)


def _pgettext(context: str, message: str) -> str:
    return str(translations(_rendering_lang.get()).pgettext(context, message))


def _npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return str(translations(_rendering_lang.get()).npgettext(context, singular, plural, n))


def _label(kind: str, code: Any) -> str:
    return labels.label(kind, code, _rendering_lang.get())


def _local_time(moment: datetime | str | None) -> str:
    return format_local(moment)


def _name(item: Any) -> str:
    """``item``'s ``name_en`` on English pages (its ``name_zh`` if it has no English name)."""
    get = item.get if isinstance(item, dict) else lambda key, default=None: getattr(item, key, default)
    chinese = get("name_zh") or get("name") or ""
    if _rendering_lang.get() == "en":
        return str(get("name_en") or chinese)
    return str(chinese)


def _reported(value: float | int | None, quantity: str) -> str:
    """``{{ value|reported("pm2_5") }}``: rounded as the field reports ``quantity``
    (:func:`greenport.standards.reporting.format_reported`; "—" when missing)."""
    return format_reported(quantity, value)


def install(env: Environment) -> None:
    """Give ``env`` the i18n extension (``{% trans %}``, ``gettext``/``_``), ``label(kind, code)``
    ``name(item)`` (its name in the page's language), the ``local_time`` filter (Beijing time, ``2026-12-06 23:19``)
    and the ``reported(quantity)`` filter (numbers rounded as the field reports them)."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext, npgettext=_npgettext, newstyle=True
    )
    env.globals["label"] = _label
    env.globals["name"] = _name
    env.filters["local_time"] = _local_time
    env.filters["reported"] = _reported
