"""An admin adds channels and works with what the collector stored, end to end over the Bot API."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from storage.channels import ChannelRepo
from storage.db import read
from storage.models import Run
from storage.posts import PostRepo
from storage.runs import RunRepo
from tests.bot.conftest import ADMIN, Harness

PNG = b"\x89PNG\r\n\x1a\n"


async def only_run(running: Harness, username: str) -> tuple[Run, int]:
    """The channel's one run and the posts stored for it."""
    async with read(running.engine) as conn:
        channel = await ChannelRepo(conn).get_by_username(username)
        assert channel is not None
        [run] = await RunRepo(conn).recent(channel_id=channel.id)
        stored = (await PostRepo(conn).count_by_channel()).get(channel.id, 0)
    return run, stored


async def added_and_collected(running: Harness) -> list[str]:
    reply = await running.ask_one("/add_channel @pulse_news t.me/pulse_gone_away t.me/+PrivateInvite")
    assert "Queued: @pulse_news, @pulse_gone_away" in reply.text
    assert "Refused:" in reply.text and "private invite link" in reply.text
    news = await running.server.next_messages(ADMIN, 2)
    return sorted(m.text for m in news)


async def test_adding_channels_reports_the_first_collection_and_the_failure(running: Harness) -> None:
    failed, done = await added_and_collected(running)
    found = re.match(r"First collection of Pulse News \(@pulse_news\) is done: (\d+) posts stored\.", done)
    assert found, done
    # The run reads 50 messages; the service messages among them (pins, photo changes) are no posts.
    run, stored = await only_run(running, "pulse_news")
    posts = int(found.group(1))
    assert 45 <= posts <= 50 and posts == run.fetched == run.new == stored and run.error is None
    assert "/stats @pulse_news" in done
    assert failed.startswith("Could not collect @pulse_gone_away: no channel is called")

    again = await running.ask_one("/add_channel pulse_news")
    assert "Already tracked: @pulse_news — active" in again.text

    listing = (await running.ask_one("/channels")).text
    assert "@pulse_news) — active" in listing and f"{posts} posts stored" in listing
    assert "@pulse_gone_away — failed: no channel is called @pulse_gone_away" in listing


async def test_stats_charts_posts_and_exports_arrive(running: Harness) -> None:
    await added_and_collected(running)
    summary = (await running.ask_one("/stats @pulse_news 30d")).text
    assert "Pulse News (@pulse_news) — last 30 days" in summary
    for label in ("Subscribers:", "Posts:", "Views per post:", "ERR:", "ERR24:", "ER:", "Top posts by views"):
        assert label in summary
    overview = (await running.ask_one("/stats")).text
    assert "All channels — last 7 days" in overview
    assert "@pulse_gone_away: collection failed: no channel is called @pulse_gone_away" in overview

    charts = await running.ask("/chart @pulse_news 7d", count=2)
    assert [m.kind for m in charts] == ["photo", "photo"]
    assert all(m.data and m.data.startswith(PNG) and len(m.data) > 5_000 for m in charts)
    assert "views per post and subscribers" in charts[0].text

    export = await running.ask_one("/export @pulse_news")
    assert export.kind == "document" and export.filename == "pulse_news-posts.csv"
    rows = list(csv.DictReader(io.StringIO(export.data.decode())))
    run, stored = await only_run(running, "pulse_news")
    assert 45 <= run.fetched == stored == len(rows) <= 50 and f"{stored} posts" in export.text
    newest = max(int(r["message_id"]) for r in rows)

    post = await running.ask(f"/post https://t.me/pulse_news/{newest}", count=2)
    assert post[0].kind == "text" and f"@pulse_news/{newest}" in post[0].text
    assert "Counters at 1 snapshot(s)" in post[0].text
    assert post[1].kind == "photo" and post[1].data.startswith(PNG)

    series = await running.ask_one("/export @pulse_news series")
    assert series.filename == "pulse_news-snapshots.csv"
    assert series.data.decode().splitlines()[0].startswith("message_id,run_id,taken_at")


async def test_stats_mistakes_get_one_line(running: Harness) -> None:
    assert "not tracked — /add_channel it" in (await running.ask_one("/stats @nobody_here")).text
    assert (await running.ask_one("/stats @alpha_one @beta_two")).text.startswith("Usage: /stats")
    assert (await running.ask_one("/chart")).text.startswith("Usage: /chart")
    assert (await running.ask_one("/export @pulse_news csv")).text.startswith("Usage: /export")
    assert "names a channel, not a post" in (await running.ask_one("/post @pulse_news")).text
    assert (await running.ask_one("/add_channel")).text.startswith("Usage: /add_channel")


async def test_a_channel_that_failed_says_why_instead_of_zeros(running: Harness) -> None:
    await added_and_collected(running)
    text = (await running.ask_one("/stats @pulse_gone_away")).text
    assert "Collection failed: no channel is called @pulse_gone_away" in text
    assert "Subscribers" not in text
    assert "not collected yet; no chart" in (await running.ask_one("/chart @pulse_gone_away")).text


async def test_status_when_idle(running: Harness) -> None:
    text = (await running.ask_one("/status")).text
    assert text.startswith("Collector: idle")
    assert "account: no request sent yet" in text  # the ledger is empty: nothing was ever sent
    assert "load: 0 of ~43 channel runs per hour" in text


async def test_a_long_flood_wait_postpones_the_channel_and_says_so(running: Harness) -> None:
    running.telegram.inject_flood_wait("history", 7200)  # longer than MTPROTO_MAX_FLOOD_WAIT (3600 s)
    await running.ask_one("/add_channel @pulse_tech")
    (notice,) = await running.server.next_messages(ADMIN)
    assert "Telegram asked the collector to wait 7,200 s" in notice.text
    assert "@pulse_tech" in notice.text and "postponed to a later round" in notice.text
    status = (await running.ask_one("/status")).text
    until = running.clock.now() + timedelta(seconds=7200)
    assert f"account: blocked until {until:%H:%M} UTC by a 7200 s FloodWait on GetHistory" in status
    assert "1 FloodWait today" in status and "1 resolve today" in status
