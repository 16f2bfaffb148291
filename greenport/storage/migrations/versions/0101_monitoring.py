"""monitoring: frames, quarantine, observations (partitioned on PostgreSQL), aggregates, indices

Revision ID: 0101_monitoring
Revises: 0001_base
Create Date: 2026-11-22
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0101_monitoring"
down_revision = "0001_base"
branch_labels = ("monitoring",)
depends_on = "0002_registry"

PARTITION_SCHEMA = "observation_parts"
#: Monthly partitions created up front (more are created on demand by the repository).
FIRST_YEAR, LAST_YEAR = 2022, 2027


def _months():
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        for month in range(1, 13):
            start = date(year, month, 1)
            end = date(year + (month == 12), month % 12 + 1, 1)
            yield start, end


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"

    op.create_table(
        "monitoring_frames",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("mn", sa.String(length=64), nullable=False),
        sa.Column("cn", sa.String(length=8), nullable=False),
        sa.Column("qn", sa.String(length=24), nullable=True),
        sa.Column("peer", sa.String(length=64), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_frames")),
    )
    op.create_table(
        "monitoring_quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("peer", sa.String(length=64), nullable=True),
        sa.Column("mn", sa.String(length=64), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_quarantine")),
    )
    with op.batch_alter_table("monitoring_quarantine", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_monitoring_quarantine_received_at"), ["received_at"], unique=False)

    observation_kwargs: dict = {}
    if postgres:
        observation_kwargs["postgresql_partition_by"] = "RANGE (data_time)"
    else:
        observation_kwargs["sqlite_with_rowid"] = False
    op.create_table(
        "observations",
        sa.Column("data_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("parameter", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("flag", sa.String(length=2), nullable=False),
        sa.Column("zs_value", sa.Float(), nullable=True),
        sa.Column("min_value", sa.Float(), nullable=True),
        sa.Column("max_value", sa.Float(), nullable=True),
        sa.Column("cou", sa.Float(), nullable=True),
        sa.Column("frame_id", sa.BigInteger(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("data_time", "device_id", "period", "parameter", name=op.f("pk_observations")),
        **observation_kwargs,
    )
    if postgres:
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {PARTITION_SCHEMA}")
        for start, end in _months():
            op.execute(
                f"CREATE TABLE IF NOT EXISTS {PARTITION_SCHEMA}.observations_y{start.year}m{start.month:02d} "
                f"PARTITION OF observations FOR VALUES FROM ('{start.isoformat()} 00:00:00+00') "
                f"TO ('{end.isoformat()} 00:00:00+00')"
            )

    op.create_table(
        "monitoring_dirty",
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("period_start", "site_id", name=op.f("pk_monitoring_dirty")),
    )
    op.create_table(
        "monitoring_aggregates",
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("parameter", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("n_values", sa.Integer(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "period_start", "site_id", "period", "parameter", name=op.f("pk_monitoring_aggregates")
        ),
    )
    op.create_table(
        "monitoring_indices",
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("label", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("period_start", "site_id", "period", "kind", name=op.f("pk_monitoring_indices")),
    )


def downgrade() -> None:
    op.drop_table("monitoring_indices")
    op.drop_table("monitoring_aggregates")
    op.drop_table("monitoring_dirty")
    op.drop_table("observations")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SCHEMA IF EXISTS {PARTITION_SCHEMA} CASCADE")
    with op.batch_alter_table("monitoring_quarantine", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monitoring_quarantine_received_at"))
    op.drop_table("monitoring_quarantine")
    op.drop_table("monitoring_frames")
