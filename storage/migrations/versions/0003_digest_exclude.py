"""digest subscriptions: channels excluded from an "all channels" digest

Revision ID: 0003_digest_exclude
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_digest_exclude"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # `/digest off @x` on an "all channels" digest keeps it "all" (channels added later appear),
    # minus these; before, it froze the list to the channels tracked that day.
    op.add_column(
        "digest_subscriptions",
        sa.Column("excluded_ids", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("digest_subscriptions") as batch:
        batch.drop_column("excluded_ids")
