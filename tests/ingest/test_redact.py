"""Device passwords never stored or shown in clear (issue 12, item 11): the audit copy of a frame
(accepted or quarantined) has its ``PW=`` masked, every other byte kept; migration 0103 masks the
rows stored before."""

from __future__ import annotations

import sqlalchemy as sa

from greenport.protocol.redact import PASSWORD_MASK, mask_password
from greenport.storage.db import Database
from greenport.storage.migrate import upgrade
from greenport.storage.monitoring import FrameRow, QuarantineRow
from greenport.storage.uow import UnitOfWork

from .conftest import PASSWORD, Fixture
from .test_garbage import send_and_close
from .test_server import WHEN, air_frame, exchange, start


def test_mask_password_replaces_only_the_password_values() -> None:
    frame = air_frame("GPAIR01", WHEN)
    masked = mask_password(frame)
    assert PASSWORD.encode() not in masked.split(b"MN=")[0]
    assert masked == frame.replace(b"PW=" + PASSWORD.encode() + b";", b"PW=" + PASSWORD_MASK + b";")
    assert mask_password(b"CN=1072;PW=1;CP=&&NewPW=secret2&&") == b"CN=1072;PW=******;CP=&&NewPW=******&&"
    assert mask_password(b"pw=abc;Pw=d") == b"pw=******;Pw=******"
    assert mask_password(b"no password here") == b"no password here"


async def test_accepted_and_quarantined_frames_are_stored_with_the_password_masked(city: Fixture) -> None:
    server = await start(city)
    accepted = air_frame("GPAIR01", WHEN)
    refused = air_frame("GPAIR02", WHEN, pw="wrong-secret")
    try:
        assert len(await exchange(server.port, accepted, replies=1)) == 1
        assert await send_and_close(server.port, refused) == b""
    finally:
        await server.close()
    with city.db.session() as session:
        raws = [bytes(r.raw) for r in session.query(FrameRow)] + [
            bytes(r.raw) for r in session.query(QuarantineRow)
        ]
    assert sorted(raws) == sorted([mask_password(accepted), mask_password(refused)])
    assert not any(PASSWORD.encode() + b";" in raw or b"wrong-secret" in raw for raw in raws)


def test_migration_0103_masks_the_rows_stored_before(database_url: str) -> None:
    upgrade(database_url, "0102_monitoring_readings")
    frame = air_frame("GPAIR01", WHEN)
    db = Database.from_url(database_url)
    try:
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO monitoring_frames (id, received_at, device_id, mn, cn, qn, peer, raw) "
                    "VALUES (1, :at, NULL, 'GPAIR01', '2011', NULL, NULL, :raw)"
                ),
                {"at": WHEN, "raw": frame},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO monitoring_quarantine (received_at, reason, field, detail, peer, mn, device_id, raw) "
                    "VALUES (:at, 'syntax', NULL, :detail, NULL, 'GPAIR01', NULL, :raw)"
                ),
                {"at": WHEN, "raw": frame, "detail": "bad segment ...;PW=123456;MN=GPAIR01"},
            )
        upgrade(database_url)
        with UnitOfWork(db) as uow:
            (entry,) = uow.monitoring.quarantine()
            stored = uow.monitoring.frame(1)
    finally:
        db.dispose()
    assert stored is not None and stored.raw == mask_password(frame)
    assert entry.raw == mask_password(frame) and entry.detail == "bad segment ...;PW=******;MN=GPAIR01"
