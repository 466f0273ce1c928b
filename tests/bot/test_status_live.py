"""/status answers while a collection sits in its (real, scaled-down) pauses."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime

import pytest

from clock import VirtualClock
from storage.channels import ChannelRepo
from storage.db import read
from storage.runs import RunRepo
from tests.bot.conftest import ADMIN, Harness, until

FACTOR = 0.02  # every pacing second takes 20 ms of real time
# The collector's account as its ledger was last read: nothing sent yet, or no FloodWait so far.
ACCOUNT = (r"\naccount: (no request sent yet|\d+ requests? in the last hour, 0 FloodWaits today, "
           r"\d+ resolves? today, no block)\n")


class HeldClock(VirtualClock):
    """Time that moves only by the collector's pauses (work takes none of it, however slow the
    machine), each pause really slept at FACTOR; the first extended pause lasts until `release`."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self.release = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        if seconds >= 13.5 and not self.release.is_set():
            await self.release.wait()
        await asyncio.sleep(seconds * FACTOR)
        await super().sleep(seconds)


@pytest.fixture
def clock(now: datetime) -> HeldClock:  # type: ignore[override]
    return HeldClock(now)


async def test_status_answers_during_a_paced_collection_before_it_finishes(running: Harness) -> None:
    clock = running.clock
    assert isinstance(clock, HeldClock)
    reply = await running.ask_one("/add_channel @pulse_news @pulse_tech")
    assert "Queued: @pulse_news, @pulse_tech" in reply.text

    # The collection cannot end before its extended pause is let go: the answer comes while the
    # collector waits (the event loop stays free), not after the pauses.
    status = await running.ask_one("/status")
    assert running.collector.state().collecting, "the collection should still be running"
    assert status.text.startswith("Collector: collecting")
    assert "channel(s) due" in status.text and re.search(ACCOUNT, status.text), status.text

    # In the middle of a run it names the channel, post k of the n its page of 50 messages holds
    # (service messages are no posts), and the pause it sits in: the extended pause after
    # message 20 (13.5 s of pacing, held here until the reply is in).
    await until(lambda: running.collector.state().wait_layer == "extended")
    status = await running.ask_one("/status")
    assert running.collector.state().collecting
    expected = (
        r"Collector: collecting @(pulse_news|pulse_tech)\nmessage 20 of (\d+)\n"
        r"pausing (\d+\.\d) s \(extended pause\), until \d\d:\d\d:\d\d CET \((\d+) s left\)"
    )
    found = re.search(expected, status.text)
    assert found, status.text
    # The whole 13.5 s: on this clock the work before message 20 took no time.
    assert float(found.group(3)) == 13.5
    assert int(found.group(4)) in (13, 14)  # a seconds pause ends to the second, not "until 13:00"
    assert re.search(ACCOUNT, status.text), status.text
    channel, total = found.group(1), int(found.group(2))

    clock.release.set()
    news = await running.server.next_messages(ADMIN, 2, within=60)
    assert sorted(m.text.split(" is done")[0] for m in news) == [
        "First collection of Pulse News (@pulse_news)",
        "First collection of Pulse Tech Digest (@pulse_tech)",
    ]
    async with read(running.engine) as conn:
        named = await ChannelRepo(conn).get_by_username(channel)
        assert named is not None
        [run] = await RunRepo(conn).recent(channel_id=named.id)
    assert 45 <= total == run.fetched <= 50 and run.error is None
