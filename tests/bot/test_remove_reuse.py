"""SQLite may give a removed channel's id to the next channel: old buttons and digests stay safe."""

from __future__ import annotations

import pytest

from storage.db import read
from storage.digests import DigestRepo
from storage.posts import PostRepo
from tests.bot.conftest import ADMIN, Harness
from tests.bot.seed import add_channel


@pytest.mark.sqlite_only("SQLite gives a removed channel's id to the next one; a PostgreSQL sequence never "
                         "gives an id twice, so the reuse this guards against cannot happen there")
async def test_an_old_remove_button_never_deletes_a_channel_added_later(running: Harness) -> None:
    now = running.clock.now()
    await add_channel(running.engine, "first", now, posts=2)
    goner = await add_channel(running.engine, "goner", now, posts=4)
    stale = await running.ask_one("/remove_channel @goner")
    fresh = await running.ask_one("/remove_channel @goner")
    await running.server.press_button(ADMIN, fresh, "Delete data")
    await running.server.next_messages(ADMIN)
    innocent = await add_channel(running.engine, "innocent", now, title="Innocent", posts=7)
    assert innocent.id == goner.id  # the reuse this guards against really happens

    await running.server.press_button(ADMIN, stale, "Delete data")
    answer = (await running.server.next_messages(ADMIN))[0]
    assert answer.text == "That channel is no longer tracked."
    async with read(running.engine) as conn:
        assert len(await PostRepo(conn).list(innocent.id)) == 7


async def test_a_removed_channel_leaves_its_digests(running: Harness) -> None:
    now = running.clock.now()
    await add_channel(running.engine, "first", now, posts=2)
    await add_channel(running.engine, "goner", now, posts=4)
    await running.ask_one("/digest daily 09:00 @goner")
    await running.ask_one("/digest weekly mon 10:00 @first @goner")
    question = await running.ask_one("/remove_channel @goner")
    await running.server.press_button(ADMIN, question, "Delete data")
    await running.server.next_messages(ADMIN)
    innocent = await add_channel(running.engine, "innocent", now, posts=7)
    async with read(running.engine) as conn:
        subs = await DigestRepo(conn).list(ADMIN)
    # the digest of @goner alone is gone (not widened to "all channels"), the other keeps @first
    assert [(s.cadence, len(s.channel_ids)) for s in subs] == [("weekly", 1)]
    assert innocent.id not in subs[0].channel_ids
