"""evaluation: indicator_values and evaluation_runs

Revision ID: evaluation_0001
Revises: 0001_base
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "evaluation_0001"
down_revision = "0001_base"
branch_labels = ("evaluation",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicator_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.String(length=80), nullable=False),
        sa.Column("unit_kind", sa.String(length=40), nullable=False),
        sa.Column("unit_key", sa.String(length=80), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("indicator_id", sa.String(length=80), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_values")),
        sa.UniqueConstraint(
            "system_id", "period", "unit_kind", "unit_key", "indicator_id", name="uq_indicator_values_key"
        ),
    )
    op.create_table(
        "evaluation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.String(length=80), nullable=False),
        sa.Column("system_version", sa.String(length=40), nullable=False),
        sa.Column("version_hash", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("unit_kind", sa.String(length=40), nullable=False),
        sa.Column("inputs_json", sa.Text(), nullable=False),
        sa.Column("method_json", sa.Text(), nullable=False),
        sa.Column("results_json", sa.Text(), nullable=False),
        sa.Column("uncertainty_samples", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_runs")),
    )
    with op.batch_alter_table("evaluation_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_runs_system_id"), ["system_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_runs_period"), ["period"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evaluation_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_runs_period"))
        batch_op.drop_index(batch_op.f("ix_evaluation_runs_system_id"))
    op.drop_table("evaluation_runs")
    op.drop_table("indicator_values")
