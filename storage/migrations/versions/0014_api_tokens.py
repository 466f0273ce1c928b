"""api_tokens: the HTTP API's bearer tokens, stored as SHA-256 hashes, revoked rather than deleted

Revision ID: 0014_api_tokens
Revises: 0013_posts_counters_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_api_tokens"
down_revision = "0013_posts_counters_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    # One live token per name; a revoked name may be given to a new token.
    op.create_index(
        "ix_api_tokens_live_name", "api_tokens", ["name"], unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"), postgresql_where=sa.text("revoked_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_api_tokens_live_name", table_name="api_tokens")
    op.drop_table("api_tokens")
