"""web: users.email (where e-mail notifications go; optional)

Revision ID: web_0003_user_email
Revises: web_0002_tokens
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "web_0003_user_email"
down_revision = "web_0002_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("email")
