"""/stats: one channel's summary beside the previous window, or the overview of every channel."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from analytics.records import ChannelSummary, OverviewRow, PostHistory, TopPost, WindowMetrics
from analytics.service import coverage_notes, status_note
from bot.render import clip, esc, heading, human, pct, signed, when

# A post's excerpt is a few words, but one "word" can be a 5,000-character URL.
EXCERPT_CHARS = 100


def link(url: str, text: str) -> str:
    return f'<a href="{escape(url, quote=True)}">{esc(clip(text, EXCERPT_CHARS))}</a>'


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _subscribers(m: WindowMetrics, tz: str) -> str:
    if m.subscribers_change is None:
        return human(m.subscribers)
    since = m.change_starts_late
    tail = f" since {when(since, tz)}" if since else ""
    return (
        f"{human(m.subscribers)} ({signed(m.subscribers_change)}, "
        f"{pct(m.subscribers_change_pct, sign=True)}{tail})"
    )


def _line(
    label: str,
    fmt: Callable[[WindowMetrics], str],
    cur: WindowMetrics,
    prev: WindowMetrics | None,
    known: Callable[[WindowMetrics], bool] = lambda m: m.posts > 0,
) -> str:
    """`label: this window (before: the previous window)`, leaving out a previous window with no data."""
    text = f"{label}: {fmt(cur)}"
    return f"{text} (before: {fmt(prev)})" if prev is not None and known(prev) else text


def _err24(m: WindowMetrics) -> str:
    return "n/a" if m.err24 is None else f"{pct(m.err24)} on {m.err24_posts} posts"


def _tops(title: str, posts: Sequence[TopPost], figure: Callable[[TopPost], str]) -> list[str]:
    lines = [f"<b>{title}</b>"]
    lines += [f"{i}. {figure(p)} — {link(p.link, p.excerpt or 'post')}" for i, p in enumerate(posts, 1)]
    return lines if posts else [*lines, "none yet"]


def render_summary(s: ChannelSummary) -> str:
    head = f"{heading(s)} — {esc(s.window_label)}"
    note = status_note(s.status, s.status_reason, start=True)
    if s.current is None:
        if s.unread:
            lines = [head, f"Nothing collected in the {esc(s.window_label)}: last collected "
                           f"{when(s.last_collected_at, s.tz)}."]
            return "\n".join([*lines, esc(note)] if note else lines)
        return f"{head}\n{esc(note)}" if note and s.status == "failed" else (
            f"{head}\nNot collected yet: the numbers appear after its first collection.")
    cur, prev = s.current, s.previous
    lines = [
        head,
        f"collected {when(s.last_collected_at, s.tz)}"
        + ("" if prev is None else "; before = the window before"),
        *([f"<b>{esc(note)}</b>: these figures are as of that collection."] if note else []),
        *(f"<i>{esc(n)}</i>" for n in coverage_notes(s, when(s.history_from, s.tz))),
        "",
        _line("Subscribers", lambda m: _subscribers(m, s.tz), cur, prev,
              known=lambda m: m.subscribers is not None),
        _line(
            "Posts", lambda m: f"{m.posts}, {_ratio(m.posts_per_day)} a day", cur, prev, known=lambda m: True
        ),
        _line(
            "Views per post",
            lambda m: f"mean {human(m.views_mean)} · median {human(m.views_median)}",
            cur,
            prev,
        ),
        _line("ERR", lambda m: pct(m.err), cur, prev),
        _line("ERR24", _err24, cur, prev),
        _line("ER", lambda m: pct(m.er), cur, prev),
        (
            f"Per post: {_ratio(cur.forwards_per_post)} forwards · {_ratio(cur.reactions_per_post)} reactions"
            f" · {_ratio(cur.paid_reactions_per_post)} paid · {_ratio(cur.replies_per_post)} replies"
        ),
        "",
        *_tops("Top posts by views", s.top_by_views, lambda p: f"{human(p.views)} views"),
        *_tops("Top posts by ER", s.top_by_er, lambda p: f"ER {pct(p.er)}"),
    ]
    if s.best_hour is not None:
        best = s.best_hour
        shown = (
            best.text
            if best.hour is None
            else f"{best.text} {esc(s.tz)} (median {human(best.median_views)} views)"
        )
        lines += ["", f"Best posting hour: {shown}"]
    return "\n".join(lines)


def _overview_change(r: OverviewRow, tz: str) -> str:
    if r.subscribers_change_pct is None:
        return ""
    since = r.subscribers_change_since
    return f" ({pct(r.subscribers_change_pct, sign=True)}{f' since {when(since, tz)}' if since else ''})"


def render_overview(rows: Sequence[OverviewRow], label: str, tz: str) -> str:
    if not rows:
        return "No channels tracked yet. Add one with /add_channel @name"
    lines = [f"<b>All channels</b> — {esc(label)}"]
    for i, r in enumerate(rows, 1):
        name = heading(r)
        note = status_note(r.status, r.status_reason)
        if r.last_collected_at is None:
            why = esc(note) if note and r.status == "failed" else "not collected yet"
            lines.append(f"{i}. {name}: {why}")
            continue
        tail = f" — {esc(note)}" if note else ""
        if r.posts is None:
            lines.append(f"{i}. {name}: not collected since {when(r.last_collected_at, tz)}{tail}")
            continue
        since = f" (posts read back to {when(r.history_from, tz)} so far)" if r.partial else ""
        lines.append(
            f"{i}. {name}: {human(r.subscribers)} subscribers{_overview_change(r, tz)}, "
            f"{human(r.posts)} posts{since}, {human(r.views_per_post)} views/post, ERR {pct(r.err)}, "
            f"ER {pct(r.er)}{tail}"
        )
    lines.append("\nOne channel in detail: /stats @name [24h|7d|30d|all]")
    return "\n".join(lines)


def render_post_history(h: PostHistory, tz: str) -> str:
    lines = [
        f"<b>@{esc(h.username)}/{h.message_id}</b> — {link(h.link, h.excerpt or 'open the post')}",
        f"published {when(h.date, tz)}, {h.age_hours:.1f} h ago" + (" — deleted since" if h.deleted else ""),
    ]
    if not h.points:
        return "\n".join([*lines, "No counter snapshots yet: they come with the next collections."])
    lines.append(f"<b>Counters at {len(h.points)} snapshot(s)</b>")
    for p in h.points:
        lines.append(
            f"at {p.age_hours:.1f} h: {human(p.views)} views · {human(p.forwards)} forwards · "
            f"{human(p.reactions)} reactions · {human(p.replies)} replies"
        )
    return "\n".join(lines)
