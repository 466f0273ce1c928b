"""The /stats summary as pure rendering: escaped, compact, the previous window beside each figure."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from analytics.records import BestHour, ChannelSummary, TopPost, WindowMetrics
from bot.render_stats import render_summary
from sandbox.botapi_html import parse_html

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
METRICS = WindowMetrics(
    start=None,
    end=NOW,
    subscribers=12_345,
    subscribers_at=NOW,
    subscribers_change=1_200,
    subscribers_change_pct=10.77,
    subscribers_change_since=None,
    posts=35,
    posts_per_day=5.0,
    views_posts=35,
    views_mean=1_234.0,
    views_median=900.0,
    err=9.81,
    err24=7.5,
    err24_posts=30,
    er=3.44,
    forwards_per_post=1.2,
    reactions_per_post=30.0,
    paid_reactions_per_post=0.0,
    replies_per_post=4.0,
)
TOP = TopPost(7, NOW, "https://t.me/x_chan/7?a=1&b=2", "<script> & friends", 5_000, 12.0)


def summary(**changes: object) -> ChannelSummary:
    base = ChannelSummary(
        1,
        "x_chan",
        "<b>x</b> & co",
        "active",
        "7d",
        "last 7 days",
        NOW,
        "Europe/Berlin",
        NOW,
        METRICS,
        replace(METRICS, subscribers=11_145, subscribers_change=None, posts=30, err=9.1),
        (TOP,),
        (TOP,),
        BestHour(18, 1_500.0, ()),
    )
    return replace(base, **changes)


def test_every_figure_with_the_previous_window_and_hostile_strings_escaped() -> None:
    shown = parse_html(render_summary(summary())).plain
    assert shown.startswith("<b>x</b> & co (@x_chan) — last 7 days")
    assert "Subscribers: 12.3K (+1.2K, +10.8%) (before: 11.1K)" in shown
    assert "Posts: 35, 5.0 a day (before: 30, 5.0 a day)" in shown
    assert "ERR: 9.8% (before: 9.1%)" in shown
    assert "ERR24: 7.5% on 30 posts" in shown
    assert "1. 5K views — <script> & friends" in shown
    assert "Best posting hour: 18:00–18:59 Europe/Berlin (median 1.5K views)" in shown
    assert 'href="https://t.me/x_chan/7?a=1&amp;b=2"' in render_summary(summary())


def test_a_never_collected_channel_shows_no_numbers() -> None:
    shown = parse_html(render_summary(summary(last_collected_at=None, current=None, previous=None))).plain
    assert "Not collected yet" in shown and "Subscribers" not in shown and "0" not in shown.split("\n", 1)[1]


def test_a_failed_channel_says_why_instead_of_not_collected_yet() -> None:
    failed = summary(last_collected_at=None, current=None, previous=None, status="failed",
                     status_reason="@x_chan is private: the account is not a member <sic>")
    shown = parse_html(render_summary(failed)).plain
    assert "Collection failed: @x_chan is private: the account is not a member <sic>" in shown
    assert "Not collected yet" not in shown


def test_the_overview_names_a_failed_channel_as_failed() -> None:
    from analytics.records import OverviewRow
    from bot.render_stats import render_overview

    row = OverviewRow(1, "gone", None, "failed", None, None, None, None, None, None, None, None,
                      status_reason="@gone is private")
    shown = parse_html(render_overview([row], "last 7 days", "UTC")).plain
    assert "@gone: collection failed: @gone is private" in shown


def test_a_window_reaching_past_the_oldest_post_read_says_so_instead_of_comparing() -> None:
    unread = summary(
        current=replace(METRICS, start=datetime(2026, 2, 1, 12, 0, tzinfo=UTC)), previous=None,
        history_from=datetime(2026, 2, 10, 9, 30, tzinfo=UTC), previous_unread=True,
    )
    shown = parse_html(render_summary(unread)).plain
    assert "Posts are read back to 10 Feb 10:30 CET so far" in shown
    assert "Nothing to compare with: the window before reaches past the oldest post read" in shown
    assert "(before:" not in shown


def test_the_overview_marks_a_channel_still_being_read_back() -> None:
    from analytics.records import OverviewRow
    from bot.render_stats import render_overview

    row = OverviewRow(1, "young", None, "active", NOW, 10, None, None, 3, 100.0, 1.0, 2.0,
                      history_from=datetime(2026, 2, 27, 12, 0, tzinfo=UTC), partial=True)
    shown = parse_html(render_overview([row], "last 7 days", "UTC")).plain
    assert "3 posts (posts read back to 27 Feb 12:00 UTC so far)" in shown
