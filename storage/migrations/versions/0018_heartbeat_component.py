"""heartbeats.component holds a split collector's session path ("collector data/acc2.session"), so
each collector's health check judges its own row; 32 characters were too few for a path

Revision ID: 0018_heartbeat_component
Revises: 0017_procrastinate
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_heartbeat_component"
down_revision = "0017_procrastinate"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite keeps any length in a VARCHAR; only PostgreSQL enforces it.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("heartbeats", "component", type_=sa.String(300), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DELETE FROM heartbeats WHERE length(component) > 32")
        op.alter_column("heartbeats", "component", type_=sa.String(32), existing_nullable=False)
