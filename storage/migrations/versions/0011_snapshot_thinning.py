"""posts.thinned_at: counter snapshots thinned with age; existing databases are thinned here

Revision ID: 0011_snapshot_thinning
Revises: 0010_account_ledger
"""

import logging

import sqlalchemy as sa
from alembic import op

from storage.retention import Thinned, database_now, thin_batch

revision = "0011_snapshot_thinning"
down_revision = "0010_account_ledger"
branch_labels = None
depends_on = None

MIGRATION_BATCH = 5000
log = logging.getLogger("storage")


def upgrade() -> None:
    op.add_column("posts", sa.Column("thinned_at", sa.DateTime(), nullable=True))
    op.create_index(
        "ix_posts_unthinned", "posts", ["date"],
        sqlite_where=sa.text("thinned_at IS NULL"), postgresql_where=sa.text("thinned_at IS NULL"),
    )
    # Thin what has piled up, by the rule the running process applies after each collection
    # round, as of the newest snapshot stored; the process goes on from there. The freed pages
    # are reused by new rows; the file itself shrinks only with a VACUUM (see the README).
    bind = op.get_bind()
    now = database_now(bind)
    if now is None:
        return
    # A year of hourly collection takes minutes here, once: say so, and how far it has come.
    total = Thinned()
    while (done := thin_batch(bind, now, MIGRATION_BATCH)).posts:
        total += done
        log.info("upgrading the database (once): thinned the counter snapshots of %d old post(s) so far, "
                 "%d snapshot(s) deleted", total.posts, total.deleted)


def downgrade() -> None:
    # Deleted snapshots cannot come back; only the column and its index go.
    op.drop_index("ix_posts_unthinned", table_name="posts")
    op.drop_column("posts", "thinned_at")
