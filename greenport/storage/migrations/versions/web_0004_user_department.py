"""web: users.department (the municipal department a department user belongs to; optional)

Revision ID: web_0004_user_department
Revises: web_0003_user_email
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "web_0004_user_department"
down_revision = "web_0003_user_email"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("department", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("department")
