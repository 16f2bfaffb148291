"""A small message catalogue (``messages.json``): Simplified Chinese by default, English on request.

The language comes from ``?lang=en|zh`` (remembered in the ``gp_lang`` cookie), else the cookie,
else Chinese. Display text is data, looked up by key (as HA's ``strings.json``); a missing key
shows the key itself, and ``tests/web`` checks both languages have every key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
LANG_COOKIE = "gp_lang"
CATALOGUE_PATH = Path(__file__).with_name("messages.json")


@lru_cache
def catalogue() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    return data


def translate(key: str, lang: str) -> str:
    entry = catalogue().get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry.get(DEFAULT_LANG) or key


def translator(lang: str) -> Callable[[str], str]:
    return lambda key: translate(key, lang)


def pick_lang(query_lang: str | None, cookie_lang: str | None) -> str:
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGS:
            return str(candidate)
    return DEFAULT_LANG
