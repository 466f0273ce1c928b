"""job_schedule: the collect job's next run, for `status` without the running process

Revision ID: 0006_next_run
Revises: 0005_history_complete
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_next_run"
down_revision = "0005_history_complete"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A channel is collected at the job's first run at or after its due time; `status` reads the
    # job's next run here, since only the running process has the scheduler.
    op.create_table(
        "job_schedule",
        sa.Column("job_id", sa.String(64), nullable=False),
        sa.Column("next_run_at", sa.DateTime(), nullable=True),
        sa.Column("interval_seconds", sa.Float(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("running", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_job_schedule")),
    )


def downgrade() -> None:
    op.drop_table("job_schedule")
