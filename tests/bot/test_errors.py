"""Nothing a user types crashes the bot: the unexpected is logged and answered."""

from __future__ import annotations

import pytest

from bot.handlers import channels
from bot.handlers.errors import SOMETHING_WRONG
from tests.bot.conftest import Harness


async def test_an_unexpected_error_is_logged_and_answered(
    running: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(engine: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(channels, "list_channels", broken)
    reply = await running.ask_one("/channels")
    assert reply.text == SOMETHING_WRONG
    assert any("disk on fire" in (r.exc_text or str(r.exc_info)) for r in caplog.records)
    # The bot is still answering.
    assert "Commands" in (await running.ask_all("/help"))[0].text


@pytest.mark.parametrize(
    "text",
    [
        "/digest weekly",
        "/pause <b>",
        "/remove_channel &&&",
        "/digest off @@",
        "/channels extra args",
        "/pause " + "x" * 5000,
        "/digest daily 09:00 " + " ".join(["@a"] * 50),
    ],
)
async def test_hostile_input_gets_a_reply_not_a_crash(running: Harness, text: str) -> None:
    replies = await running.ask_all(text)
    assert replies and all(r.text != SOMETHING_WRONG for r in replies)
