"""Background services of the served demo city: the HJ 212 server and the simulated devices.

``greenport demo`` (:func:`greenport.cli.demo.serve`) calls :func:`start_background_services`:
one daemon thread runs an asyncio loop with :class:`~greenport.ingest.server.IngestServer` on the
configured ingest port (``GREENPORT_INGEST_PORT``, ``/metrics`` on the port after it) and the
simulator, whose devices send real-time data every 30 s in real time, so the demo city is alive;
the server evaluates the alarm rules every ``GREENPORT_ALARM_INTERVAL`` seconds.
The returned function stops both. The caller composes the devices (the demo city's, with their
demo passwords): ingest knows nothing of the demo.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from greenport.alarms.model import Rule
from greenport.bootstrap import Container
from greenport.ingest.server import IngestConfig, IngestServer
from greenport.ingest.simulator import SimConfig, SimDevice, Simulator

log = logging.getLogger(__name__)

#: How long the demo's simulated devices keep sending [s] (practically: until stopped).
FOREVER = 10 * 365 * 24 * 3600.0


#: When the demo's injections act [s after the devices start]: a minute of normal data first, then
#: 20 minutes, long enough for the shipped real-time flat-line rule (30 unchanged 30-s values).
INJECT_WINDOW = (60.0, 60.0 + 20 * 60.0)


def start_background_services(
    container: Container,
    *,
    devices: Sequence[SimDevice],
    alarm_rules: tuple[Rule, ...] | None = None,
    inject: frozenset[str] = frozenset(),
) -> Callable[[], None] | None:
    """Start the ingest server (with the alarm evaluator every ``GREENPORT_ALARM_INTERVAL`` s, on
    ``alarm_rules``; None: ``GREENPORT_ALARM_RULES`` or the shipped ones) and, sending as
    ``devices``, the simulator in a daemon thread; return a stop function.

    ``inject``: faults the simulated devices play (:data:`greenport.ingest.simulator.INJECTIONS`)
    during :data:`INJECT_WINDOW`, so their alarms appear in front of the user."""
    settings = container.settings
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def main() -> None:
        config = IngestConfig(
            host=settings.ingest_host,
            port=settings.ingest_port,
            metrics_port=settings.ingest_port + 1,
            aggregate_interval=60.0,
            alarm_interval=settings.alarm_interval,
            alarm_rules=alarm_rules,
        )
        server = IngestServer(container.db, config)
        try:
            await server.start()
        except OSError as exc:
            log.warning("demo ingest server not started on port %d: %s", settings.ingest_port, exc)
            ready.set()
            return
        state["server"] = server
        ready.set()
        log.info("demo ingest on %s:%d, %d simulated devices", config.host, server.port, len(devices))
        if devices:
            sim = Simulator(
                devices,
                SimConfig(
                    host=config.host,
                    port=server.port,
                    rate=1 / 30,
                    step=30,
                    duration=FOREVER,
                    start=datetime.now(UTC),
                    tick=1.0,
                    inject=inject,
                    inject_window=INJECT_WINDOW,
                ),
            )
            state["simulator"] = loop.create_task(sim.run())
        try:
            await server.serve_forever()
        except asyncio.CancelledError:
            pass
        finally:
            await server.close()

    def run() -> None:
        asyncio.set_event_loop(loop)
        task = loop.create_task(main())
        state["main"] = task
        try:
            loop.run_until_complete(task)
        except asyncio.CancelledError:
            pass
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="greenport-demo-ingest", daemon=True)
    thread.start()
    ready.wait(30)

    def stop() -> None:
        def cancel() -> None:
            for key in ("simulator", "main"):
                task = state.get(key)
                if task is not None:
                    task.cancel()

        if loop.is_running():
            loop.call_soon_threadsafe(cancel)
        thread.join(15)

    return stop
