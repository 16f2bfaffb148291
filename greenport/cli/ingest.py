"""``greenport ingest`` (HJ 212 server), ``ingest quarantine``, ``simulate``, ``devices add|list``,
``export observations``."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from greenport.alarms import service as alarms_service
from greenport.bootstrap import notification_config, notification_senders
from greenport.cli.context import console, container, export_app, fail, print_json, writable_path
from greenport.config import get_settings
from greenport.ingest.simulator import SimResult
from greenport.kernel.errors import DomainError, InvalidInput
from greenport.kernel.time import format_local, local_to_utc, utcnow
from greenport.protocol import lookup_factor
from greenport.tabular import write_csv_rows

ingest_app = typer.Typer(
    help="HJ 212 TCP server (run without a sub-command) and its quarantine.", invoke_without_command=True
)
devices_app = typer.Typer(help="HJ 212 data loggers (devices): add, list.", no_args_is_help=True)

_DB = typer.Option(None, "--database", help="Database URL (default: GREENPORT_DATABASE_URL).")
_JSON = typer.Option(
    False, "--json", help="Machine-readable output (times ISO 8601 with offset; else Beijing time)."
)


@ingest_app.callback()
def ingest(
    ctx: typer.Context,
    port: int = typer.Option(None, "--port", help="TCP port (default: GREENPORT_INGEST_PORT; 0 = any free)."),
    host: str = typer.Option(None, "--host", help="Address to listen on (default: GREENPORT_INGEST_HOST)."),
    database: str = _DB,
    metrics_port: int = typer.Option(
        None, "--metrics-port", help="Serve /metrics (Prometheus) on this port (default: no metrics)."
    ),
    max_connections: int = typer.Option(10000, help="Cap on open connections."),
    max_connections_per_device: int = typer.Option(2, help="Cap on connections per device (MN)."),
    max_connections_per_address: int = typer.Option(
        None,
        help="Cap on connections per source address (default: GREENPORT_INGEST_MAX_CONNECTIONS_PER_ADDRESS).",
    ),
    idle_timeout: float = typer.Option(600.0, help="Cut a connection silent for this long [s]."),
    frame_timeout: float = typer.Option(
        None,
        help="Cut a connection whose frame is not accepted this long after its first byte [s] "
        "(default: GREENPORT_INGEST_FRAME_TIMEOUT).",
    ),
    commit_interval: float = typer.Option(0.005, help="Group-commit gathering time [s]."),
    aggregate_interval: float = typer.Option(60.0, help="Recompute dirty aggregates every N s (0 = never)."),
    alarm_interval: float = typer.Option(
        None,
        help="Evaluate the alarm rules every N s (default: GREENPORT_ALARM_INTERVAL; 0 = never). "
        "Several processes may: one at a time evaluates (a lease in the database).",
    ),
    alarm_process: bool = typer.Option(
        True,
        "--alarm-process/--no-alarm-process",
        help="Evaluate the alarm rules in a process of their own (greenport alarms watch), so that "
        "they never take the ingest processes' CPU; --no-alarm-process evaluates in this process.",
    ),
    resend_gap: float = typer.Option(
        3600.0, help="Ask a device back after this silence for its missed hours [s]."
    ),
    auth_refresh: float = typer.Option(
        30.0,
        help="Check the logged-in devices against the registry every N s: a new password or a "
        "disabled device takes effect within that time (0 = never).",
    ),
    log_level: str = typer.Option(None, help="Logging level (default: GREENPORT_LOG_LEVEL)."),
    workers: int = typer.Option(
        1, "--workers", help="Processes accepting on the port (SO_REUSEPORT, Linux)."
    ),
    reuse_port: bool = typer.Option(False, "--reuse-port", hidden=True, help="Bind with SO_REUSEPORT."),
    loop: str = typer.Option(
        "auto", "--loop", help="Event loop: uvloop, asyncio, or auto (uvloop when installed)."
    ),
) -> None:
    """Run the HJ 212 server: acknowledge (9014) each upload only after it is committed."""
    if ctx.invoked_subcommand is not None:
        return
    from greenport.ingest.server import IngestConfig, IngestServer

    settings = get_settings()
    if frame_timeout is None:
        frame_timeout = settings.ingest_frame_timeout
    if max_connections_per_address is None:
        max_connections_per_address = settings.ingest_max_connections_per_address
    logging.basicConfig(
        level=(log_level or settings.log_level).upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    app = container(database)
    evaluate_every = settings.alarm_interval if alarm_interval is None else alarm_interval
    try:
        alarm_rules = alarms_service.rules(settings.alarm_rules)
        notifications = notification_config(settings)
    except DomainError as exc:
        fail(exc)
    config = IngestConfig(
        host=host or settings.ingest_host,
        port=settings.ingest_port if port is None else port,
        metrics_port=metrics_port,
        max_connections=max_connections,
        max_connections_per_device=max_connections_per_device,
        max_connections_per_address=max_connections_per_address,
        quarantine_rate=settings.ingest_quarantine_rate,
        quarantine_burst=settings.ingest_quarantine_burst,
        quarantine_raw_limit=settings.ingest_quarantine_raw_limit,
        quarantine_retention_days=settings.ingest_quarantine_retention_days,
        idle_timeout=idle_timeout,
        frame_timeout=frame_timeout,
        commit_interval=commit_interval,
        aggregate_interval=aggregate_interval,
        alarm_interval=0.0 if alarm_process else evaluate_every,
        case_timer_seconds=settings.case_timer_seconds,
        alarm_rules=alarm_rules,
        notifications=notifications,
        senders=notification_senders(settings, notifications, os.environ),
        resend_gap=resend_gap,
        auth_refresh=auth_refresh,
        reuse_port=reuse_port or workers > 1,
    )
    children: list[subprocess.Popen[bytes]] = []

    async def main() -> None:
        server = IngestServer(app.db, config)
        await server.start()
        for _ in range(workers - 1):  # the others: same port, no metrics, no aggregation
            argv = [
                sys.executable,
                "-m",
                "greenport",
                "ingest",
                "--port",
                str(server.port),
                "--host",
                config.host,
                "--reuse-port",
                "--aggregate-interval",
                "0",
                "--alarm-interval",
                "0",
                "--no-alarm-process",
                "--max-connections",
                str(max_connections),
                "--max-connections-per-device",
                str(max_connections_per_device),
                "--max-connections-per-address",
                str(max_connections_per_address),
                "--idle-timeout",
                str(idle_timeout),
                "--frame-timeout",
                str(frame_timeout),
                "--commit-interval",
                str(commit_interval),
                "--resend-gap",
                str(resend_gap),
                "--auth-refresh",
                str(auth_refresh),
            ]
            if database:
                argv += ["--database", database]
            if log_level:
                argv += ["--log-level", log_level]
            argv += ["--loop", loop]
            children.append(subprocess.Popen(argv, stdout=subprocess.PIPE))
        if alarm_process and evaluate_every > 0:  # the rules' own process (no port, no reply)
            watch = [sys.executable, "-m", "greenport", "alarms", "watch", "--interval", str(evaluate_every)]
            if database:
                watch += ["--database", database]
            evaluator = subprocess.Popen(watch, stdout=subprocess.DEVNULL)
        else:
            evaluator = None
        for child in children:  # "listening" means every process accepts: else the first takes all
            assert child.stdout is not None
            line = await asyncio.get_running_loop().run_in_executor(None, child.stdout.readline)
            if not line:
                fail(f"an ingest worker process exited before listening (exit code {child.wait()})")
        sys.stdout.write(
            json.dumps(
                {
                    "event": "listening",
                    "host": config.host,
                    "port": server.port,
                    "metrics_port": server.metrics_port,
                }
            )
            + "\n"
        )
        sys.stdout.flush()
        serving = asyncio.ensure_future(server.serve_forever())
        for sig in (signal.SIGTERM, signal.SIGINT):  # stop accepting, commit what is queued, exit 0
            asyncio.get_running_loop().add_signal_handler(sig, serving.cancel)
        try:
            await serving
        except asyncio.CancelledError:
            pass
        finally:
            await server.close()
            stopping = [*children, *([evaluator] if evaluator is not None else [])]
            for child in stopping:
                child.terminate()
            for child in stopping:
                child.wait(30)

    with contextlib.suppress(KeyboardInterrupt):
        _event_loop_runner(loop)(main())


def _event_loop_runner(name: str) -> Any:
    """``asyncio.run`` or ``uvloop.run`` (about twice the socket throughput on the same core)."""
    if name not in ("auto", "uvloop", "asyncio"):
        fail(f"--loop must be uvloop, asyncio or auto, not {name!r}")
    if name != "asyncio":
        try:
            import uvloop
        except ImportError:
            if name == "uvloop":
                fail("--loop uvloop: uvloop is not installed")
        else:
            return uvloop.run
    return asyncio.run


@ingest_app.command("quarantine")
def quarantine_command(
    database: str = _DB,
    limit: int = typer.Option(100, help="Newest N entries."),
    reason: str = typer.Option(None, help="Only this reason (crc, length, framing, unknown_mn, ...)."),
    purge: bool = typer.Option(
        False, "--purge", help="Delete the entries older than the retention instead of listing."
    ),
    days: float = typer.Option(
        None,
        "--days",
        help="Retention for --purge [days] (default: GREENPORT_INGEST_QUARANTINE_RETENTION_DAYS).",
    ),
    as_json: bool = _JSON,
) -> None:
    """Frames refused or quarantined, newest first, with reason, field and raw bytes (device
    passwords masked); with --purge, delete the entries older than the retention."""
    from greenport.monitoring import service

    if purge:
        retention = get_settings().ingest_quarantine_retention_days if days is None else days
        if retention <= 0:
            fail(
                "--purge needs a retention above 0 days (--days or GREENPORT_INGEST_QUARANTINE_RETENTION_DAYS)"
            )
        before = utcnow() - timedelta(days=retention)
        with container(database).uow() as uow:
            purged = service.purge_quarantine(uow, before=before)
        if as_json:
            print_json({"purged": purged, "before": before.isoformat()})
        else:
            typer.echo(
                f"purged {purged} quarantine entries received before {format_local(before)} (Beijing time)"
            )
        return
    with container(database).uow() as uow:
        entries = service.quarantine(uow, limit=limit, reason=reason)
    rows = [
        {
            "id": e.id,
            "received_at": e.received_at.isoformat(),
            "reason": e.reason,
            "field": e.field,
            "detail": e.detail,
            "peer": e.peer,
            "mn": e.mn,
            "device_id": e.device_id,
            "raw": e.raw.decode("utf-8", "backslashreplace"),
        }
        for e in entries
    ]
    if as_json:
        print_json(rows)
        return
    for e in entries:
        typer.echo(f"{format_local(e.received_at)}  {e.reason:<22} {e.mn or '-':<24} {e.detail}")


@ingest_app.command("failures")
def failures_command(
    database: str = _DB,
    limit: int = typer.Option(100, help="Newest N failures."),
    as_json: bool = _JSON,
) -> None:
    """(Site, hour) marks whose aggregation failed (e.g. a stored value a standard refuses), newest
    first; the other sites and hours were aggregated. An hour computed again clears its entry."""
    from greenport.monitoring import service

    with container(database).uow() as uow:
        failures = service.aggregation_failures(uow, limit=limit)
    rows = [
        {
            "site_id": f.site_id,
            "period_start": f.period_start.isoformat(),
            "failed_at": f.failed_at.isoformat(),
            "error": f.error,
        }
        for f in failures
    ]
    if as_json:
        print_json(rows)
        return
    for f in failures:
        typer.echo(f"{format_local(f.period_start)}  site {f.site_id:<6} {f.error}")


def _simulated_devices(database: str | None, password: str | None, limit: int | None) -> list[Any]:
    from greenport.enterprises import service as enterprises
    from greenport.ingest.simulator import SimDevice

    app = container(database)
    with app.uow() as uow:
        devices = enterprises.list_devices(uow)
        kinds = {s.id: s.kind.value for s in enterprises.list_sites(uow)}
    if not devices:
        raise InvalidInput(
            "no devices registered: run `greenport demo` or `greenport devices add` first", field="devices"
        )
    if password is None:
        if not app.settings.demo_logins_allowed:
            raise InvalidInput(
                "give --password: demo passwords are refused in production mode", field="password"
            )
        from greenport.demo.credentials import demo_device_password

    out = []
    for device in devices[: limit or None]:
        pw = password if password is not None else demo_device_password(device.mn)
        variant = getattr(device.crc_variant, "value", str(device.crc_variant))
        out.append(SimDevice(device.mn, pw, kinds.get(device.site_id, "air_station"), variant))
    return out


def simulate(
    devices: int = typer.Option(
        10, "--devices", help="How many of the registered devices to simulate (the first N registered)."
    ),
    rate: float = typer.Option(
        1 / 30, "--rate", help="Frames per second per device [1/s].", show_default="1/30: one every 30 s"
    ),
    duration: float = typer.Option(60.0, "--duration", help="How long to send [s] (wall-clock time)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address of the HJ 212 server."),
    port: int = typer.Option(None, "--port", help="Server port (default: GREENPORT_INGEST_PORT)."),
    step: float = typer.Option(30.0, "--step", help="DataTime step per frame [s]."),
    inject: str = typer.Option(
        "",
        "--inject",
        help="Faults to inject, comma-separated: exceedance (one outlet x6 in the middle third), offline "
        "(one device silent in the middle third, then re-sends), flatline (one air station stuck), "
        "malformed (1 % broken CRC), crc-variant (devices registered with another CRC use it).",
    ),
    password: str = typer.Option(
        None, "--password", help="One password for all devices (default: demo passwords)."
    ),
    database: str = _DB,
    drain: float = typer.Option(30.0, help="How long to wait for the last acknowledgements [s]."),
    as_json: bool = _JSON,
) -> None:
    """Simulate the registered data loggers against a running `greenport ingest`; with --inject,
    report what was injected (device, parameters, DataTime window) and what it did."""
    from greenport.ingest.simulator import INJECTIONS, SimConfig
    from greenport.ingest.simulator import simulate as run_simulation

    wanted = frozenset(x.strip() for x in inject.split(",") if x.strip())
    unknown = wanted - set(INJECTIONS)
    try:
        if unknown:
            raise InvalidInput(
                f"unknown injection(s) {sorted(unknown)}; known: {', '.join(INJECTIONS)}", field="inject"
            )
        sims = _simulated_devices(database, password, devices)
    except DomainError as exc:
        fail(exc, as_json=as_json)
    config = SimConfig(
        host=host,
        port=get_settings().ingest_port if port is None else port,
        rate=rate,
        duration=duration,
        step=step,
        inject=wanted,
        drain=drain,
    )
    result = asyncio.run(run_simulation(sims, config))
    if as_json:
        print_json(result.to_dict())
    else:
        print_simulation(result)


def print_simulation(result: SimResult) -> None:
    """The simulator's totals, then each injection: device, parameters, DataTime window (Beijing
    time) and its effect (frames concerned, acknowledged)."""
    summary = result.to_dict()
    console.print(
        f"sent {summary['sent']} frames, acknowledged {summary['acknowledged']}, unacknowledged "
        f"{summary['unacknowledged']}, re-sent {summary['resent']}, malformed {summary['malformed_sent']} "
        f"({summary['devices']} devices, {summary['seconds']} s, p99 ack {summary['ack_latency_p99_ms']} ms)",
        highlight=False,
    )
    for injection in result.injections:
        names = ", ".join(_factor_name(code) for code in injection.parameters)
        window = (
            f"DataTime {format_local(injection.first)} to {format_local(injection.last)} (Beijing time)"
            if injection.first and injection.last
            else "no frame fell in its window (run longer)"
        )
        console.print(
            f"injected {injection.name}: device {injection.mn}"
            + (f", {names}" if names else "")
            + f"; {injection.what}; {window}; "
            f"{injection.frames} frames sent, {injection.acknowledged} acknowledged",
            highlight=False,
        )


def _factor_name(code: str) -> str:
    factor = lookup_factor(code)
    return f"{factor.name_zh} {code}" if factor is not None else code


@devices_app.command("add")
def devices_add(
    mn: str = typer.Option(..., "--mn", help="Device MN (HJ 212-2017 §6.3.2)."),
    password: str = typer.Option(..., "--password", help="Its PW (stored argon2id-hashed)."),
    site: str = typer.Option(..., "--site", help="Site id or site code."),
    crc_variant: str = typer.Option("hj212", "--crc-variant", help="hj212 or modbus_swapped."),
    database: str = _DB,
    as_json: bool = _JSON,
) -> None:
    """Register a data logger at a site."""
    from greenport.enterprises import service as enterprises

    try:
        with container(database).uow() as uow:
            kwargs: dict[str, Any] = {"site_id": int(site)} if site.isdigit() else {"site_code": site}
            device = enterprises.register_device(
                uow, mn=mn, password=password, crc_variant=crc_variant.replace("-", "_"), **kwargs
            )
    except DomainError as exc:
        fail(exc, as_json=as_json)
    payload = _device_dict(device)
    if as_json:
        print_json(payload)
    else:
        typer.echo(f"device {device.mn} registered at site {device.site_id}")


def _device_dict(device: Any) -> dict[str, Any]:
    return {
        "id": device.id,
        "mn": device.mn,
        "site_id": device.site_id,
        "crc_variant": getattr(device.crc_variant, "value", str(device.crc_variant)),
        "active": device.active,
    }


@devices_app.command("list")
def devices_list(
    site: int = typer.Option(None, "--site", help="Only devices of this site id."),
    database: str = _DB,
    as_json: bool = _JSON,
) -> None:
    """Registered devices (never their passwords)."""
    from greenport.enterprises import service as enterprises

    with container(database).uow() as uow:
        devices = enterprises.list_devices(uow, site_id=site)
    rows = [_device_dict(d) for d in devices]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        typer.echo(f"{row['mn']:<26} site {row['site_id']:<6} {row['crc_variant']}")


def _when(text: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not an ISO date or datetime", field=name) from None
    return local_to_utc(moment)


def export_observations(
    site: str = typer.Option(None, "--site", help="Site id or code."),
    mn: str = typer.Option(None, "--mn", help="Device MN (instead of --site)."),
    start: str = typer.Option(..., "--from", help="Start (ISO; no zone = Asia/Shanghai)."),
    end: str = typer.Option(..., "--to", help="End, exclusive (ISO; no zone = Asia/Shanghai)."),
    period: str = typer.Option("raw", "--period", help="raw | hour | day"),
    fmt: str = typer.Option("csv", "--format", help="csv | json"),
    output: Path = typer.Option(None, "--output", "-o", help="File to write (default: stdout)."),
    database: str = _DB,
) -> None:
    """Observations (raw) or aggregates (hour/day) of a site or device, as CSV or JSON."""
    from greenport.enterprises import service as enterprises
    from greenport.monitoring import service

    as_json = fmt == "json"
    if output is not None:
        writable_path(output, as_json=as_json)
    try:
        if fmt not in ("csv", "json"):
            raise InvalidInput(f"format must be csv or json, got {fmt!r}", field="format")
        with container(database).uow() as uow:
            site_id = None
            if site is not None:
                site_id = int(site) if site.isdigit() else enterprises.get_site(uow, code=site).id
            rows = service.export_rows(
                uow, start=_when(start, "from"), end=_when(end, "to"), period=period, site_id=site_id, mn=mn
            )
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    else:
        buffer = io.StringIO()
        headers = list(rows[0]) if rows else ["data_time", "site", "parameter", "value"]
        write_csv_rows(buffer, headers, ([row.get(h) for h in headers] for row in rows), lineterminator="\n")
        text = buffer.getvalue()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def register(app: typer.Typer) -> None:
    app.add_typer(ingest_app, name="ingest")
    app.add_typer(devices_app, name="devices")
    app.command("simulate")(simulate)
    export_app.command("observations")(export_observations)
