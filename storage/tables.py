"""The schema, as SQLAlchemy Core tables; migrations in `storage/migrations` build the same thing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out (SQLite keeps no time zone of its own)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to storage; pass an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class PlainText(TypeDecorator):
    """Text from Telegram, stored without NUL characters: PostgreSQL refuses them in a text value
    (a post holding one stopped its channel's run), and nobody can see one anyway."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: object) -> str | None:
        return None if value is None else value.replace("\x00", "")


channels = Table(
    "channels",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ref", String(300), nullable=False),
    Column("username", String(64), nullable=False, unique=True),
    Column("tg_id", BigInteger, unique=True),
    Column("access_hash", BigInteger),
    Column("resolved_by", BigInteger),
    Column("resolve_count", Integer, nullable=False, server_default="0"),
    Column("title", PlainText),
    Column("status", String(16), nullable=False, server_default="queued"),
    Column("status_reason", PlainText),
    # What kind of failure (collector.source.ChannelUnavailable.kind), so alerts need not read words.
    Column("status_kind", String(16)),
    Column("added_by", BigInteger),
    Column("added_at", UTCDateTime, nullable=False),
    Column("newest_message_id", Integer),
    Column("oldest_message_id", Integer),
    Column("backfill_done", Boolean, nullable=False, server_default="0"),
    # Every post the channel ever published has been read (the backfill found nothing older), so
    # a window before its oldest stored post really had no posts, rather than unread ones.
    Column("history_complete", Boolean, nullable=False, server_default="0"),
    Column("last_collected_at", UTCDateTime),
    Column("next_collection_at", UTCDateTime),
    # Runs in a row that ended on an error nobody foresaw; retried in a few later rounds, then failed.
    Column("unexpected_failures", Integer, nullable=False, server_default="0"),
    # The Telegram account that collects it (accounts.account_id); NULL until one takes it. Access
    # hashes are per account, so only this account's resolve gives the one stored here.
    Column("account_id", BigInteger),
)

posts = Table(
    "posts",
    metadata,
    Column("channel_id", Integer, ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True),
    Column("message_id", Integer, primary_key=True),
    Column("date", UTCDateTime, nullable=False),
    Column("text", PlainText, nullable=False, server_default=""),
    Column("media_kind", String(32)),
    Column("grouped_id", BigInteger),
    Column("edit_date", UTCDateTime),
    Column("deleted", Boolean, nullable=False, server_default="0"),
    Column("deleted_at", UTCDateTime),
    Column("forward_from", PlainText),
    Column("post_author", PlainText),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("views", Integer),
    Column("forwards", Integer),
    Column("replies", Integer),
    Column("reactions", Integer),
    Column("paid_reactions", Integer),
    Column("reactions_json", JSON),
    # Views at the snapshot nearest 24 h of age (20-48 h), kept from the snapshots by PostRepo
    # (storage/views_24h.py); NULL when the post has no such snapshot.
    Column("views_24h", Integer),
    # When its counter snapshots were thinned to the ones analytics still read (storage/retention.py).
    Column("thinned_at", UTCDateTime),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel_id", Integer, ForeignKey("channels.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("fetched", Integer, nullable=False, server_default="0"),
    Column("new", Integer, nullable=False, server_default="0"),
    Column("updated", Integer, nullable=False, server_default="0"),
    Column("pacing_seconds", JSON),
    Column("flood_waits", Integer, nullable=False, server_default="0"),
    Column("flood_wait_seconds", Float, nullable=False, server_default="0"),
    Column("error", Text),
    # The Telegram account that sent the run's requests (NULL for runs before migration 0019).
    Column("account_id", BigInteger),
)

counter_snapshots = Table(
    "counter_snapshots",
    metadata,
    Column("channel_id", Integer, primary_key=True),
    Column("message_id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("taken_at", UTCDateTime, nullable=False),
    Column("views", Integer),
    Column("forwards", Integer),
    Column("replies", Integer),
    Column("reactions", Integer),
    Column("paid_reactions", Integer),
    Column("reactions_json", JSON),
    ForeignKeyConstraint(
        ["channel_id", "message_id"], ["posts.channel_id", "posts.message_id"], ondelete="CASCADE"
    ),
)

subscriber_snapshots = Table(
    "subscriber_snapshots",
    metadata,
    Column("channel_id", Integer, ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("taken_at", UTCDateTime, nullable=False),
    Column("subscribers", Integer),
)

digest_subscriptions = Table(
    "digest_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("cadence", String(8), nullable=False),
    Column("weekday", Integer),
    Column("at_time", String(5), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("channel_ids", JSON, nullable=False),
    # Only with an empty channel_ids ("every tracked channel"): the ones this chat turned off.
    Column("excluded_ids", JSON, nullable=False, server_default=text("'[]'")),
    Column("paused", Boolean, nullable=False, server_default="0"),
    Column("last_slot_sent", UTCDateTime),
    # Publication time up to which this subscription's sent digests covered posts: the next one
    # starts here. Skipped slots and `/digest now` leave it where it is.
    Column("covered_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("chat_id", "cadence", "weekday", "at_time", "timezone", name="uq_digest_slot"),
)

# A scheduled digest on its way: its text as split into messages, and how many of them (then the
# chart) went out, so a retry after a failed part sends only the rest. Gone once the slot is sent.
digest_deliveries = Table(
    "digest_deliveries",
    metadata,
    Column(
        "subscription_id",
        Integer,
        ForeignKey("digest_subscriptions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("slot", UTCDateTime, nullable=False),
    Column("parts", JSON, nullable=False),
    Column("parts_sent", Integer, nullable=False, server_default="0"),
    Column("chart", LargeBinary),
    Column("created_at", UTCDateTime, nullable=False),
    Column("covered_until", UTCDateTime),  # where this digest's period ends
)

alerts = Table(
    "alerts",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("channel_id", Integer, ForeignKey("channels.id", ondelete="CASCADE")),
    Column("kind", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
)


# The `collect` job's next run as the running process sees it, so `python main.py status` (which
# has no scheduler) can tell when a channel will really be collected. One row per job id.
job_schedule = Table(
    "job_schedule",
    metadata,
    Column("job_id", String(64), primary_key=True),
    Column("next_run_at", UTCDateTime),
    Column("interval_seconds", Float, nullable=False),
    Column("pid", Integer, nullable=False),  # the process whose scheduler this is
    Column("running", Boolean, nullable=False, server_default="0"),  # a run is under way
    Column("updated_at", UTCDateTime, nullable=False),
)

# The running process's signs of life, one row per component, for `status --check`
# (storage/heartbeats.py).
heartbeats = Table(
    "heartbeats",
    metadata,
    Column("component", String(300), primary_key=True),
    Column("beat_at", UTCDateTime, nullable=False),  # its last sign of life, on the wall clock
    Column("stale_after_seconds", Float, nullable=False),  # older than this: the component hangs
    Column("pid", Integer, nullable=False),
)


# The HTTP API's bearer tokens (storage/api_tokens.py): only a hash of each is kept.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256, hex
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),  # revoked tokens are kept, so `token list` can show them
)


# The dashboard's one-time login links and the browser sessions they open (storage/dashboard_auth.py):
# only a hash of each secret is kept, as for the API's tokens.
dashboard_logins = Table(
    "dashboard_logins",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256, hex
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),  # set by the one visit that logs in; a used link opens nothing
)
dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_hash", String(64), nullable=False, unique=True),  # SHA-256 of the cookie, hex
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

# The account ledger: what the collector's Telegram account has sent and been told, kept in the
# database because Telegram's limits bind the account, not the process (a restart must not forget
# a FloodWait), and every process using the account shares them.
accounts = Table(
    "accounts",
    metadata,
    Column("account_id", BigInteger, primary_key=True, autoincrement=False),
    # Telethon's auth key id of the session last used for it, so a process knows whose ledger
    # applies before its first request.
    Column("session_key", BigInteger),
    # The session file that signed it in (NULL for a session string), and when it was first seen.
    Column("session_path", Text),
    Column("added_at", UTCDateTime),
    Column("last_request_at", UTCDateTime),
    # Set when Telegram ended the account's session (AUTH_KEY_UNREGISTERED, a ban, ...).
    Column("fatal_kind", String(40)),
    Column("fatal_reason", Text),
    Column("fatal_at", UTCDateTime),
)

account_requests = Table(
    "account_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", BigInteger, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("method", String(64), nullable=False),
)

account_blocks = Table(
    "account_blocks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", BigInteger, nullable=False),
    Column("scope", String(64), nullable=False),  # a method's name, or "account" for every request
    Column("method", String(64), nullable=False),  # the request Telegram answered with the wait
    Column("seconds", Float, nullable=False),  # the wait Telegram asked for
    Column("reason", String(16), nullable=False),  # "flood_wait" or "flood_streak"
    Column("created_at", UTCDateTime, nullable=False),
    Column("until", UTCDateTime, nullable=False),
)

account_resolves = Table(
    "account_resolves",
    metadata,
    Column("account_id", BigInteger, primary_key=True, autoincrement=False),
    Column("channel_id", Integer, ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("count", Integer, nullable=False),
    Column("last_at", UTCDateTime, nullable=False),
    Column("last_outcome", Text, nullable=False),
)

# (channel_id, date) first, then every column a window's figures read (storage/window_stats.py):
# those reads never touch the posts' rows, which carry their text.
Index(
    "ix_posts_channel_date_counters", posts.c.channel_id, posts.c.date, posts.c.deleted, posts.c.media_kind,
    posts.c.grouped_id, posts.c.message_id, posts.c.views, posts.c.forwards, posts.c.replies,
    posts.c.reactions, posts.c.paid_reactions, posts.c.views_24h,
)
# Only posts not thinned yet: the thinner finds the next ones without walking every old post.
Index(
    "ix_posts_unthinned", posts.c.date,
    sqlite_where=posts.c.thinned_at.is_(None), postgresql_where=posts.c.thinned_at.is_(None),
)
Index(
    "ix_api_tokens_live_name", api_tokens.c.name, unique=True,
    sqlite_where=api_tokens.c.revoked_at.is_(None), postgresql_where=api_tokens.c.revoked_at.is_(None),
)
Index("ix_runs_channel_started", runs.c.channel_id, runs.c.started_at)
Index("ix_subscriber_snapshots_taken", subscriber_snapshots.c.channel_id, subscriber_snapshots.c.taken_at)
Index("ix_account_requests_account_at", account_requests.c.account_id, account_requests.c.at)
Index("ix_account_blocks_account_until", account_blocks.c.account_id, account_blocks.c.until)
