"""Every distinct packet of ../shared/data/hj212-packets/hj212_packets.csv is stored or quarantined
with the reason its row predicts (issue 4)."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

from greenport.accounts.passwords import hash_password
from greenport.enterprises.model import CrcVariantSetting
from greenport.protocol.redact import mask_password
from greenport.storage.db import Database
from greenport.storage.monitoring import FrameRow, QuarantineRow
from greenport.storage.registry import DeviceRow, SiteRow

from .conftest import populate
from .test_server import start

#: Copy of ../shared/data/hj212-packets/hj212_packets.csv (tests/data/SOURCES.md, section ingest).
PACKETS = Path(__file__).resolve().parents[1] / "data" / "ingest" / "hj212_packets.csv"

#: ST of a packet -> the fixture site its device belongs to.
SITE_FOR_ST = {
    "21": "SEC01",
    "22": "AIR01",
    "23": "AIR01",
    "39": "AIR01",
    "101": "AIR01",
    "31": "GAS01",
    "32": "WAT01",
}


def expected(row: dict[str, str]) -> str:
    """What the row's own columns predict: framing, length, crc, refusal or stored."""
    packet = row["packet"]
    if row["has_header"] != "True":
        return "framing"
    if row["len_matches"] != "True":
        return "length"
    if row["crc_matches"] != "True" and not row["crc_variant_detected"].startswith("modbus"):
        return "crc"
    if "MN=;" in packet:
        return "unknown_mn"
    if row["CN"] not in ("2011", "2051", "2061", "2031", "2041", "3020"):
        return "unsupported_command"
    return "stored"


def field(packet: str, name: str) -> str:
    for part in packet.replace(",", ";").split(";"):
        if part.startswith(name + "="):
            return part[len(name) + 1 :]
    return ""


def register(db: Database, rows: list[dict[str, str]]) -> None:
    """Each MN of the file becomes a device with the PW it sends; loggers seen with the vendor
    CRC (the ``crc_variant_detected`` column) are registered with ``modbus_swapped``."""
    populate(db)
    devices: dict[str, tuple[str, str, bool]] = {}
    for row in rows:
        mn, pw = field(row["packet"], "MN"), field(row["packet"], "PW")
        if not mn or row["has_header"] != "True" or row["len_matches"] != "True":
            continue
        swapped = row["crc_variant_detected"].startswith("modbus")
        previous = devices.get(mn)
        devices[mn] = (
            SITE_FOR_ST.get(row["ST"], "AIR01"),
            pw or "none",
            swapped or bool(previous and previous[2]),
        )
    with db.session() as session:
        sites = {s.code: s.id for s in session.query(SiteRow)}
        for mn, (site, pw, swapped) in devices.items():
            variant = CrcVariantSetting.MODBUS_SWAPPED if swapped else CrcVariantSetting.HJ212
            session.add(
                DeviceRow(
                    mn=mn,
                    password_hash=hash_password(pw, profile="device"),
                    site_id=sites[site],
                    crc_variant=variant,
                )
            )


async def test_every_distinct_packet_is_stored_or_quarantined_as_predicted(db: Database) -> None:
    with open(PACKETS, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    register(db, rows)
    from .conftest import Fixture

    server = await start(Fixture(db, "", {}))
    try:
        for row in rows:
            _, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(row["packet"].encode("utf-8") + b"\r\n")
            await writer.drain()
            writer.close()
            await asyncio.sleep(0.05)
        deadline = asyncio.get_running_loop().time() + 60
        while asyncio.get_running_loop().time() < deadline:  # argon2 log-ins are slow on a busy machine
            with db.session() as session:
                outcomes = session.query(FrameRow).count() + session.query(QuarantineRow).count()
            if outcomes >= len(rows):
                break
            await asyncio.sleep(0.2)
    finally:
        await server.close()
    with db.session() as session:
        stored = [bytes(r.raw) for r in session.query(FrameRow)]
        quarantined = [(r.reason, bytes(r.raw)) for r in session.query(QuarantineRow)]
    outcomes = []
    for row in rows:
        packet = mask_password(row["packet"].encode("utf-8"))  # the audit copy is masked
        got = [reason for reason, raw in quarantined if raw.strip() == packet]
        if any(raw.strip() == packet for raw in stored):
            got.append("stored")
        outcomes.append((row["packet"][:60], expected(row), got))
    wrong = [(p, want, got) for p, want, got in outcomes if got != [want]]
    assert not wrong, wrong
    assert len(rows) == 19
