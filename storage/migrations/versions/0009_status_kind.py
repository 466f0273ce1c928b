"""channels.status_kind: what kind of failure a failed channel met; re-open unconfirmed backfills

Revision ID: 0009_status_kind
Revises: 0008_digest_covered
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_status_kind"
down_revision = "0008_digest_covered"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The error the source raised ("private", "not_found", "banned", ...), so alerts say what
    # happened instead of guessing from the words of the reason. NULL for older failures.
    op.add_column("channels", sa.Column("status_kind", sa.String(16), nullable=True))
    # Backfills marked done only because they reached the 30-day cutoff never asked whether older
    # posts exist, so a small channel read whole in one run stayed "incomplete" for ever. Re-open
    # them once: the next run asks for older posts and either meets the start or closes it again.
    # Built with SQLAlchemy, not written as SQL: PostgreSQL refuses `boolean = 0`.
    channels = sa.table("channels", sa.column("backfill_done", sa.Boolean),
                        sa.column("history_complete", sa.Boolean))
    op.execute(
        channels.update()
        .where(channels.c.history_complete.is_(False), channels.c.backfill_done.is_(True))
        .values(backfill_done=False)
    )


def downgrade() -> None:
    # Plain DROP COLUMN: batch mode would copy `channels`, and dropping the old table cascades.
    op.drop_column("channels", "status_kind")
