"""/export builds its CSV off the event loop, and what it sends is safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import threading
from datetime import timedelta
from typing import Any

import pytest

import analytics.export
from storage.db import write
from storage.models import Post
from storage.posts import PostRepo
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


HOSTILE = (
    '=HYPERLINK("http://evil.example","Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    # A bare CR inside a post: a spreadsheet starts a new row there unless the cell is quoted.
    'an ordinary first line\r=HYPERLINK("http://evil.example","Click")',
)
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


async def test_an_export_of_hostile_posts_opens_as_text_in_a_spreadsheet(running: Harness) -> None:
    now = running.clock.now()
    channel = await add_channel(running.engine, "hostile_chan", now)
    texts = (*HOSTILE, "a = b, and 5 - 3", "")
    async with write(running.engine) as conn:
        for i, text in enumerate(texts, start=1):
            post = Post(channel.id, i, now - timedelta(hours=i), text=text, views=10)
            await PostRepo(conn).upsert(post, now)
    (document,) = await running.ask("/export @hostile_chan")
    assert document.kind == "document"
    # As a spreadsheet reads a CSV file: the excel dialect, line breaks inside quoted cells kept.
    rows = list(csv.reader(io.StringIO(document.data.decode("utf-8"), newline=""), dialect="excel"))
    header, body = rows[0], rows[1:]
    assert len(body) == len(texts)  # no post's CR started a row of its own
    cells = [cell for row in body for cell in row]
    assert [c for c in cells if c.startswith(TRIGGERS)] == []
    by_id = {int(row[0]): dict(zip(header, row, strict=True)) for row in body}
    # The text is all there, behind the quote that makes it text; harmless text is untouched.
    assert [by_id[i]["text"] for i in range(1, len(HOSTILE) + 1)] == [
        "'" + text if text.startswith(TRIGGERS) else text for text in HOSTILE
    ]
    assert by_id[len(texts) - 1]["text"] == "a = b, and 5 - 3" and by_id[len(texts)]["text"] == ""
    assert by_id[1]["views"] == "10" and by_id[1]["link"] == "https://t.me/hostile_chan/1"
