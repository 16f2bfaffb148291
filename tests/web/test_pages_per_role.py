"""Every role, in a real headless Chromium: each page of its menu renders without a script error,
shows data of the test city, and speaks one language on the DOM (issue 14).

For each role (and the park-scoped department user) the browser logs in through the log-in form,
reads the menu from the page itself, opens every link in Chinese and in English and checks what a
person sees (``document.body.innerText`` after the scripts ran and the charts were drawn):

* the page answered 200 and raised no JavaScript error (CSP violations included);
* it is not empty: the ``<main>`` element holds text beyond its heading;
* the Chinese page has no English word but the codes, units and names of ``i18n_allow.txt``,
  the English page no Chinese but the proper names allowed there.

A screenshot of each page is saved as an artifact under ``GREENPORT_TEST_ARTIFACTS`` (default
``var/screenshots``), named ``<role>-<page>-<lang>.png``, for a person to look at after the run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PARK_USER, ROLES
from tests.web.test_browser import _login, live  # noqa: F401  (the live server fixture)
from tests.web.test_i18n import CJK, _allowed, _english_left

pytestmark = pytest.mark.browser

ARTIFACTS = Path(
    os.environ.get("GREENPORT_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "var" / "screenshots")
)


def _menu_links(page: Any) -> list[str]:
    hrefs = page.eval_on_selector_all("nav a[href^='/']", "links => links.map(a => a.getAttribute('href'))")
    return [h for h in dict.fromkeys(hrefs) if not h.startswith(("/logout", "/login", "/static", "/api"))]


def _slug(href: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", href.lower()).strip("-") or "home"


@pytest.mark.parametrize("role", [*ROLES, PARK_USER])
def test_every_menu_page_renders_shows_data_and_speaks_one_language(live: dict[str, Any], role: str) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    base = live["base"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=live["chromium"], args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        _login(page, base, role)
        links = _menu_links(page)
        assert links, f"{role}: no menu"
        for href in links:
            for lang in ("zh", "en"):
                errors.clear()
                separator = "&" if "?" in href else "?"
                response = page.goto(f"{base}{href}{separator}lang={lang}")
                page.wait_for_load_state("networkidle")
                where = f"{role} {href} [{lang}]"
                if response is None or response.status != 200:
                    problems.append(f"{where}: HTTP {None if response is None else response.status}")
                    continue
                page.screenshot(path=str(ARTIFACTS / f"{role}-{_slug(href)}-{lang}.png"), full_page=True)
                if errors:
                    problems.append(f"{where}: script errors {errors}")
                main = page.inner_text("main") if page.query_selector("main") else page.inner_text("body")
                heading = page.inner_text("main h1") if page.query_selector("main h1") else ""
                if len(main.replace(heading, "").strip()) < 20:
                    problems.append(f"{where}: shows nothing ({main[:80]!r})")
                text = page.inner_text("body")
                if lang == "zh" and (left := _english_left(text)):
                    problems.append(f"{where}: English on a Chinese page {sorted(set(left))[:12]}")
                if lang == "en" and (stray := CJK.findall(_allowed("en").sub(" ", text))):
                    problems.append(f"{where}: Chinese on an English page {''.join(sorted(set(stray)))[:40]}")
        browser.close()
    assert problems == [], "\n".join(problems)
