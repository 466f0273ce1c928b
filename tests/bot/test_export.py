"""/export builds its CSV off the event loop: the bot keeps answering while a big one is built."""

from __future__ import annotations

import csv
import io
import threading
from typing import Any

import pytest

import analytics.export
from tests.bot.conftest import ADMIN, Harness, until
from tests.bot.seed import add_channel


class SlowCsv:
    """The csv module, with a writer that takes as long as the test says (a very big export)."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()

    def writer(self, *args: Any, **kwargs: Any) -> Any:
        self.entered.set()
        # On the event loop this freezes the bot (and this test) until the wait runs out; long
        # enough that a slow machine's answer to /help still comes first when it is off the loop.
        self.release.wait(60)
        return csv.writer(*args, **kwargs)


async def test_the_bot_answers_while_an_export_is_built(
    running: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_channel(running.engine, "alpha_news", running.clock.now(), posts=4)
    slow = SlowCsv()
    monkeypatch.setattr(analytics.export, "csv", slow)
    await running.server.send_message(ADMIN, "/export @alpha_news")
    await until(slow.entered.is_set)
    answer = await running.ask_one("/help")
    assert "Commands" in answer.text  # answered before the export, not after it
    slow.release.set()
    (document,) = await running.server.next_messages(ADMIN)
    assert document.kind == "document" and "4 posts" in document.text
    assert len(list(csv.DictReader(io.StringIO(document.data.decode())))) == 4
