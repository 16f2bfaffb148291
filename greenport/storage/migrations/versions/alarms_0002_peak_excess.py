"""alarms: alarms.peak_excess (how far the peak is past its rule, in the kind's own measure)

A continued alarm keeps the more extreme of its stored peak and the new points' peak; for kinds
whose measure is not value/limit (a jump: the step as a share of the allowed step) only the fold's
own measure compares them as the fold does. Nullable: alarms stored before keep comparing by
value/limit.

Revision ID: alarms_0002
Revises: alarms_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "alarms_0002"
down_revision = "alarms_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alarms") as batch_op:
        batch_op.add_column(sa.Column("peak_excess", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alarms") as batch_op:
        batch_op.drop_column("peak_excess")
