"""Security headers on every response and forwarded headers only from trusted proxies
(issue 12, item 13).

* Every response (page, API, static file, error, hot-cache answer) carries a strict
  Content-Security-Policy (scripts from 'self' only), ``X-Frame-Options: DENY`` and
  ``X-Content-Type-Options: nosniff``.
* In real headless Chromium, every page of a city admin draws its charts and works with that
  policy: the console reports no CSP violation and no script error.
* A real uvicorn started with ``greenport serve``'s options ignores ``X-Forwarded-For`` unless
  the peer is in ``GREENPORT_TRUSTED_PROXIES``: the log-in limit and the audit see the real peer.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from greenport.cli.serve import forwarding_options
from greenport.config import Settings
from greenport.web.app import CONTENT_SECURITY_POLICY
from tests.web.conftest import PASSWORD, TOWN_A, bearer
from tests.web.test_browser import CHROMIUM_ARGS, _login, free_port, live  # noqa: F401 (fixture)

PAGES_AND_CALLS = [
    "/",
    "/login",
    "/public",
    "/api/public/air",
    "/api/auth/me",
    "/api/openapi.json",
    "/static/greenport.css",
    "/no/such/page",
    "/api/sites/999999",
]


def _assert_secured(response: Any, where: str) -> None:
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0], (
        where
    )
    assert "frame-ancestors 'none'" in csp, where
    assert response.headers.get("x-frame-options") == "DENY", where
    assert response.headers.get("x-content-type-options") == "nosniff", where


def test_every_kind_of_response_carries_the_security_headers(lite_app: Any) -> None:
    client, city = lite_app
    for path in PAGES_AND_CALLS:
        for headers in ({}, bearer(city, "city_admin")):
            _assert_secured(client.get(path, headers=headers), f"GET {path}")
    # twice: the second dashboard answer comes from the hot cache, before routing
    for _ in range(2):
        _assert_secured(
            client.get("/api/dashboard", headers=bearer(city, "city_admin")), "hot /api/dashboard"
        )
    _assert_secured(client.post("/api/auth/login", json={"username": "x", "password": "y"}), "POST login")


def test_no_template_keeps_inline_code() -> None:
    from pathlib import Path

    import greenport.web

    templates = Path(greenport.web.__file__).with_name("templates")
    for template in templates.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        for chunk in text.split("<script")[1:]:
            opening = chunk.split(">", 1)[0]
            assert "src=" in opening or 'type="application/json"' in opening, (
                f"inline script in {template.name}"
            )
        assert " onclick=" not in text and " onload=" not in text, f"inline handler in {template.name}"


def test_pages_work_under_the_policy_in_a_real_browser(live: dict[str, Any]) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    base, city = live["base"], live["city"]
    pages = [
        ("/", ["#map canvas", "#gauge canvas", "#water canvas"]),
        ("/towns", []),
        (f"/towns/{TOWN_A}", []),
        ("/enterprises", []),
        (f"/enterprises/{city.ids['e1']}", []),
        (f"/sites/{city.ids['airA']}", []),
        ("/assessments", []),
        (f"/assessments/runs/{city.ids['run']}", ["#totals canvas"]),
        (f"/assessments/runs/{city.ids['run']}/units/{TOWN_A}", ["#radar canvas"]),
        ("/quarantine", []),
        ("/devices", []),
        ("/public", ["#aqi canvas"]),
        ("/api/docs", [".swagger-ui .info"]),
    ]
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=live["chromium"], args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()

            def on_console(msg: Any) -> None:
                if msg.location.get("url", "").endswith("/favicon.ico"):
                    return  # the browser asks for a favicon the app does not have
                if msg.type == "error" or "Content Security Policy" in msg.text:
                    problems.append(f"{page.url}: {msg.text} ({msg.location.get('url')})")

            page.on("console", on_console)
            page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
            _login(page, base, "city_admin")
            for path, drawn in pages:
                response = page.goto(base + path)
                assert response is not None and response.status == 200, path
                for selector in drawn:
                    page.wait_for_selector(selector, timeout=20000)
            # the devices page's button (no inline handler any more) still switches a device off
            page.goto(base + "/devices")
            device = city.ids["dev_airA"]
            with page.expect_navigation():
                page.click(f"button[data-device='{device}']")
            assert (
                page.inner_text(f"#device-{device}-active") == "否"
            )  # 停用: shown as a word, not True/False
        finally:
            browser.close()
    assert problems == [], "\n".join(problems)


def _served(settings: Settings, app: Any) -> tuple[Any, threading.Thread, int]:
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **forwarding_options(settings))
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return server, thread, port


@pytest.mark.parametrize(("trusted", "seen"), [("", "127.0.0.1"), ("127.0.0.1", "203.0.113.9")])
def test_forwarded_for_only_from_trusted_proxies(lite_app: Any, trusted: str, seen: str) -> None:
    client, _ = lite_app
    container = client.app.state.container
    settings = Settings(database_url=container.settings.database_url, trusted_proxies=trusted)
    server, thread, port = _served(settings, client.app)
    try:
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/auth/login",
            json={"username": "city_admin", "password": PASSWORD + "-wrong"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        assert response.status_code == 401
    finally:
        server.should_exit = True
        thread.join(10)
    with container.uow() as uow:
        attempts = uow.accounts.login_attempts_of(username="city_admin")
    assert [a["ip"] for a in attempts] == [seen]


def test_policy_names_its_parts() -> None:
    assert CONTENT_SECURITY_POLICY.startswith("default-src 'self'")
    assert "object-src 'none'" in CONTENT_SECURITY_POLICY
