"""workdays: workday_calendars (years a deployment added with `greenport calendar add`)

Revision ID: workdays_0001
Revises: 0001_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "workdays_0001"
down_revision = "0001_base"
branch_labels = ("workdays",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workday_calendars",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("days", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_workday_calendars")),
    )


def downgrade() -> None:
    op.drop_table("workday_calendars")
