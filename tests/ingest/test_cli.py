"""CLI: devices add|list (never passwords), ingest quarantine, export observations, /metrics."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from greenport.cli.main import app
from greenport.kernel.time import PeriodKind
from greenport.monitoring.model import Observation, QuarantineEntry
from greenport.storage.db import Database
from greenport.storage.migrate import upgrade
from greenport.storage.uow import UnitOfWork

from .conftest import Fixture, populate
from .test_server import WHEN, air_frame, exchange, start

runner = CliRunner()


def sqlite_city(tmp_path: Path) -> tuple[str, Database, dict[str, tuple[int, int, str]]]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    db = Database.from_url(url)
    return url, db, populate(db)


def test_devices_add_and_list_never_show_passwords(tmp_path: Path) -> None:
    url, db, _ = sqlite_city(tmp_path)
    added = runner.invoke(
        app,
        [
            "devices",
            "add",
            "--mn",
            "NEW0001",
            "--password",
            "s3cret9",
            "--site",
            "GAS01",
            "--crc-variant",
            "modbus_swapped",
            "--database",
            url,
            "--json",
        ],
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["devices", "list", "--database", url, "--json"])
    rows = json.loads(listed.output)
    assert {"mn": "NEW0001", "crc_variant": "modbus_swapped"}.items() <= next(
        r for r in rows if r["mn"] == "NEW0001"
    ).items()
    assert "s3cret9" not in listed.output and "argon2" not in listed.output
    duplicate = runner.invoke(
        app,
        [
            "devices",
            "add",
            "--mn",
            "NEW0001",
            "--password",
            "x12345",
            "--site",
            "GAS01",
            "--database",
            url,
            "--json",
        ],
    )
    assert duplicate.exit_code == 2 and json.loads(duplicate.output)["field"] == "mn"
    db.dispose()


def test_quarantine_and_export(tmp_path: Path) -> None:
    url, db, devices = sqlite_city(tmp_path)
    device, site, _ = devices["GPAIR01"]
    received = datetime.now(UTC)
    with UnitOfWork(db) as uow:
        uow.monitoring.store(
            observations=[
                Observation(
                    WHEN + timedelta(minutes=m),
                    device,
                    site,
                    PeriodKind.RAW,
                    "pm2_5",
                    30.0 + m,
                    received_at=received,
                )
                for m in range(3)
            ]
            + [
                Observation(
                    WHEN,
                    device,
                    site,
                    PeriodKind.RAW,
                    "hj212:a99948",  # a vendor code, kept as sent
                    7.0,
                    min_value=6.5,
                    max_value=7.5,
                    cou=120.0,
                    received_at=received,
                )
            ],
            quarantine=[
                QuarantineEntry(
                    received, "crc", b"##0010bad\r\n", peer="127.0.0.1:1", mn="GPAIR01", field="CRC"
                )
            ],
        )
    out = runner.invoke(app, ["ingest", "quarantine", "--database", url, "--json"])
    assert out.exit_code == 0, out.output
    (entry,) = json.loads(out.output)
    assert entry["reason"] == "crc" and entry["raw"].startswith("##0010bad") and entry["mn"] == "GPAIR01"
    local_from = "2022-06-01T10:00:00"  # WHEN in Asia/Shanghai
    exported = runner.invoke(
        app,
        [
            "export",
            "observations",
            "--mn",
            "GPAIR01",
            "--from",
            local_from,
            "--to",
            "2022-06-01T11:00:00",
            "--period",
            "raw",
            "--format",
            "csv",
            "--database",
            url,
        ],
    )
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.output)))
    pm = [r for r in rows if r["parameter"] == "pm2_5"]
    assert [float(r["value"]) for r in pm] == [30.0, 31.0, 32.0] and pm[0]["site"] == "AIR01"
    assert {r["unit"] for r in pm} == {"µg/m³"}  # the canonical unit of the stored values
    vendor = next(r for r in rows if r["parameter"] == "hj212:a99948")
    assert vendor["unit"] == "" and (vendor["min_value"], vendor["max_value"], vendor["cou"]) == (
        "6.5",
        "7.5",
        "120.0",
    )
    as_json = runner.invoke(
        app,
        [
            "export",
            "observations",
            "--site",
            "AIR01",
            "--from",
            local_from,
            "--to",
            "2022-06-01T11:00:00",
            "--period",
            "hour",
            "--format",
            "json",
            "--database",
            url,
        ],
    )
    assert as_json.exit_code == 0 and json.loads(as_json.output) == []  # not aggregated yet
    bad = runner.invoke(
        app,
        [
            "export",
            "observations",
            "--site",
            "AIR01",
            "--from",
            "yesterday",
            "--to",
            "x",
            "--format",
            "json",
            "--database",
            url,
        ],
    )
    assert bad.exit_code == 2 and json.loads(bad.output)["field"] == "from"
    db.dispose()


async def test_metrics_endpoint_speaks_prometheus_text(city: Fixture) -> None:
    server = await start(city, metrics_port=0)
    try:
        await exchange(server.port, air_frame("GPAIR01", WHEN) + b"garbage\r\n", replies=1)
        await asyncio.sleep(0.1)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.metrics_port)
        writer.write(b"GET /metrics HTTP/1.0\r\n\r\n")
        response = (await asyncio.wait_for(reader.read(), 5)).decode()
        writer.close()
    finally:
        await server.close()
    head, _, body = response.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.0 200") and "text/plain; version=0.0.4" in head
    assert 'greenport_ingest_frames_total{result="stored"} 1' in body
    assert 'greenport_ingest_errors_total{reason="framing"} 1' in body
    assert "greenport_ingest_write_latency_seconds_count" in body
    assert "# TYPE greenport_ingest_connections gauge" in body
