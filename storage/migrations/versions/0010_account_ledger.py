"""The account ledger (requests, FloodWait blocks, resolves, a fatal stop) and channels.unexpected_failures

Revision ID: 0010_account_ledger
Revises: 0009_status_kind
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_account_ledger"
down_revision = "0009_status_kind"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Telegram's FloodWaits bind the account, not the process: what the account sent and was told
    # lives here so a restart (or another process of the same account) keeps obeying it.
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("session_key", sa.BigInteger(), nullable=True),
        sa.Column("last_request_at", sa.DateTime(), nullable=True),
        sa.Column("fatal_kind", sa.String(40), nullable=True),
        sa.Column("fatal_reason", sa.Text(), nullable=True),
        sa.Column("fatal_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_accounts")),
    )
    op.create_table(
        "account_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("method", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_requests")),
    )
    op.create_index("ix_account_requests_account_at", "account_requests", ["account_id", "at"])
    op.create_table(
        "account_blocks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_blocks")),
    )
    op.create_index("ix_account_blocks_account_until", "account_blocks", ["account_id", "until"])
    op.create_table(
        "account_resolves",
        sa.Column("account_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("last_outcome", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"], ondelete="CASCADE",
                                name=op.f("fk_account_resolves_channel_id_channels")),
        sa.PrimaryKeyConstraint("account_id", "channel_id", name=op.f("pk_account_resolves")),
    )
    # An error nobody foresaw is retried in a few later rounds, then the channel fails naming it.
    op.add_column(
        "channels",
        sa.Column("unexpected_failures", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    # Plain DROP COLUMN: batch mode would copy `channels`, and dropping the old table cascades.
    op.drop_column("channels", "unexpected_failures")
    op.drop_table("account_resolves")
    op.drop_index("ix_account_blocks_account_until", "account_blocks")
    op.drop_table("account_blocks")
    op.drop_index("ix_account_requests_account_at", "account_requests")
    op.drop_table("account_requests")
    op.drop_table("accounts")
