"""monitoring: device passwords masked in the raw frames kept for audit

Revision ID: 0103_monitoring_mask_passwords
Revises: 0102_monitoring_readings
Create Date: 2026-12-01

Issue 12: ``monitoring_frames.raw`` and ``monitoring_quarantine.raw`` held each logger's ``PW=``
in clear, and ``/api/quarantine`` showed it to analysts. Ingest now stores the frame with every
``PW=``/``NewPW=`` value replaced by ``******`` (``greenport.protocol.redact``); this revision
masks the rows stored before, and the quarantine's ``detail`` text too. Every other byte is
kept, so the stored copy's CRC no longer checks: an accepted frame's CRC was valid as received,
a quarantined one's reason says why it was refused. The masking is written out here, not
imported, so that this revision keeps doing what it did when the application's code moves on.
Downgrade cannot bring the passwords back and does nothing.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0103_monitoring_mask_passwords"
down_revision = "0102_monitoring_readings"
branch_labels = None
depends_on = None

PAGE = 5_000
MASK = b"******"
_PASSWORD_FIELD = re.compile(rb"(?i)(pw=)[^;,&\r\n]*")


def _mask(raw: bytes) -> bytes:
    return _PASSWORD_FIELD.sub(rb"\g<1>" + MASK, raw)


def _mask_table(table: str, key: str, with_detail: bool) -> None:
    bind = op.get_bind()
    columns = [sa.column(key, sa.BigInteger()), sa.column("raw", sa.LargeBinary())]
    if with_detail:
        columns.append(sa.column("detail", sa.Text()))
    rows = sa.table(table, *columns)
    last = None
    while True:
        query = sa.select(*rows.c).order_by(rows.c[key]).limit(PAGE)
        if last is not None:
            query = query.where(rows.c[key] > last)
        page = bind.execute(query).all()
        if not page:
            return
        for row in page:
            raw = bytes(row.raw) if row.raw is not None else None
            changes: dict[str, object] = {}
            if raw is not None and _mask(raw) != raw:
                changes["raw"] = _mask(raw)
            if with_detail and row.detail and _PASSWORD_FIELD.search(row.detail.encode("utf-8", "replace")):
                changes["detail"] = _mask(row.detail.encode("utf-8", "surrogateescape")).decode(
                    "utf-8", "surrogateescape"
                )
            if changes:
                bind.execute(sa.update(rows).where(rows.c[key] == row[0]).values(**changes))
        last = page[-1][0]


def upgrade() -> None:
    _mask_table("monitoring_frames", "id", with_detail=False)
    _mask_table("monitoring_quarantine", "id", with_detail=True)


def downgrade() -> None:
    """The passwords are gone: nothing to restore."""
