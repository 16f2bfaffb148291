"""The hook that starts the ingest area's background services for the served demo."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from greenport.demo import serve


def test_no_ingest_module_means_nothing_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve, "INGEST_SERVICES_MODULE", "greenport.ingest.no_such_module_for_tests")
    assert serve.start_background_services(object()) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("style", ["callable", "stop_method", "one_argument"])
def test_hook_starts_and_returns_a_stopper(monkeypatch: pytest.MonkeyPatch, style: str) -> None:
    calls: list[Any] = []
    module = types.ModuleType("greenport.ingest.fake_demo_services")

    class Handle:
        def stop(self) -> None:
            calls.append("stopped")

    if style == "one_argument":

        def start(container: Any) -> Any:
            calls.append(("started", container))
            return Handle()

        module.start = start  # type: ignore[attr-defined]
    else:

        def start_background_services(container: Any, ctx: Any) -> Any:
            calls.append(("started", container, ctx))
            return (lambda: calls.append("stopped")) if style == "callable" else Handle()

        module.start_background_services = start_background_services  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(serve, "INGEST_SERVICES_MODULE", module.__name__)
    stop = serve.start_background_services("container", "ctx")  # type: ignore[arg-type]
    assert stop is not None and calls[0][0] == "started" and calls[0][1] == "container"
    stop()
    assert calls[-1] == "stopped"
