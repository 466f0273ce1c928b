import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage.alerts import AlertRepo
from storage.channels import ChannelRepo
from storage.db import read, write
from storage.digests import DigestRepo
from storage.models import Counters, CounterSnapshot, Post, RunResult
from storage.posts import PostRepo
from storage.runs import RunRepo
from storage.subscribers import SubscriberRepo
from storage.tables import counter_snapshots, posts


async def _channel(engine, now, username="durov"):
    async with write(engine) as conn:
        channel, _ = await ChannelRepo(conn).add(f"@{username}", username, 42, now)
    return channel


async def test_adding_a_channel_twice_keeps_one_queued_row(engine, now) -> None:
    async with write(engine) as conn:
        repo = ChannelRepo(conn)
        first, created = await repo.add("https://t.me/Durov", "Durov", 42, now)
        again, created_again = await repo.add("@durov", "durov", 7, now)
    assert created and not created_again
    assert again.id == first.id and again.username == "durov" and again.ref == "https://t.me/Durov"
    assert first.status == "queued" and first.added_by == 42 and first.tg_id is None


async def test_channel_round_trip_and_due_order(engine, now) -> None:
    a = await _channel(engine, now, "alpha")
    b = await _channel(engine, now, "beta")
    async with write(engine) as conn:
        repo = ChannelRepo(conn)
        await repo.set_resolved(a.id, 1001, -55, "Alpha <news>", 777)
        await repo.update(a.id, last_collected_at=now, next_collection_at=now + timedelta(hours=1),
                          newest_message_id=90, oldest_message_id=41, status="active")
        stored = await repo.get(a.id)
        # beta was never collected: it comes first; alpha is not due for an hour
        assert (await repo.next_due(now)).id == b.id
        assert await repo.next_due(now, exclude=(b.id,)) is None
        assert (await repo.next_due(now + timedelta(hours=2), exclude=(b.id,))).id == a.id
        await repo.set_status(b.id, "failed", "the channel is private")
        assert await repo.count_due(now + timedelta(hours=2)) == 1
    assert stored.tg_id == 1001 and stored.access_hash == -55 and stored.resolved_by == 777
    assert stored.resolve_count == 1 and stored.title == "Alpha <news>"
    assert stored.newest_message_id == 90 and stored.last_collected_at == now


async def test_post_upsert_is_idempotent_and_keeps_first_seen(engine, now) -> None:
    channel = await _channel(engine, now)
    post = Post(channel.id, 10, now - timedelta(hours=3), "hello", "photo", 5, views=100, reactions=3,
                paid_reactions=1, reactions_json={"👍": 3})
    later = now + timedelta(minutes=30)
    async with write(engine) as conn:
        repo = PostRepo(conn)
        assert await repo.upsert(post, now) is True
        assert await repo.upsert(post, now) is False
        assert await repo.upsert(Post(channel.id, 10, post.date, "hello (edited)", views=150), later) is False
    async with read(engine) as conn:
        stored = await PostRepo(conn).list(channel.id)
        count = (await conn.execute(select(func.count()).select_from(posts))).scalar_one()
    assert count == 1
    assert stored[0].text == "hello (edited)" and stored[0].views == 150
    assert stored[0].first_seen_at == now and stored[0].updated_at == later


async def test_text_with_nul_characters_is_stored_without_them(engine, now) -> None:
    """PostgreSQL refuses NUL in text; a post or title holding one is stored on both backends."""
    channel = await _channel(engine, now)
    post = Post(channel.id, 11, now, "before\x00after", forward_from="Some\x00one",
                post_author="Ed\x00itor")
    async with write(engine) as conn:
        await PostRepo(conn).upsert(post, now)
        await ChannelRepo(conn).set_resolved(channel.id, 1001, -55, "Ti\x00tle", 777)
    async with read(engine) as conn:
        stored = await PostRepo(conn).get(channel.id, 11)
        title = (await ChannelRepo(conn).get(channel.id)).title
    assert (stored.text, stored.forward_from, stored.post_author, title) == (
        "beforeafter", "Someone", "Editor", "Title")


async def test_snapshots_append_per_run_and_replace_within_a_run(engine, now) -> None:
    channel = await _channel(engine, now)
    async with write(engine) as conn:
        await PostRepo(conn).upsert(Post(channel.id, 1, now), now)
        runs = RunRepo(conn)
        r1, r2 = await runs.start(channel.id, now), await runs.start(channel.id, now)
        repo = PostRepo(conn)
        await repo.add_snapshot(CounterSnapshot(channel.id, 1, r1, now, views=10))
        await repo.add_snapshot(CounterSnapshot(channel.id, 1, r1, now, views=12))
        await repo.add_snapshot(CounterSnapshot(channel.id, 1, r2, now + timedelta(hours=1), views=20,
                                                reactions_json={"🔥": 2}))
    async with read(engine) as conn:
        snaps = await PostRepo(conn).snapshots(channel.id, 1)
    assert [s.views for s in snaps] == [12, 20]
    assert snaps[1].reactions_json == {"🔥": 2}


async def test_deleted_post_keeps_its_history(engine, now) -> None:
    channel = await _channel(engine, now)
    async with write(engine) as conn:
        repo = PostRepo(conn)
        await repo.upsert(Post(channel.id, 3, now, "bye"), now)
        run = await RunRepo(conn).start(channel.id, now)
        await repo.add_snapshot(CounterSnapshot(channel.id, 3, run, now, views=5))
        await repo.update_counters(channel.id, 3, Counters(views=9, forwards=1), now)
        await repo.mark_deleted(channel.id, 3, now + timedelta(hours=1))
    async with read(engine) as conn:
        post = await PostRepo(conn).get(channel.id, 3)
        snaps = await PostRepo(conn).snapshots(channel.id, 3)
    assert post.deleted and post.deleted_at == now + timedelta(hours=1) and post.views == 9
    assert len(snaps) == 1


async def test_runs_and_subscribers_round_trip(engine, now) -> None:
    channel = await _channel(engine, now)
    async with write(engine) as conn:
        runs = RunRepo(conn)
        run_id = await runs.start(channel.id, now)
        result = RunResult(fetched=50, new=48, updated=2, pacing_seconds={"message": 24.5, "batch": 27},
                           flood_waits=1, flood_wait_seconds=30.0)
        await runs.finish(run_id, result, now + timedelta(seconds=80))
        subs = SubscriberRepo(conn)
        await subs.add(channel.id, run_id, now, None)
        await subs.add(channel.id, run_id, now, 1500)  # the same run again replaces
        run2 = await runs.start(channel.id, now + timedelta(hours=1))
        await subs.add(channel.id, run2, now + timedelta(hours=1), None)
    async with read(engine) as conn:
        run = await RunRepo(conn).get(run_id)
        history = await SubscriberRepo(conn).history(channel.id)
        recent = await RunRepo(conn).recent(channel_id=channel.id)
    assert run.fetched == 50 and run.new == 48 and run.pacing_seconds == {"message": 24.5, "batch": 27}
    assert run.flood_waits == 1 and run.finished_at == now + timedelta(seconds=80)
    assert [h.subscribers for h in history] == [1500, None]  # unknown stays unknown, never 0
    assert [r.id for r in recent] == [run2, run_id]


async def test_a_channel_with_its_latest_run_is_what_the_two_reads_give(engine, now) -> None:
    channel = await _channel(engine, now)
    other = await _channel(engine, now, "other")
    async with read(engine) as conn:
        never_ran = await ChannelRepo(conn).get_with_latest_run("Durov")
        unknown = await ChannelRepo(conn).get_with_latest_run("nobody")
    async with write(engine) as conn:
        runs = RunRepo(conn)
        first = await runs.start(channel.id, now)
        finished = RunResult(fetched=3, pacing_seconds={"message": 1.5})
        await runs.finish(first, finished, now + timedelta(seconds=9))
        running = await runs.start(channel.id, now + timedelta(hours=1))  # started, not finished
        await runs.start(other.id, now + timedelta(hours=2))  # another channel's newer run
    async with read(engine) as conn:
        found = await ChannelRepo(conn).get_with_latest_run("durov")
        expected = (await ChannelRepo(conn).get(channel.id), await RunRepo(conn).latest(channel.id))
    assert never_ran == (channel, None) and unknown is None
    assert found == expected and found[1].id == running and found[1].finished_at is None


async def test_digest_subscriptions_and_alerts(engine, now) -> None:
    channel = await _channel(engine, now)
    async with write(engine) as conn:
        repo = DigestRepo(conn)
        sub = await repo.subscribe(99, "weekly", "09:30", "Europe/Berlin", [channel.id], now, weekday=0)
        again = await repo.subscribe(99, "weekly", "09:30", "Europe/Berlin", [], now, weekday=0)
        daily = await repo.subscribe(99, "daily", "08:00", "UTC", [], now)
        daily_again = await repo.subscribe(99, "daily", "08:00", "UTC", [channel.id], now)
        assert daily_again.id == daily.id and daily_again.channel_ids == (channel.id,)
        await repo.set_last_slot(sub.id, now)
        assert await repo.set_paused(99, True) == 2
        alerts = AlertRepo(conn)
        assert await alerts.record("subs:1:2026-03-02", "subscribers", "jump", now, channel.id)
        assert not await alerts.record("subs:1:2026-03-02", "subscribers", "jump", now, channel.id)
        await alerts.mark_delivered("subs:1:2026-03-02", now)
        assert await alerts.undelivered() == []
    async with read(engine) as conn:
        subs = await DigestRepo(conn).list(99)
    assert again.id == sub.id and daily.id != sub.id
    assert [s.paused for s in subs] == [True, True]
    assert subs[0].last_slot_sent == now and subs[0].channel_ids == () and subs[0].weekday == 0


async def test_removing_a_channel_removes_its_data(engine, now) -> None:
    channel = await _channel(engine, now)
    async with write(engine) as conn:
        await PostRepo(conn).upsert(Post(channel.id, 1, now), now)
        run = await RunRepo(conn).start(channel.id, now)
        await PostRepo(conn).add_snapshot(CounterSnapshot(channel.id, 1, run, now, views=1))
        await ChannelRepo(conn).remove(channel.id)
    async with read(engine) as conn:
        left = (await conn.execute(select(func.count()).select_from(counter_snapshots))).scalar_one()
    assert left == 0


async def test_interrupted_transaction_leaves_no_half_written_post(engine, now) -> None:
    channel = await _channel(engine, now)
    with pytest.raises(RuntimeError):
        async with write(engine) as conn:
            await PostRepo(conn).upsert(Post(channel.id, 7, now, "half"), now)
            raise RuntimeError("crash mid-write")
    async with read(engine) as conn:
        assert await PostRepo(conn).get(channel.id, 7) is None


@pytest.mark.sqlite_only("PostgreSQL's transactions read what is committed at each statement anyway")
async def test_a_read_agrees_with_itself_unless_it_asks_for_each_statement_alone(engine, now) -> None:
    channel = await _channel(engine, now)

    async def posts_before_and_after_a_write(snapshot: bool, message_id: int) -> tuple[int, int]:
        async with read(engine, snapshot=snapshot) as conn:
            before = await PostRepo(conn).count_by_channel()
            async with write(engine) as other:  # another connection commits meanwhile
                await PostRepo(other).upsert(Post(channel.id, message_id, now), now)
            after = await PostRepo(conn).count_by_channel()
        return before.get(channel.id, 0), after.get(channel.id, 0)

    assert await posts_before_and_after_a_write(True, 1) == (0, 0)  # one snapshot
    assert await posts_before_and_after_a_write(False, 2) == (1, 2)  # each statement reads afresh


async def test_reader_is_not_blocked_by_a_writer_on_a_file_database(engine, now) -> None:
    channel = await _channel(engine, now)
    writer_holds_lock = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with write(engine) as conn:
            await PostRepo(conn).upsert(Post(channel.id, 1, now, "pending"), now)
            writer_holds_lock.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await writer_holds_lock.wait()
    async with read(engine) as conn:  # WAL: the reader sees the last commit, without waiting
        # A blocked reader would wait for the writer, which waits for this read: the timeout is a
        # hang guard that turns that deadlock into a failure.
        seen = await asyncio.wait_for(PostRepo(conn).list(channel.id), timeout=60)
    release.set()
    await task
    async with read(engine) as conn:
        after = await PostRepo(conn).list(channel.id)
    assert seen == [] and [p.text for p in after] == ["pending"]


async def test_a_rename_onto_an_unresolved_row_moves_its_digests_to_the_channel(engine, now) -> None:
    async with write(engine) as conn:
        channels = ChannelRepo(conn)
        old, _ = await channels.add("@oldname", "oldname", 42, now)
        await channels.set_resolved(old.id, 1001, -5, "Old", 777)
        added, _ = await channels.add("@newname", "newname", 42, now)  # the same channel, by its new name
        digests = DigestRepo(conn)
        await digests.subscribe(42, "daily", "09:00", "UTC", [added.id], now)
        await digests.subscribe(43, "daily", "09:00", "UTC", [old.id, added.id], now)
        await channels.rename(old.id, "newname")
    async with read(engine) as conn:
        subs = {s.chat_id: tuple(s.channel_ids) for s in await DigestRepo(conn).list()}
        renamed = await ChannelRepo(conn).get(old.id)
    assert renamed is not None and renamed.username == "newname"
    assert subs == {42: (old.id,), 43: (old.id,)}
