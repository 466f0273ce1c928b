"""channels.account_id (the account that collects the channel) and accounts.session_path / added_at
(which session file signed the account in, and when), for several collector accounts

Revision ID: 0016_channel_accounts
Revises: 0015_dashboard_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_channel_accounts"
down_revision = "0015_dashboard_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Access hashes are per account, so a channel belongs to one account; NULL until one takes it.
    op.add_column("channels", sa.Column("account_id", sa.BigInteger(), nullable=True))
    op.add_column("accounts", sa.Column("session_path", sa.Text(), nullable=True))
    op.add_column("accounts", sa.Column("added_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN: batch mode would copy `channels`, and dropping the old table cascades.
    op.drop_column("accounts", "added_at")
    op.drop_column("accounts", "session_path")
    op.drop_column("channels", "account_id")
