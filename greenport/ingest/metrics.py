"""Ingest metrics in the Prometheus text exposition format (version 0.0.4), no client library.

Counters, gauges and histograms are plain Python objects updated from the event loop (and, for
the write latency, from the writer thread under the GIL); :func:`render` writes them out.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
from collections import deque
from dataclasses import dataclass, field

log = logging.getLogger("greenport.ingest.metrics")

#: Histogram buckets for latencies [s].
LATENCY_BUCKETS: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass
class Histogram:
    buckets: tuple[float, ...] = LATENCY_BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    total: float = 0.0
    n: int = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.n += 1


@dataclass
class Metrics:
    """Everything ``/metrics`` shows."""

    frames: dict[str, int] = field(default_factory=lambda: {"stored": 0, "quarantined": 0, "refused": 0})
    errors: dict[str, int] = field(default_factory=dict)
    observations: int = 0
    acks: int = 0
    connections: int = 0
    connections_total: int = 0
    commits: int = 0
    #: refused items counted but not stored: their address was over its quarantine budget
    quarantine_dropped: int = 0
    #: quarantine entries deleted after the retention (by this process)
    quarantine_purged: int = 0
    #: passes of the alarm evaluator run by this process, and alarms they opened
    alarm_passes: int = 0
    alarms_opened: int = 0
    write_latency: Histogram = field(default_factory=Histogram)
    ack_latency: Histogram = field(default_factory=Histogram)
    _window: deque[tuple[float, int]] = field(default_factory=deque)

    def error(self, reason: str) -> None:
        self.errors[reason] = self.errors.get(reason, 0) + 1

    def frames_per_second(self, *, span: float = 10.0) -> float:
        """Frames stored per second over the last ``span`` seconds."""
        now = time.monotonic()
        stored = self.frames["stored"]
        self._window.append((now, stored))
        while self._window and now - self._window[0][0] > span:
            self._window.popleft()
        first_t, first_n = self._window[0]
        return (stored - first_n) / (now - first_t) if now > first_t else 0.0

    def render(self) -> str:
        lines = [
            "# HELP greenport_ingest_frames_total HJ 212 frames received, by outcome.",
            "# TYPE greenport_ingest_frames_total counter",
        ]
        lines += [
            f'greenport_ingest_frames_total{{result="{k}"}} {v}' for k, v in sorted(self.frames.items())
        ]
        lines += [
            "# HELP greenport_ingest_errors_total Refused or quarantined input, by reason.",
            "# TYPE greenport_ingest_errors_total counter",
        ]
        lines += [
            f'greenport_ingest_errors_total{{reason="{k}"}} {v}' for k, v in sorted(self.errors.items())
        ]
        lines += [
            "# HELP greenport_ingest_frames_per_second Frames stored per second over the last 10 s.",
            "# TYPE greenport_ingest_frames_per_second gauge",
            f"greenport_ingest_frames_per_second {self.frames_per_second():.1f}",
            "# HELP greenport_ingest_observations_total Observation rows written (before de-duplication).",
            "# TYPE greenport_ingest_observations_total counter",
            f"greenport_ingest_observations_total {self.observations}",
            "# HELP greenport_ingest_acks_total 9014/9013 replies sent after the commit.",
            "# TYPE greenport_ingest_acks_total counter",
            f"greenport_ingest_acks_total {self.acks}",
            "# HELP greenport_ingest_connections Open device connections.",
            "# TYPE greenport_ingest_connections gauge",
            f"greenport_ingest_connections {self.connections}",
            "# HELP greenport_ingest_connections_total Connections accepted since start.",
            "# TYPE greenport_ingest_connections_total counter",
            f"greenport_ingest_connections_total {self.connections_total}",
            "# HELP greenport_ingest_commits_total Group commits.",
            "# TYPE greenport_ingest_commits_total counter",
            f"greenport_ingest_commits_total {self.commits}",
            "# HELP greenport_ingest_quarantine_dropped_total Refused items not stored: their source "
            "address was over its quarantine rate limit.",
            "# TYPE greenport_ingest_quarantine_dropped_total counter",
            f"greenport_ingest_quarantine_dropped_total {self.quarantine_dropped}",
            "# HELP greenport_ingest_quarantine_purged_total Quarantine entries deleted after the retention.",
            "# TYPE greenport_ingest_quarantine_purged_total counter",
            f"greenport_ingest_quarantine_purged_total {self.quarantine_purged}",
            "# HELP greenport_alarm_passes_total Passes of the alarm evaluator run by this process.",
            "# TYPE greenport_alarm_passes_total counter",
            f"greenport_alarm_passes_total {self.alarm_passes}",
            "# HELP greenport_alarms_opened_total Alarms opened by this process's evaluator.",
            "# TYPE greenport_alarms_opened_total counter",
            f"greenport_alarms_opened_total {self.alarms_opened}",
        ]
        for name, help_text, hist in (
            ("write_latency_seconds", "Duration of one group-commit transaction.", self.write_latency),
            ("ack_latency_seconds", "From a frame's arrival to its acknowledgement.", self.ack_latency),
        ):
            metric = f"greenport_ingest_{name}"
            lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} histogram"]
            cumulative = 0
            for bound, count in zip(hist.buckets, hist.counts, strict=False):
                cumulative += count
                lines.append(f'{metric}_bucket{{le="{bound}"}} {cumulative}')
            lines.append(f'{metric}_bucket{{le="+Inf"}} {hist.n}')
            lines.append(f"{metric}_sum {hist.total:.6f}")
            lines.append(f"{metric}_count {hist.n}")
        return "\n".join(lines) + "\n"


async def serve_metrics(metrics: Metrics, host: str, port: int) -> asyncio.Server:
    """A minimal HTTP/1.0 server: ``GET /metrics`` -> Prometheus text; anything else -> 404."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            line = request.split(b"\r\n", 1)[0].decode("latin-1").split()
            if len(line) >= 2 and line[0] == "GET" and line[1].split("?")[0] == "/metrics":
                body = metrics.render().encode()
                head = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            else:
                body = b"not found\n"
                head = b"HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n"
            writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)
