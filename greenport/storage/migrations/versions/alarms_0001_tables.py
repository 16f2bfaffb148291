"""alarms: alarms, alarm_events, alarm_dirty, alarm_lease

Revision ID: alarms_0001
Revises: 0001_base
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "alarms_0001"
down_revision = "0001_base"
branch_labels = ("alarms",)
depends_on = None

OPEN_STATE_SQL = "state IN ('pending', 'firing', 'recovering')"


def upgrade() -> None:
    op.create_table(
        "alarms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("parameter", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("first_breach_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_breach_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("peak", sa.Float(), nullable=True),
        sa.Column("peak_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("limit_value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("breaches", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cursor_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("breach_run", sa.Integer(), nullable=False),
        sa.Column("clear_run", sa.Integer(), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=80), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ack_note", sa.Text(), nullable=True),
        sa.Column("silenced_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("silenced_by", sa.String(length=80), nullable=True),
        sa.Column("silence_reason", sa.Text(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("explained_by", sa.String(length=80), nullable=True),
        sa.Column("explained_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarms")),
        sa.UniqueConstraint("rule_id", "site_id", "parameter", "first_breach_at", name="uq_alarms_episode"),
    )
    op.create_index(op.f("ix_alarms_site_id"), "alarms", ["site_id"])
    op.create_index(op.f("ix_alarms_state"), "alarms", ["state"])
    op.create_index(
        "uq_alarms_one_open",
        "alarms",
        ["rule_id", "site_id", "parameter"],
        unique=True,
        sqlite_where=sa.text(OPEN_STATE_SQL),
        postgresql_where=sa.text(OPEN_STATE_SQL),
    )
    op.create_table(
        "alarm_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alarm_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["alarm_id"], ["alarms.id"], name=op.f("fk_alarm_events_alarm_id_alarms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_events")),
    )
    op.create_index(op.f("ix_alarm_events_alarm_id"), "alarm_events", ["alarm_id"])
    op.create_table(
        "alarm_dirty",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_alarm_dirty")),
    )
    op.create_table(
        "alarm_lease",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=80), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_alarm_lease")),
    )


def downgrade() -> None:
    op.drop_table("alarm_lease")
    op.drop_table("alarm_dirty")
    op.drop_index(op.f("ix_alarm_events_alarm_id"), table_name="alarm_events")
    op.drop_table("alarm_events")
    op.drop_index("uq_alarms_one_open", table_name="alarms")
    op.drop_index(op.f("ix_alarms_state"), table_name="alarms")
    op.drop_index(op.f("ix_alarms_site_id"), table_name="alarms")
    op.drop_table("alarms")
