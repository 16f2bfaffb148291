"""registry: sites.emission_grade (the discharge grade of a graded standard, e.g. GB 8978-1996 class 1-3)

Revision ID: 0003_registry_emission_grade
Revises: 0002_registry
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_registry_emission_grade"
down_revision = "0002_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("emission_grade", sa.String(length=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("emission_grade")
