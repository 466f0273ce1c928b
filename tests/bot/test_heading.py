"""Every reply names a channel the same way: its title in bold, escaped, with the @username beside it."""

from __future__ import annotations

from tests.bot.conftest import Harness
from tests.bot.seed import add_channel

# "<b>x</b> & co" as typed in Telegram, escaped once and set in bold; the @username after it.
HEADING = "<b>&lt;b&gt;x&lt;/b&gt; &amp; co</b> (@hostile)"
UNTITLED = "<b>@plain</b>"


async def test_the_channel_heading_is_the_same_in_every_reply(running: Harness) -> None:
    await add_channel(running.engine, "hostile", running.clock.now(), title="<b>x</b> & co", posts=3)
    await add_channel(running.engine, "plain", running.clock.now(), posts=2)
    replies = {
        "/channels": await running.ask_all("/channels"),
        "/stats": await running.ask_all("/stats"),
        "/stats @hostile": await running.ask_all("/stats @hostile"),
        "/chart @hostile": await running.ask_all("/chart @hostile"),
        "/export @hostile": await running.ask_all("/export @hostile"),
        "/pause @hostile": await running.ask_all("/pause @hostile"),
        "/resume @hostile": await running.ask_all("/resume @hostile"),
        "/digest now": await running.ask_all("/digest now"),
    }
    for command, messages in replies.items():
        assert any(HEADING in (m.html or "") for m in messages), command
    for command in ("/channels", "/stats", "/digest now"):
        assert any(UNTITLED in (m.html or "") for m in replies[command]), command
