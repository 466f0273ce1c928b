"""/channels, /pause, /resume, /remove_channel as an admin sees them."""

from __future__ import annotations

from datetime import timedelta

from bot.render import utf16_len
from storage.db import read
from storage.posts import PostRepo
from tests.bot.conftest import Harness
from tests.bot.seed import add_channel


async def test_channels_shows_status_reason_posts_subscribers_and_times(running: Harness) -> None:
    now = running.clock.now()
    running.collector.next_run_hook = lambda: now + timedelta(minutes=40)  # the job's next run
    await add_channel(running.engine, "alpha_news", now, title="Alpha News", posts=12, subscribers=12_345)
    await add_channel(running.engine, "ghostchan", now, status="failed", reason="the channel is private")
    await add_channel(running.engine, "fresh_one", now, status="queued")
    text = (await running.ask_one("/channels")).text
    assert "Tracked channels: 3" in text
    assert "Alpha News (@alpha_news) — active" in text
    assert "12 posts stored · 12.3K subscribers" in text
    # 12:00 UTC on 2 March is 13:00 in Berlin; collected 30 min before and due in 30 min, so the
    # job's run in 40 min is the one that collects it.
    assert "last collected: 2 Mar 12:30 CET · next: 2 Mar 13:40 CET" in text
    assert "@ghostchan — failed: the channel is private" in text
    assert "@fresh_one — queued, first collection pending" in text
    assert "unknown subscribers" in text  # never a 0 for a count we do not have


async def test_an_html_hostile_title_shows_exactly_as_typed(running: Harness) -> None:
    await add_channel(running.engine, "hostile", running.clock.now(), title="<b>x</b> & co")
    reply = await running.ask_one("/channels")
    assert "<b>x</b> & co (@hostile)" in reply.text


async def test_300_channels_arrive_split_every_part_within_4096(running: Harness) -> None:
    now = running.clock.now()
    for i in range(300):
        await add_channel(
            running.engine, f"channel_{i:03d}", now, title=f"Channel «{i}» & <friends>", posts=i % 3
        )
    parts = await running.ask_all("/channels")
    assert len(parts) > 1
    assert all(utf16_len(p.text) <= 4096 for p in parts)
    text = "\n".join(p.text for p in parts)
    assert all(f"(@channel_{i:03d})" in text for i in range(300))
    assert text.index("@channel_000") < text.index("@channel_150") < text.index("@channel_299")


async def test_pause_and_resume_keep_the_data(running: Harness) -> None:
    channel = await add_channel(running.engine, "pausable", running.clock.now(), posts=5)
    assert "nothing to resume" in (await running.ask_one("/resume @pausable")).text
    assert "Paused" in (await running.ask_one("/pause @pausable")).text
    assert "already paused" in (await running.ask_one("/pause t.me/pausable")).text
    assert "@pausable — paused" in (await running.ask_one("/channels")).text
    # Resuming wakes the collector, whose news about the channel may come before the reply or
    # after it (the sandbox has no such channel, so that collection fails at once).
    assert any("Resumed" in m.text for m in await running.ask_all("/resume pausable"))
    # /resume retries a failed one.
    assert any("Resumed" in m.text for m in await running.ask_all("/resume @pausable"))
    async with read(running.engine) as conn:
        assert len(await PostRepo(conn).list(channel.id)) == 5


async def test_malformed_and_unknown_references_get_one_line_each(running: Harness) -> None:
    assert (await running.ask_one("/pause")).text.startswith("Usage: /pause <ref>")
    assert (await running.ask_one("/pause @a @b")).text.startswith("Usage: /pause <ref>")
    private = (await running.ask_one("/pause t.me/+AbCdEf")).text
    assert "private invite link" in private
    assert "not tracked — /add_channel it" in (await running.ask_one("/resume @nobody_here")).text


async def test_remove_asks_first_and_deletes_the_data_when_told(running: Harness) -> None:
    channel = await add_channel(running.engine, "goner", running.clock.now(), posts=4)
    question = await running.ask_one("/remove_channel @goner")
    assert "4 posts are stored" in question.text
    assert question.buttons == ["Delete data", "Keep data", "Cancel"]
    await running.server.press_button(1001, question, "Delete data")
    edit = (await running.server.next_messages(1001))[0]
    assert edit.kind == "edit" and "deleted its stored data" in edit.text and edit.buttons == []
    async with read(running.engine) as conn:
        assert await PostRepo(conn).list(channel.id) == []
    assert "No channels tracked yet" in (await running.ask_one("/channels")).text


async def test_remove_can_keep_the_data_or_be_cancelled(running: Harness) -> None:
    channel = await add_channel(running.engine, "keeper", running.clock.now(), posts=3)
    question = await running.ask_one("/remove_channel @keeper")
    await running.server.press_button(1001, question, "Cancel")
    assert "nothing changed" in (await running.server.next_messages(1001))[0].text
    assert "@keeper — active" in (await running.ask_one("/channels")).text

    question = await running.ask_one("/remove_channel @keeper")
    await running.server.press_button(1001, question, "Keep data")
    assert "data is kept" in (await running.server.next_messages(1001))[0].text
    async with read(running.engine) as conn:
        assert len(await PostRepo(conn).list(channel.id)) == 3
    assert "@keeper — paused (removed, data kept)" in (await running.ask_one("/channels")).text


async def test_a_cancel_answered_with_retry_after_still_replaces_the_question(running: Harness) -> None:
    await add_channel(running.engine, "keeper", running.clock.now(), posts=3)
    question = await running.ask_one("/remove_channel @keeper")
    running.server.inject_retry_after(1, method="editMessageText")
    await running.server.press_button(1001, question, "Cancel")
    (edit,) = await running.server.next_messages(1001)
    assert edit.kind == "edit" and "nothing changed" in edit.text and edit.buttons == []
