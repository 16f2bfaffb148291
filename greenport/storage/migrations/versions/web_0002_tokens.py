"""web: every API token expires; log-in counters reserved atomically

Revision ID: web_0002_tokens
Revises: web_0001

``api_tokens.expires_at`` becomes NOT NULL: a token of ``web_0001`` that never expired now
expires 90 days (the default ``GREENPORT_TOKEN_MAX_DAYS``) after its creation, so a token
leaked before this migration does not stay valid for ever. ``login_counters`` holds the
rate limit's counters (``greenport.storage.web.LoginCounterRow``).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "web_0002_tokens"
down_revision = "web_0001"
branch_labels = None
depends_on = None

#: Lifetime given to the tokens of web_0001 that had none [days] (the default token maximum).
LEGACY_TOKEN_DAYS = 90


def upgrade() -> None:
    tokens = sa.table(
        "api_tokens",
        sa.column("id", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("expires_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(tokens.c.id, tokens.c.created_at).where(tokens.c.expires_at.is_(None)))
    for token_id, created_at in rows.fetchall():
        connection.execute(
            tokens.update()
            .where(tokens.c.id == token_id)
            .values(expires_at=created_at + timedelta(days=LEGACY_TOKEN_DAYS))
        )
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)

    op.create_table(
        "login_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_counters")),
    )


def downgrade() -> None:
    op.drop_table("login_counters")
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=True)
