"""A window's figures worked out in SQL: totals, medians, medians by local hour, the top posts.

A summary's cost then follows its answer (a few rows) rather than the window (every post of it):
the database folds albums, sums, counts and ranks; Python receives one row of totals, two middle
values, up to 24 hourly rows and six posts. The definitions stay those of `analytics.metrics`.

Dialects: everything is plain SQL both SQLite and PostgreSQL run (window functions, LIMIT/OFFSET)
except a date's Unix time, which each spells its own way (`_epoch_seconds`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select, Subquery

from storage.queries import EXCERPT_CHARS, PostRow, as_utc, caption_key, live_posts
from storage.tables import posts

COUNTERS = ("views", "forwards", "replies", "reactions", "paid_reactions", "views_24h")


@dataclass(frozen=True)
class Tally:
    """How many posts have a counter known, and its sum over them (None when none has)."""

    known: int
    total: int | None


@dataclass(frozen=True)
class WindowTotals:
    """Sums and counts over a window's posts, albums folded (each counter: its largest item's)."""

    posts: int
    first_post: datetime | None
    views: Tally
    views_median: float | None
    views_24h: Tally
    forwards: Tally
    replies: Tally
    reactions: Tally
    paid_reactions: Tally
    # Posts with known views and at least one known interaction counter, for ER.
    rated_posts: int
    rated_interactions: int
    rated_views: int


def folded(channel_id: int, since: datetime | None, until: datetime, with_text: bool = False) -> Subquery:
    """Live, non-service posts published in [since, until), one row per post (albums folded)."""
    cond = live_posts(channel_id, since, until)
    # Single posts straight off the (channel_id, date) index; only album items group and sort.
    # Dates as stored (text on SQLite): `as_utc` reads the few that leave the database.
    single_cols = [posts.c.message_id, type_coerce(posts.c.date, String).label("date"),
                   literal(1, Integer).label("items")]
    single_cols += [getattr(posts.c, c).label(c) for c in COUNTERS]
    album_cols = [func.min(posts.c.message_id), type_coerce(func.min(posts.c.date), String), func.count()]
    album_cols += [func.max(getattr(posts.c, c)) for c in COUNTERS]
    if with_text:
        # A single post's own text (cut in Python, for the few that leave the database); an album's
        # caption worked out here, over the album's items only.
        single_cols.append(posts.c.text)
        album_cols.append(func.substr(func.min(caption_key(posts)), 13))
    singles = select(*single_cols).where(*cond, posts.c.grouped_id.is_(None))
    albums = select(*album_cols).where(*cond, posts.c.grouped_id.is_not(None)).group_by(posts.c.grouped_id)
    return union_all(singles, albums).subquery("folded")


def _int(value: object) -> int | None:
    # PostgreSQL sums integers as bigint or numeric (Decimal); SQLite as int.
    return None if value is None else int(value)  # type: ignore[call-overload]


def _rated(f: Subquery) -> ColumnElement:
    return and_(f.c.views.is_not(None),
                or_(f.c.reactions.is_not(None), f.c.forwards.is_not(None), f.c.replies.is_not(None)))


def _interactions(f: Subquery) -> ColumnElement:
    return func.coalesce(f.c.reactions, 0) + func.coalesce(f.c.forwards, 0) + func.coalesce(f.c.replies, 0)


async def window_totals(
    conn: AsyncConnection, channel_id: int, since: datetime | None, until: datetime
) -> WindowTotals:
    f = folded(channel_id, since, until)
    rated = _rated(f)
    tallies = [x for c in COUNTERS for x in (func.count(f.c[c]), func.sum(f.c[c]))]
    row = (await conn.execute(select(
        func.count(), func.min(f.c.date), *tallies,
        func.sum(case((rated, 1), else_=0)), func.sum(case((rated, _interactions(f)), else_=0)),
        func.sum(case((rated, f.c.views), else_=0)),
    ))).one()
    tally = {c: Tally(row[2 + 2 * i], _int(row[3 + 2 * i])) for i, c in enumerate(COUNTERS)}
    return WindowTotals(
        posts=row[0], first_post=None if row[1] is None else as_utc(row[1]),
        views=tally["views"], views_median=await _median_views(conn, f, tally["views"].known),
        views_24h=tally["views_24h"], forwards=tally["forwards"], replies=tally["replies"],
        reactions=tally["reactions"], paid_reactions=tally["paid_reactions"],
        rated_posts=_int(row[-3]) or 0, rated_interactions=_int(row[-2]) or 0, rated_views=_int(row[-1]) or 0,
    )


def middle(values: Sequence[int]) -> float:
    """The median from the one or two middle values of a sorted list (as `statistics.median`)."""
    return float(values[0]) if len(values) == 1 else (values[0] + values[1]) / 2


async def _median_views(conn: AsyncConnection, f: Subquery, known: int) -> float | None:
    if known == 0:
        return None
    # Only the middle one (odd count) or two (even) of the known views, sorted by the database.
    stmt = (select(f.c.views).where(f.c.views.is_not(None)).order_by(f.c.views)
            .limit(2 - known % 2).offset((known - 1) // 2))
    return middle(list((await conn.execute(stmt)).scalars()))


def _epoch_seconds(dialect: str, date: ColumnElement) -> ColumnElement:
    """A UTC date's Unix time in whole seconds (time zone transitions fall on whole seconds)."""
    if dialect == "sqlite":
        return cast(func.strftime("%s", date), BigInteger)
    return cast(func.floor(func.extract("epoch", date)), BigInteger)


async def hourly_medians(
    conn: AsyncConnection, channel_id: int, since: datetime | None, until: datetime,
    offsets: Sequence[tuple[datetime | None, int]],
) -> list[tuple[int, int, float]]:
    """(local hour of publication, posts with known views, their median views) per hour that has any.

    `offsets`: the local time's offset from UTC in seconds, from each instant on (the first from
    the beginning, None), in order: see `analytics.local_time.utc_offsets`."""
    f = folded(channel_id, since, until)
    date = type_coerce(f.c.date, posts.c.date.type)  # compared with datetimes bound as stored
    offset: ColumnElement = literal(offsets[-1][1], Integer)
    if len(offsets) > 1:
        # Each span's offset until the next span begins (`at`), the last one's after.
        spans = ((date < at, literal(o, Integer)) for (_, o), (at, _) in pairwise(offsets))
        offset = case(*spans, else_=literal(offsets[-1][1], Integer))
    hour = ((_epoch_seconds(conn.dialect.name, date) + offset) // 3600) % 24
    local = select(hour.label("hour"), f.c.views).where(f.c.views.is_not(None)).subquery("local")
    ranked = select(
        local.c.hour, local.c.views,
        func.row_number().over(partition_by=local.c.hour, order_by=local.c.views).label("rank"),
        func.count().over(partition_by=local.c.hour).label("n"),
    ).subquery("ranked")
    # Each hour's middle one (odd count) or two (even) values, by their rank within the hour.
    stmt = select(ranked.c.hour, ranked.c.n, ranked.c.views).where(
        or_(ranked.c.rank == (ranked.c.n + 1) // 2, ranked.c.rank == (ranked.c.n + 2) // 2)
    ).order_by(ranked.c.hour, ranked.c.views)
    by_hour: dict[int, tuple[int, list[int]]] = {}
    for h, n, views in await conn.execute(stmt):
        by_hour.setdefault(int(h), (int(n), []))[1].append(views)
    return [(h, n, middle(mid)) for h, (n, mid) in sorted(by_hour.items())]


async def top_by_views(
    conn: AsyncConnection, channel_id: int, since: datetime | None, until: datetime, n: int
) -> list[PostRow]:
    """The `n` most viewed posts (ties: the earlier message first)."""
    f = folded(channel_id, since, until, with_text=True)
    stmt = select(f).where(f.c.views.is_not(None)).order_by(f.c.views.desc(), f.c.message_id).limit(n)
    return await _rows(conn, stmt)


async def top_by_er(
    conn: AsyncConnection, channel_id: int, since: datetime | None, until: datetime, n: int
) -> list[PostRow]:
    """The `n` posts of highest ER (interactions per view; ties: more views, then the earlier)."""
    f = folded(channel_id, since, until, with_text=True)
    # The same floating-point steps as analytics.metrics.pct (a / b * 100.0), so equal ERs tie here
    # exactly as they do there.
    er = cast(_interactions(f), Float) / cast(f.c.views, Float) * literal(100.0, Float)
    stmt = (select(f).where(_rated(f), f.c.views != 0)
            .order_by(er.desc(), f.c.views.desc(), f.c.message_id).limit(n))
    return await _rows(conn, stmt)


async def _rows(conn: AsyncConnection, stmt: Select) -> list[PostRow]:
    return [
        PostRow(r.message_id, as_utc(r.date), (r.text or "")[:EXCERPT_CHARS], r.items, r.views, r.forwards,
                r.replies, r.reactions, r.paid_reactions, r.views_24h)
        for r in await conn.execute(stmt)
    ]
