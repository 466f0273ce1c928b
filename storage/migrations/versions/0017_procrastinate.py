"""procrastinate's job queue (tables, types, functions, triggers), on PostgreSQL only: the queue the
`bot` role defers channel runs to and `collector` workers take them from. SQLite has no queue: `run`
keeps everything in one process.

Revision ID: 0017_procrastinate
Revises: 0015_dashboard_sessions
"""

from alembic import op
from procrastinate.schema import SchemaManager
from sqlalchemy.util import await_

revision = "0017_procrastinate"
down_revision = "0016_channel_accounts"
branch_labels = None
depends_on = None

# Everything procrastinate's schema creates is named procrastinate_*; tables drop their triggers.
DROP_ALL = """
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT tablename FROM pg_tables
             WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate\\_%' LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%' LOOP
        EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', r.signature);
    END LOOP;
    FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\\_%'
               AND t.typtype IN ('e', 'c') LOOP
        EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', r.typname);
    END LOOP;
END $$;
"""


def _run_script(sql: str) -> None:
    """Run a multi-statement script as one simple query on the migration's own connection (and
    transaction): prepared statements, which SQLAlchemy's asyncpg driver uses, take one each."""
    bind = op.get_bind()
    driver = bind.connection.driver_connection
    await_(driver.execute(sql))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _run_script(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _run_script(DROP_ALL)
