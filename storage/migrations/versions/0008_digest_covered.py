"""digest periods: where each subscription's digests have covered posts up to

Revision ID: 0008_digest_covered
Revises: 0007_digest_parts
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_digest_covered"
down_revision = "0007_digest_parts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A digest covered posts from the previous slot to its send time, while posts published just
    # before it were read only by a later collection: they fell between two digests; a late send
    # counted its extra hours twice, and a skipped slot's period was never covered at all. Each
    # digest now starts where the previous one stopped, and stops where posts were really read.
    op.add_column("digest_subscriptions", sa.Column("covered_until", sa.DateTime(), nullable=True))
    # Subscriptions sent before this covered up to their last slot, as far as they can tell.
    op.execute("UPDATE digest_subscriptions SET covered_until = last_slot_sent")
    # A digest part-way sent keeps the end of its period, so finishing it later covers the same one.
    op.add_column("digest_deliveries", sa.Column("covered_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN: batch mode would copy the table, and dropping the old one cascades.
    op.drop_column("digest_deliveries", "covered_until")
    op.drop_column("digest_subscriptions", "covered_until")
