"""Read-side SQL for analytics: album-collapsed posts with their ~24 h views, where history begins,
the overview's aggregates, snapshot ages for alerts. Subscriber counts: storage/subscribers.py.

What needs medians or per-hour grouping gets one compact row per post; each post's views at about
a day old are kept on the post itself (storage/views_24h.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    and_,
    case,
    cast,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import FromClause, Select

from storage.models import Channel
from storage.tables import alerts, channels, counter_snapshots, posts
from storage.views_24h import hours_between

SERVICE_KIND = "service"  # media_kind of service messages (pins, title changes); never a post
EXCERPT_CHARS = 200
ID_WIDTH = 10**11


@dataclass(frozen=True)
class PostRow:
    """One post as analytics counts it: an album's items folded into one (largest counters)."""

    message_id: int
    date: datetime
    text: str
    items: int
    views: int | None
    forwards: int | None
    replies: int | None
    reactions: int | None
    paid_reactions: int | None
    views_24h: int | None  # views at the snapshot nearest 24 h of age, between 20 h and 48 h


def _album_key(table: FromClause) -> ColumnElement:
    # Message ids are positive, so a negated id never collides with an album's grouped_id.
    return func.coalesce(table.c.grouped_id, -table.c.message_id)


def live_posts(
    channel_id: int | ColumnElement, since: datetime | ColumnElement | None, until: datetime | ColumnElement
) -> list[ColumnElement]:
    """`posts` conditions: the channel's live, non-service posts published in [since, until) (values
    or bound parameters)."""
    cond = [
        posts.c.channel_id == channel_id, posts.c.date < until, posts.c.deleted.is_(False),
        func.coalesce(posts.c.media_kind, "") != SERVICE_KIND,
    ]
    if since is not None:
        cond.append(posts.c.date >= since)
    return cond


def caption_key(table: FromClause) -> ColumnElement:
    """An item's text behind its message id as a fixed-width number (NULL without text): min() over
    an album's items picks the text of its first item that has one; [12:] is the text itself.
    Ids are far below 10**11, so 12 digits sort right (BigInteger: PostgreSQL would add 10**11 to
    an int4 and overflow)."""
    keyed = cast(cast(table.c.message_id, BigInteger) + ID_WIDTH, String)
    return case((table.c.text != "", keyed + func.substr(table.c.text, 1, EXCERPT_CHARS)), else_=None)


async def collapsed_posts(
    conn: AsyncConnection, channel_id: int, since: datetime | None, until: datetime
) -> list[PostRow]:
    """Live, non-service posts published in [since, until), albums folded, oldest first."""
    p = select(
        posts.c.message_id, posts.c.date, posts.c.text, posts.c.grouped_id, posts.c.views,
        posts.c.forwards, posts.c.replies, posts.c.reactions, posts.c.paid_reactions,
        posts.c.views_24h,
    ).where(*live_posts(channel_id, since, until)).subquery("p")
    stmt = (
        select(
            # As stored (text on SQLite): as_utc parses it once, in C, rather than SQLAlchemy's
            # per-row date processing followed by ours.
            func.min(p.c.message_id), type_coerce(func.min(p.c.date), String).label("date"),
            func.min(caption_key(p)), func.count(),
            func.max(p.c.views), func.max(p.c.forwards), func.max(p.c.replies),
            func.max(p.c.reactions), func.max(p.c.paid_reactions), func.max(p.c.views_24h),
        )
        .group_by(_album_key(p))
        .order_by(func.min(p.c.date), func.min(p.c.message_id))
    )
    rows = (await conn.execute(stmt)).all()  # one fetch; row-by-row costs a hop per row
    return [PostRow(r[0], as_utc(r[1]), r[2][12:] if r[2] else "", *r[3:10]) for r in rows]


def as_utc(value: object) -> datetime:
    # Aggregates lose the column type, so SQLite hands back its stored text (UTC, no offset):
    # parsed with the offset appended, in one C call, as this runs once per post.
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _oldest_post_date() -> ColumnElement:
    """Per channel row, its oldest stored post's date as stored (one index seek each: a GROUP BY
    would walk every post)."""
    oldest = (
        select(func.min(posts.c.date)).where(posts.c.channel_id == channels.c.id)
        .correlate(channels).scalar_subquery()
    )
    return type_coerce(oldest, String)


async def history_starts(conn: AsyncConnection, channel_id: int | None = None) -> dict[int, datetime]:
    """Per channel (or just `channel_id`) whose history is not known to be complete: the date of
    its oldest stored post, before which its posts were never read. Channels with no post stored
    are left out."""
    stmt = select(channels.c.id, _oldest_post_date()).where(channels.c.history_complete.is_(False))
    if channel_id is not None:
        stmt = stmt.where(channels.c.id == channel_id)
    return {cid: as_utc(at) for cid, at in await conn.execute(stmt) if at is not None}


async def channel_with_history_start(
    conn: AsyncConnection, channel_id: int
) -> tuple[Channel, datetime | None] | None:
    """The channel and, as `history_starts` gives it, where its read history begins; one statement."""
    start = case((channels.c.history_complete.is_(False), _oldest_post_date()), else_=None)
    row = (await conn.execute(
        select(channels, start.label("history_from")).where(channels.c.id == channel_id)
    )).first()
    if row is None:
        return None
    return Channel.from_row(row), None if row.history_from is None else as_utc(row.history_from)


@dataclass(frozen=True)
class SnapshotAge:
    album_key: int
    message_id: int
    date: datetime
    age_hours: float
    views: int


async def snapshot_ages(
    conn: AsyncConnection, channel_id: int, since: datetime, until: datetime
) -> list[SnapshotAge]:
    """Known-views snapshots of live posts published in [since, until), with the post's age at each."""
    cs = counter_snapshots
    age = hours_between(conn.dialect.name, posts.c.date, cs.c.taken_at)
    stmt = (
        select(_album_key(posts), posts.c.message_id, posts.c.date, age, cs.c.views)
        .select_from(posts.join(
            cs, and_(cs.c.channel_id == posts.c.channel_id, cs.c.message_id == posts.c.message_id)
        ))
        .where(
            posts.c.channel_id == channel_id, posts.c.date >= since, posts.c.date < until,
            posts.c.deleted.is_(False), cs.c.views.is_not(None),
            func.coalesce(posts.c.media_kind, "") != SERVICE_KIND,
        )
    )
    return [SnapshotAge(r[0], r[1], r[2], float(r[3]), r[4]) for r in await conn.execute(stmt)]


async def last_alert_at(conn: AsyncConnection, channel_id: int, kind: str) -> datetime | None:
    """When an alert of `kind` last fired for the channel."""
    stmt = select(func.max(alerts.c.created_at)).where(
        alerts.c.channel_id == channel_id, alerts.c.kind == kind
    )
    value = (await conn.execute(stmt)).scalar_one()
    return None if value is None else as_utc(value)


async def overview_rows(
    conn: AsyncConnection, channel_ids: list[int], since: datetime | None, until: datetime
) -> dict[int, tuple[int, int, int | None, int | None, int | None]]:
    """Per channel, over folded posts: (posts, posts with known views, Σ views, Σ interactions and
    Σ views of the posts with known views and at least one known interaction counter)."""
    # Naming the channels lets SQLite walk the (channel_id, date) index once per channel
    # instead of scanning every post for the date range.
    cond = [posts.c.channel_id.in_(channel_ids), posts.c.date < until, posts.c.deleted.is_(False),
            func.coalesce(posts.c.media_kind, "") != SERVICE_KIND]
    if since is not None:
        cond.append(posts.c.date >= since)

    def sums(src: FromClause, channel: ColumnElement) -> Select:
        c = src.c
        rated = and_(c.views.is_not(None),
                     or_(c.reactions.is_not(None), c.forwards.is_not(None), c.replies.is_not(None)))
        inter = func.coalesce(c.reactions, 0) + func.coalesce(c.forwards, 0) + func.coalesce(c.replies, 0)
        return select(
            channel, func.count(), func.count(c.views), func.sum(c.views),
            func.sum(case((rated, inter), else_=None)), func.sum(case((rated, c.views), else_=None)),
        ).group_by(channel)

    # Single posts aggregate straight off the index; only album items (a minority) need the
    # extra fold by grouped_id, which sorts.
    singles = sums(posts, posts.c.channel_id).where(*cond, posts.c.grouped_id.is_(None))
    folded = (
        select(
            posts.c.channel_id.label("channel_id"), func.max(posts.c.views).label("views"),
            func.max(posts.c.reactions).label("reactions"), func.max(posts.c.forwards).label("forwards"),
            func.max(posts.c.replies).label("replies"),
        )
        .where(*cond, posts.c.grouped_id.is_not(None))
        .group_by(posts.c.channel_id, posts.c.grouped_id).subquery("f")
    )
    albums = sums(folded, folded.c.channel_id)
    out: dict[int, tuple[int, int, int | None, int | None, int | None]] = {}
    for stmt in (singles, albums):
        for cid, n, seen, views, inter, rated_views in await conn.execute(stmt):
            was = out.get(cid, (0, 0, None, None, None))
            out[cid] = (was[0] + n, was[1] + seen, _add(was[2], views), _add(was[3], inter),
                        _add(was[4], rated_views))
    return out


def _add(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else a + b
