"""Background services of the served demo city: the HJ 212 server and the device simulator,
when the ingest area provides them (the web app itself is started by ``greenport demo``).

Hook for the ingest area: a module ``greenport.ingest.demo_services`` exposing
``start_background_services(container, ctx)`` (or ``start(container, ctx)``) that starts the
server and the simulator (e.g. in threads) and returns either a callable or an object with a
``stop()`` method to shut them down. ``ctx`` is the :class:`~greenport.demo.context.DemoContext`
with every device's MN and demo password. Without that module the web app is served alone.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Callable
from typing import Any

from greenport.bootstrap import Container
from greenport.demo.context import DemoContext

log = logging.getLogger(__name__)

#: Module of the ingest area that starts the demo's background services (optional).
INGEST_SERVICES_MODULE = "greenport.ingest.demo_services"


def _optional_module(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None
        raise


def start_background_services(
    container: Container, ctx: DemoContext | None = None
) -> Callable[[], None] | None:
    """Start the ingest server and simulator if ``greenport.ingest.demo_services`` exists.

    Returns a function that stops them, or None when there is nothing to start.
    """
    module = _optional_module(INGEST_SERVICES_MODULE)
    if module is None:
        log.info("no %s: serving the web app without live devices", INGEST_SERVICES_MODULE)
        return None
    starter = getattr(module, "start_background_services", None) or getattr(module, "start", None)
    if starter is None:
        log.warning("%s has neither start_background_services() nor start()", INGEST_SERVICES_MODULE)
        return None
    parameters = inspect.signature(starter).parameters
    handle = starter(container, ctx) if len(parameters) >= 2 else starter(container)
    if handle is None:
        return None
    if callable(handle):
        return handle  # type: ignore[no-any-return]
    stop = getattr(handle, "stop", None)
    return stop if callable(stop) else None
