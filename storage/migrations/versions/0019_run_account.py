"""runs.account_id: the account that collected each run, so a split deployment can show (and the
drills check) that a channel is collected only by the account it belongs to

Revision ID: 0019_run_account
Revises: 0018_heartbeat_component
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_run_account"
down_revision = "0018_heartbeat_component"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("account_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN: batch mode would copy `runs`, and dropping the old table cascades to the
    # counter snapshots that reference it.
    op.drop_column("runs", "account_id")
