"""posts: the (channel_id, date) index carries the columns a window's figures read

A window's totals, medians and rankings then read the index alone, never the posts' rows (which
carry their text). It replaces ix_posts_channel_date, whose leading columns it keeps.

Revision ID: 0013_posts_counters_index
Revises: 0012_heartbeats
"""

from alembic import op

revision = "0013_posts_counters_index"
down_revision = "0012_heartbeats"
branch_labels = None
depends_on = None

COLUMNS = [
    "channel_id", "date", "deleted", "media_kind", "grouped_id", "message_id",
    "views", "forwards", "replies", "reactions", "paid_reactions", "views_24h",
]


def upgrade() -> None:
    op.create_index("ix_posts_channel_date_counters", "posts", COLUMNS)
    op.drop_index("ix_posts_channel_date", table_name="posts")


def downgrade() -> None:
    op.create_index("ix_posts_channel_date", "posts", ["channel_id", "date"])
    op.drop_index("ix_posts_channel_date_counters", table_name="posts")
