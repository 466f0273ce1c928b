"""heartbeats: the running process's signs of life, one row per component, for `status --check`

Revision ID: 0012_heartbeats
Revises: 0011_snapshot_thinning
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_heartbeats"
down_revision = "0011_snapshot_thinning"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "heartbeats",
        sa.Column("component", sa.String(32), nullable=False),
        sa.Column("beat_at", sa.DateTime(), nullable=False),
        sa.Column("stale_after_seconds", sa.Float(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("component", name=op.f("pk_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("heartbeats")
