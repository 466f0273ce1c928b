"""/status answers at once while a collection sits in its (real, scaled-down) pauses."""

from __future__ import annotations

import re
import time
from datetime import datetime

import pytest

from clock import ScaledClock
from storage.channels import ChannelRepo
from storage.db import read
from storage.runs import RunRepo
from tests.bot.conftest import ADMIN, Harness, until

FACTOR = 0.02  # every pacing second takes 20 ms: a 50-message channel pauses about 1.4 s
# The collector's account as its ledger was last read: nothing sent yet, or no FloodWait so far.
ACCOUNT = (r"\naccount: (no request sent yet|\d+ requests? in the last hour, 0 FloodWaits today, "
           r"\d+ resolves? today, no block)\n")


@pytest.fixture
def clock(now: datetime) -> ScaledClock:  # type: ignore[override]
    return ScaledClock(FACTOR, start=now)


async def test_status_answers_during_a_paced_collection_before_it_finishes(running: Harness) -> None:
    reply = await running.ask_one("/add_channel @pulse_news @pulse_tech")
    assert "Queued: @pulse_news, @pulse_tech" in reply.text

    started = time.perf_counter()
    status = await running.ask_one("/status")
    answered = time.perf_counter() - started
    assert running.collector.state().collecting, "the collection should still be running"
    assert status.text.startswith("Collector: collecting")
    assert "channel(s) due" in status.text and re.search(ACCOUNT, status.text), status.text
    assert answered < 1.0  # not after the pauses: the event loop stays free while the collector waits

    # In the middle of a run it names the channel, post k of the n its page of 50 messages holds
    # (service messages are no posts), and the pause it sits in: the extended pause after
    # message 20 (13.5 s of pacing, 270 ms here) outlasts the reply.
    await until(lambda: running.collector.state().wait_layer == "extended")
    status = await running.ask_one("/status")
    assert running.collector.state().collecting
    expected = (
        r"Collector: collecting @(pulse_news|pulse_tech)\nmessage 20 of (\d+)\n"
        r"pausing (\d+\.\d) s \(extended pause\), until \d\d:\d\d:\d\d CET \((\d+) s left\)"
    )
    found = re.search(expected, status.text)
    assert found, status.text
    # 13.5 s less the time message 20 took to process (gaps run start to start), which at this
    # compression is a visible share of a second on a loaded machine.
    assert 0 < float(found.group(3)) <= 13.5
    assert 0 < int(found.group(4)) <= 14  # a seconds pause ends to the second, not "until 13:00"
    assert re.search(ACCOUNT, status.text), status.text
    channel, total = found.group(1), int(found.group(2))

    news = await running.server.next_messages(ADMIN, 2, within=20)
    assert sorted(m.text.split(" is done")[0] for m in news) == [
        "First collection of Pulse News (@pulse_news)",
        "First collection of Pulse Tech Digest (@pulse_tech)",
    ]
    async with read(running.engine) as conn:
        named = await ChannelRepo(conn).get_by_username(channel)
        assert named is not None
        [run] = await RunRepo(conn).recent(channel_id=named.id)
    assert 45 <= total == run.fetched <= 50 and run.error is None
