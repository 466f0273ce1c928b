"""The sandbox Telegram: deterministic, growing, and faithful to the ChannelSource contract."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from clock import VirtualClock
from collector.source import ChannelInvalid, ChannelKey, ChannelUnavailable, FloodWait, SourceDisconnected
from sandbox.telegram import PRIVATE_CHANNEL, PUBLIC_CHANNELS, SandboxTelegram


async def test_same_seed_and_time_give_the_same_channel(now: datetime) -> None:
    a, b = SandboxTelegram(VirtualClock(now)), SandboxTelegram(VirtualClock(now))
    ra, rb = await a.resolve("pulse_news"), await b.resolve("PULSE_NEWS")
    assert ra == rb
    assert await a.get_history(ra.key, 50) == await b.get_history(rb.key, 50)
    other = SandboxTelegram(VirtualClock(now), seed=8)
    assert (await other.resolve("pulse_news")).access_hash != ra.access_hash


async def test_counters_and_subscribers_grow_with_time(now: datetime) -> None:
    clock = VirtualClock(now)
    tg = SandboxTelegram(clock)
    key = (await tg.resolve("pulse_news")).key
    before = (await tg.get_history(key, 5))[-1]
    subs_before = (await tg.get_info(key)).subscribers
    clock.advance(6 * 3600)
    (after,) = await tg.get_messages(key, [before.message_id])
    assert after is not None and after.views is not None and before.views is not None
    assert after.views > before.views
    assert (await tg.get_info(key)).subscribers != subs_before


async def test_channels_carry_albums_edits_forwards_and_paid_reactions(now: datetime) -> None:
    tg = SandboxTelegram(VirtualClock(now))
    for name in PUBLIC_CHANNELS:
        key = (await tg.resolve(name)).key
        # Telegram returns at most 100 messages a request however many are asked for, and service
        # messages count toward them: two pages of 100 messages hold fewer than 200 posts.
        newest = await tg.get_history(key, 200)
        older = await tg.get_history(key, 100, older_than=newest.oldest_id)
        assert newest.returned == older.returned == 100, name
        assert older.oldest_id is not None and newest.oldest_id is not None
        assert older.oldest_id < newest.oldest_id
        posts = [*older, *newest]
        assert 180 <= len(posts) < 200, name
        assert any(p.grouped_id for p in posts), name
        assert any(p.edit_date for p in posts), name
        assert any(p.forward_from for p in posts), name
        assert any(p.paid_reactions for p in posts), name
        assert any(p.reactions_json and "custom:5368324170671202286" in p.reactions_json for p in posts)
        ids = [p.message_id for p in posts]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        assert min(ids) >= older.oldest_id
        assert max(ids) - min(ids) + 1 > len(ids)  # service messages and deletions leave gaps


async def test_deleted_posts_reread_as_none(now: datetime) -> None:
    clock = VirtualClock(now - timedelta(days=2))
    tg = SandboxTelegram(clock)
    key = (await tg.resolve("pulse_news")).key
    early = {p.message_id for p in await tg.get_history(key, 100)}
    clock.advance(3 * 86400)
    reread = await tg.get_messages(key, sorted(early))
    assert 0 < sum(p is None for p in reread) < len(early)


async def test_private_missing_and_faults(now: datetime) -> None:
    clock = VirtualClock(now)
    tg = SandboxTelegram(clock)
    with pytest.raises(ChannelUnavailable, match="not taken"):
        await tg.resolve("no_such_channel")
    private = await tg.resolve(PRIVATE_CHANNEL)
    with pytest.raises(ChannelUnavailable, match="private"):
        await tg.get_history(private.key, 10)
    with pytest.raises(ChannelInvalid):
        await tg.get_info(ChannelKey(private.tg_id, private.access_hash + 1))
    key = (await tg.resolve("pulse_tech")).key
    tg.inject_flood_wait("history", 30, times=2)
    tg.inject_disconnect("info")
    for _ in range(2):
        with pytest.raises(FloodWait):
            await tg.get_history(key, 10)
    page = await tg.get_history(key, 10)
    assert page.returned == 10 and 0 < len(page) <= 10  # service messages among the 10 are no posts
    with pytest.raises(SourceDisconnected):
        await tg.get_info(key)
    assert [k for k, _ in tg.requests][-4:] == ["history", "history", "history", "info"]
    assert all(t == now for _, t in tg.requests)


async def test_each_session_file_is_an_account_and_crowd_channels_are_public(now: datetime) -> None:
    from pathlib import Path

    from sandbox.telegram import ACCOUNT_ID, crowd, sandbox_account

    assert sandbox_account(Path("data/pulse.session")) == ACCOUNT_ID
    second, third = sandbox_account(Path("data/acc2.session")), sandbox_account(Path("data/acc3.session"))
    assert len({ACCOUNT_ID, second, third}) == 3
    assert sandbox_account(Path("/elsewhere/acc2.session")) == second  # one session, two machines
    assert await SandboxTelegram(VirtualClock(now), account=second).account_id() == second
    tg = SandboxTelegram(VirtualClock(now))
    names = crowd(250)
    ids = {(await tg.resolve(name)).tg_id for name in names}
    assert len(ids) == 250
    for name in names[:5]:
        page = await tg.get_history((await tg.resolve(name)).key, 50)
        assert len(page.posts) >= 45, name  # a first run's full page
    with pytest.raises(ValueError):
        crowd(251)
