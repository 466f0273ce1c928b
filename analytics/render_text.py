"""Terminal rendering of summaries and the overview with rich; unknown figures print as "n/a"."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from analytics.records import ChannelSummary, OverviewRow, WindowMetrics
from analytics.service import coverage_notes, status_note

NA = "n/a"


def num(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return NA
    return f"{value:,.{digits}f}"


def percent(value: float | None, digits: int = 2, signed: bool = False) -> str:
    if value is None:
        return NA
    return f"{value:+.{digits}f} %" if signed else f"{value:.{digits}f} %"


def when(value: datetime | None) -> str:
    return NA if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


def _change(m: WindowMetrics) -> str:
    if m.subscribers_change is None:
        return NA
    since = f" since {when(m.change_starts_late)}" if m.change_starts_late else ""
    return f"{m.subscribers_change:+,} ({percent(m.subscribers_change_pct, 1, signed=True)}){since}"


ROWS: tuple[tuple[str, Callable[[WindowMetrics], str]], ...] = (
    ("Subscribers", lambda m: num(m.subscribers)),
    ("Subscriber change", _change),
    ("Posts", lambda m: num(m.posts)),
    ("Posts per day", lambda m: num(m.posts_per_day, 2)),
    ("Views per post (mean)", lambda m: num(m.views_mean)),
    ("Views per post (median)", lambda m: num(m.views_median)),
    ("ERR", lambda m: percent(m.err)),
    ("ERR24", lambda m: f"{percent(m.err24)} ({m.err24_posts} posts)" if m.err24 is not None else NA),
    ("ER", lambda m: percent(m.er)),
    ("Forwards per post", lambda m: num(m.forwards_per_post, 2)),
    ("Reactions per post", lambda m: num(m.reactions_per_post, 2)),
    ("Paid reactions per post", lambda m: num(m.paid_reactions_per_post, 2)),
    ("Replies per post", lambda m: num(m.replies_per_post, 2)),
)


def print_summary(summary: ChannelSummary, console: Console) -> None:
    name = f"{summary.title} (@{summary.username})" if summary.title else f"@{summary.username}"
    head = f"{name}, {summary.window_label}"
    note = status_note(summary.status, summary.status_reason, start=True)
    if summary.current is None:
        if summary.unread:
            console.print(f"{head}: nothing collected in this window — last collected "
                          f"{when(summary.last_collected_at)}.", markup=False)
        elif note is None or summary.status != "failed":
            console.print(f"{head}: never collected yet — no numbers until the first collection.",
                          markup=False)
        if note:
            console.print(f"{note}.", markup=False)
        return
    table = Table(title=head, caption=f"collected {when(summary.last_collected_at)}")
    table.add_column("metric")
    table.add_column("this window", justify="right")
    beside = summary.window != "all"  # "all" has no window before it
    if beside:
        table.add_column("previous window", justify="right")
    before = "not read" if summary.previous_unread else NA
    for label, fmt in ROWS:
        cells = [label, fmt(summary.current)]
        if beside:
            cells.append(fmt(summary.previous) if summary.previous else before)
        table.add_row(*cells)
    console.print(table)
    if note:
        console.print(f"{note}: these figures are as of that collection.", markup=False)
    for line in coverage_notes(summary, when(summary.history_from)):
        console.print(line, markup=False)
    tops = (("Top posts by views", summary.top_by_views), ("Top posts by ER", summary.top_by_er))
    for title, posts in tops:
        console.print(f"[bold]{title}[/bold]")
        for p in posts:
            console.print(f"  {num(p.views)} views, ER {percent(p.er)}  {p.link}  {p.excerpt}", markup=False)
        if not posts:
            console.print("  none yet")
    best = summary.best_hour
    if best is not None:
        shown = best.text
        if best.hour is not None:
            shown += f" {summary.tz} (median {num(best.median_views)} views)"
        console.print(f"[bold]Best posting hour:[/bold] {shown}")


def print_overview(rows: Sequence[OverviewRow], label: str, console: Console) -> None:
    if not rows:
        console.print(
            "No channels tracked yet — add one with /add_channel or `python main.py collect @name`.",
            markup=False,
        )
        return
    table = Table(title=f"All channels, {label}")
    for name in ("channel", "subscribers", "Δ", "posts", "views/post", "ERR", "ER", "collected", "status"):
        table.add_column(name, justify="left" if name == "channel" else "right")
    for r in rows:
        cells: list[Any] = [
            f"@{r.username}", num(r.subscribers),
            NA if r.subscribers_change is None else f"{r.subscribers_change:+,}" + (
                f" since {when(r.subscribers_change_since)}" if r.subscribers_change_since else ""),
            num(r.posts) + ("*" if r.partial else ""), num(r.views_per_post), percent(r.err),
            percent(r.er),
            "never" if r.last_collected_at is None else when(r.last_collected_at),
            status_note(r.status, r.status_reason) or r.status,
        ]
        table.add_row(*cells)
    console.print(table)
    if any(r.partial for r in rows):
        console.print("* posts are still being read back: the window reaches past the oldest post read.")
