"""A window's figures worked out in SQL: totals, the median, views by local hour, the top posts.

The database folds albums, sums, counts and ranks; Python receives a row of totals per local hour,
each hour's views as one text (for the medians), and the top posts, instead of a row per post. Every
read of a window takes only columns of the (channel_id, date) index (never the posts' rows, which
carry their text), each window once, in two statements: `window_by_hour` (the current window by
hour, and the one before), `top_posts` (which looks up the winners' texts only, by key). While the
collector runs, each round trip waits behind its work on the event loop: fewer statements, sooner
answers. The definitions stay those of `analytics.metrics`.

Dialects: plain SQL both SQLite and PostgreSQL run (LIMIT/OFFSET, UNION ALL), except a date's Unix
time and the concatenation of a group's values, which each spells its own way (`_epoch_seconds`,
`_views_text`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Integer,
    String,
    and_,
    bindparam,
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
from sqlalchemy.sql import CompoundSelect, FromClause, Select

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


def _params(channel_id: int, since: datetime | None, until: datetime) -> dict[str, Any]:
    return {"channel_id": channel_id, "since": since, "until": until}


def folded(bounded: bool, with_group: bool = False, prefix: str = "") -> CompoundSelect:
    """Live, non-service posts of channel :channel_id published in [:since, :until) (from the first
    when not `bounded`; `prefix` before those two names), one row per post (albums folded;
    `with_group`: with their grouped_id and their last item's id)."""
    since = bindparam(f"{prefix}since") if bounded else None
    cond = live_posts(bindparam("channel_id"), since, bindparam(f"{prefix}until"))
    # Dates as stored (text on SQLite): `as_utc` reads the few that leave the database. No text: the
    # columns read are all in the (channel_id, date) index, so the posts' rows are never read.
    single_cols = [posts.c.message_id, type_coerce(posts.c.date, String).label("date"),
                   literal(1, Integer).label("items")]
    single_cols += [getattr(posts.c, c).label(c) for c in COUNTERS]
    album_cols = [func.min(posts.c.message_id), type_coerce(func.min(posts.c.date), String), func.count()]
    album_cols += [func.max(getattr(posts.c, c)) for c in COUNTERS]
    if with_group:  # and where to find the album's items again: the range of their ids
        single_cols += [posts.c.grouped_id, posts.c.message_id.label("last_id")]
        album_cols += [posts.c.grouped_id, func.max(posts.c.message_id)]
    singles = select(*single_cols).where(*cond, posts.c.grouped_id.is_(None))
    albums = select(*album_cols).where(*cond, posts.c.grouped_id.is_not(None)).group_by(posts.c.grouped_id)
    return union_all(singles, albums)


def _int(value: object) -> int | None:
    # PostgreSQL sums integers as bigint or numeric (Decimal); SQLite as int.
    return None if value is None else int(value)  # type: ignore[call-overload]


def _add(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else a + b


def _rated(f: FromClause) -> ColumnElement:
    return and_(f.c.views.is_not(None),
                or_(f.c.reactions.is_not(None), f.c.forwards.is_not(None), f.c.replies.is_not(None)))


def _interactions(f: FromClause) -> ColumnElement:
    return func.coalesce(f.c.reactions, 0) + func.coalesce(f.c.forwards, 0) + func.coalesce(f.c.replies, 0)


def _sums(f: FromClause) -> list[ColumnElement]:
    """The aggregates `_totals` reads, in its order."""
    rated = _rated(f)
    return [
        func.count(), func.min(f.c.date),
        *(x for c in COUNTERS for x in (func.count(f.c[c]), func.sum(f.c[c]))),
        func.sum(case((rated, 1), else_=0)), func.sum(case((rated, _interactions(f)), else_=0)),
        func.sum(case((rated, f.c.views), else_=0)),
    ]


def _totals(rows: Sequence[Sequence[Any]], median: float | None) -> WindowTotals:
    """Totals from `_sums` rows (one per group: added up, as every one is a count or a sum)."""
    width = 2 + 2 * len(COUNTERS) + 3
    acc: list[Any] = [0, None, *([0, None] * len(COUNTERS)), 0, 0, 0]
    for row in rows:
        for i, value in enumerate(row[-width:]):
            if i == 1:  # the first post's date
                acc[1] = value if acc[1] is None or (value is not None and value < acc[1]) else acc[1]
            else:
                acc[i] = _add(acc[i], _int(value))
    tally = {c: Tally(acc[2 + 2 * i], acc[3 + 2 * i]) for i, c in enumerate(COUNTERS)}
    return WindowTotals(
        posts=acc[0], first_post=None if acc[1] is None else as_utc(acc[1]), views=tally["views"],
        views_median=median, views_24h=tally["views_24h"], forwards=tally["forwards"],
        replies=tally["replies"], reactions=tally["reactions"], paid_reactions=tally["paid_reactions"],
        rated_posts=acc[-3], rated_interactions=acc[-2], rated_views=acc[-1],
    )


async def window_totals(
    conn: AsyncConnection, channel_id: int, since: datetime | None, until: datetime
) -> WindowTotals:
    """The window's totals, with the median views, from one read of the window."""
    stmt = _totals_statement(conn.dialect.name, since is not None)
    row = (await conn.execute(stmt, _params(channel_id, since, until))).one()
    return _totals([row], _median(_views(row[0])))


# Statements are built once per shape and executed with their bound values: building and keying a
# statement of this size costs more than the rows it reads on a short window.
@cache
def _totals_statement(dialect: str, bounded: bool) -> Select:
    f = folded(bounded).subquery("folded")
    return select(_views_text(dialect, f.c.views), *_sums(f))


def _views(text: str | None) -> list[int]:
    """A `_views_text` value back as numbers, sorted (none for NULL: no view known)."""
    return [] if text is None else sorted(map(int, text.split(",")))


def _epoch_seconds(dialect: str, date: ColumnElement) -> ColumnElement:
    """A UTC date's Unix time in whole seconds (time zone transitions fall on whole seconds)."""
    if dialect == "sqlite":
        return cast(func.strftime("%s", date), BigInteger)
    return cast(func.floor(func.extract("epoch", date)), BigInteger)


def _views_text(dialect: str, views: ColumnElement) -> ColumnElement:
    """Every value of `views` in a group as one comma-separated text."""
    if dialect == "sqlite":
        return func.group_concat(views)
    return func.string_agg(cast(views, String), ",")


async def oldest_post(conn: AsyncConnection, channel_id: int) -> datetime | None:
    """When the channel's oldest stored post was published (one index seek)."""
    value = (await conn.execute(
        select(type_coerce(func.min(posts.c.date), String)).where(posts.c.channel_id == channel_id)
    )).scalar_one()
    return None if value is None else as_utc(value)


async def window_by_hour(
    conn: AsyncConnection, channel_id: int, since: datetime | None, until: datetime,
    offsets: Sequence[tuple[datetime | None, int]], before: tuple[datetime, datetime] | None = None,
) -> tuple[WindowTotals, dict[int, list[int]], WindowTotals | None]:
    """The window's totals (with the median views), the known views of its posts by local hour of
    publication (0-23, each list sorted), and the totals of window `before` (None without one), from
    one statement: one read of each window.

    `offsets`: the local time's offset from UTC in seconds, from each instant on (the first from
    the beginning, None), in order: see `analytics.local_time.utc_offsets`. Each hour's views come
    back as one text: a ranking window function over the same rows costs twice as much."""
    stmt = _by_hour_statement(conn.dialect.name, since is not None, len(offsets), before is not None)
    params = _params(channel_id, since, until) | {f"offset_{i}": o for i, (_, o) in enumerate(offsets)}
    params |= {f"from_{i}": at for i, (at, _) in enumerate(offsets) if at is not None}
    if before is not None:
        params |= {"before_since": before[0], "before_until": before[1]}
    rows = (await conn.execute(stmt, params)).all()
    # The window before's row has no hour (NULL); every other row is an hour of this window.
    previous = [r for r in rows if r[0] is None]
    rows = [r for r in rows if r[0] is not None]
    by_hour = {int(r[0]): _views(r[1]) for r in rows if r[1] is not None}
    every = [v for views in by_hour.values() for v in views]
    totals = _totals(rows, _median(sorted(every)))
    return totals, by_hour, _totals(previous, _median(_views(previous[0][1]))) if previous else None


def _median(ordered: list[int]) -> float | None:
    """The median of numbers already sorted (None for none)."""
    if not ordered:
        return None
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@cache
def _by_hour_statement(dialect: str, bounded: bool, spans: int, before: bool) -> Select | CompoundSelect:
    f = folded(bounded).subquery("folded")
    date = type_coerce(f.c.date, posts.c.date.type)  # compared with datetimes bound as stored
    # :offset_i holds from :from_i on (the first from the beginning) until the next one begins.
    offset: ColumnElement = bindparam(f"offset_{spans - 1}", type_=Integer)
    if spans > 1:
        offset = case(
            *((date < bindparam(f"from_{i + 1}", type_=posts.c.date.type),
               bindparam(f"offset_{i}", type_=Integer)) for i in range(spans - 1)),
            else_=offset,
        )
    hour = ((_epoch_seconds(dialect, date) + offset) // 3600) % 24
    views_text = _views_text(dialect, f.c.views)  # NULL where no view is known
    by_hour = select(hour, views_text, *_sums(f)).group_by(hour)
    if not before:
        return by_hour
    # The window before in the same statement: one round trip less to the database.
    b = folded(True, prefix="before_").subquery("before")
    return union_all(by_hour, select(cast(None, BigInteger), _views_text(dialect, b.c.views), *_sums(b)))


async def top_posts(
    conn: AsyncConnection, channel_id: int, since: datetime | None, until: datetime, n: int
) -> tuple[list[PostRow], list[PostRow]]:
    """The `n` most viewed posts (ties: the earlier message first), and the `n` of highest ER
    (interactions per view; ties: more views, then the earlier message), from one read of the window
    ranking on counters only; only the winners' texts are looked up, by key."""
    params = _params(channel_id, since, until) | {"n": n}
    rows = (await conn.execute(_top_statement(since is not None), params)).all()
    # A union keeps no order: each list is sorted again by the keys it was picked by.
    views_first = sorted((r for r in rows if r.list == 0), key=lambda r: (-r.views, r.message_id))
    er_first = sorted((r for r in rows if r.list == 1), key=lambda r: (-r.er, -r.views, r.message_id))
    return [_post(r) for r in views_first], [_post(r) for r in er_first]


def _post(r: Any) -> PostRow:
    return PostRow(r.message_id, as_utc(r.date), (r.text or "")[:EXCERPT_CHARS], r.items, r.views,
                   r.forwards, r.replies, r.reactions, r.paid_reactions, r.views_24h)


@cache
def _top_statement(bounded: bool) -> Select:
    f = folded(bounded, with_group=True).cte("folded")
    n = bindparam("n", type_=Integer)
    # The same floating-point steps as analytics.metrics.pct (a / b * 100.0), so equal ERs tie here
    # exactly as they do there.
    er = cast(_interactions(f), Float) / cast(f.c.views, Float) * literal(100.0, Float)
    # (No ER worked out for the most viewed: a post with 0 views has none, PostgreSQL would raise.)
    by_views = (select(literal(0).label("list"), cast(None, Float).label("er"), *f.c)
                .where(f.c.views.is_not(None))
                .order_by(f.c.views.desc(), f.c.message_id).limit(n).subquery())
    by_er = (select(literal(1).label("list"), er.label("er"), *f.c).where(_rated(f), f.c.views != 0)
             .order_by(er.desc(), f.c.views.desc(), f.c.message_id).limit(n).subquery())
    ranked = union_all(select(by_views), select(by_er)).subquery("ranked")
    return select(*ranked.c, _winner_text(ranked, bounded).label("text"))


def _winner_text(ranked: FromClause, bounded: bool) -> ColumnElement:
    """A ranked post's text, worked out for the winners only, by key: a single post's own; an album's
    caption, its first item with text among the window's live items (as `folded` folds them), which
    lie between its first and last item's ids."""
    item = posts.alias("item")
    own = (select(item.c.text)
           .where(item.c.channel_id == bindparam("channel_id"), item.c.message_id == ranked.c.message_id)
           .scalar_subquery())
    cond = live_posts(bindparam("channel_id"), bindparam("since") if bounded else None, bindparam("until"))
    caption = (select(func.substr(func.min(caption_key(posts)), 13))
               .where(*cond, posts.c.grouped_id == ranked.c.grouped_id,
                      posts.c.message_id.between(ranked.c.message_id, ranked.c.last_id))
               .scalar_subquery())
    return case((ranked.c.grouped_id.is_(None), own), else_=caption)
