"""monitoring: a record of the (site, hour) marks whose aggregation failed

Revision ID: 0104_monitoring_agg_failures
Revises: 0103_monitoring_mask_passwords
Create Date: 2026-12-01

Issue 12: one absurd stored value made every aggregation cycle fail, for every site. Each site
and hour is now aggregated in isolation; the ones that fail are recorded here, with the error,
for an analyst (``greenport ingest failures``), while the others carry on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0104_monitoring_agg_failures"
down_revision = "0103_monitoring_mask_passwords"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitoring_aggregation_failures",
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("period_start", "site_id"),
    )


def downgrade() -> None:
    op.drop_table("monitoring_aggregation_failures")
