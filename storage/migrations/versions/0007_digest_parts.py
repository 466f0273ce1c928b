"""digest deliveries: a split digest's parts and how many were sent, so a retry sends only the rest

Revision ID: 0007_digest_parts
Revises: 0006_next_run
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_digest_parts"
down_revision = "0006_next_run"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A digest longer than one message failed at a later part, and the retry sent it all again:
    # the first parts arrived twice.
    op.create_table(
        "digest_deliveries",
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.DateTime(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("parts_sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("chart", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["digest_subscriptions.id"],
            name=op.f("fk_digest_deliveries_subscription_id_digest_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscription_id", name=op.f("pk_digest_deliveries")),
    )


def downgrade() -> None:
    op.drop_table("digest_deliveries")
