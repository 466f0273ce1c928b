"""posts.views_24h: each post's views at about a day old, kept instead of worked out per read

Revision ID: 0004_views_24h
Revises: 0003_digest_exclude
"""

import sqlalchemy as sa
from alembic import op

from storage.views_24h import refresh_statement

revision = "0004_views_24h"
down_revision = "0003_digest_exclude"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("posts", sa.Column("views_24h", sa.Integer(), nullable=True))
    # Fill it for the posts already stored, from their snapshots, by the rule reads now rely on.
    bind = op.get_bind()
    bind.execute(refresh_statement(bind.dialect.name))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+), not batch mode: batch copies the table and drops the
    # old one, and with foreign keys on, dropping `posts` cascades to every counter snapshot.
    op.drop_column("posts", "views_24h")
