"""channels.history_complete: Telegram showed the collector nothing older than its oldest post

Revision ID: 0005_history_complete
Revises: 0004_views_24h
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_history_complete"
down_revision = "0004_views_24h"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Unknown for channels collected before: false, so their earliest windows read as not
    # collected rather than as empty. A backfill already marked done never asked again, so this
    # stayed false for them; 0009_status_kind re-opens those backfills once to find out.
    op.add_column(
        "channels",
        sa.Column("history_complete", sa.Boolean(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    # Plain DROP COLUMN: batch mode would copy `channels`, and dropping the old table cascades.
    op.drop_column("channels", "history_complete")
