"""The sandbox Bot API server answers as Telegram does, so the bot tests mean something."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import BufferedInputFile
from pydantic import SecretStr

from bot.app import BotStartupError, check_token, create_bot
from sandbox.botapi import DEFAULT_TOKEN, BotAPIServer
from sandbox.botapi_html import EntityParseError, parse_html
from settings import load_settings


def make_bot(server: BotAPIServer, token: str = DEFAULT_TOKEN) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


@pytest.fixture
async def bot(botapi: BotAPIServer) -> AsyncIterator[Bot]:
    botapi.open_chat(42, "Ada")
    bot = make_bot(botapi)
    yield bot
    await bot.session.close()


@pytest.mark.parametrize(
    "html",
    [
        "<b>bold",
        "a < b",
        "x & y",
        "<b><i>x</b></i>",
        "<script>x</script>",
        "</b>",
        "&nbsp;",
        "<a>x</a>",
        "1 > 0",
    ],
)
def test_html_telegram_refuses_is_refused(html: str) -> None:
    with pytest.raises(EntityParseError):
        parse_html(html)


def test_valid_html_becomes_the_text_a_user_reads() -> None:
    parsed = parse_html(
        '<b>Top</b> &lt;3 &amp; <a href="https://t.me/x/1">post</a> &#128512; <code>a&gt;b</code>'
    )
    assert parsed.plain == "Top <3 & post 😀 a>b"
    assert parsed.tags == ("b", "a", "code")


async def test_broken_html_is_a_bad_request_in_telegrams_words(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(42, "<b>unclosed")


async def test_length_limits_count_the_text_after_entities(bot: Bot, botapi: BotAPIServer) -> None:
    await bot.send_message(42, "<b>" + "x" * 4096 + "</b>")  # markup does not count
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(42, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(42, "😀" * 2049)  # Telegram counts UTF-16 code units
    photo = BufferedInputFile(b"\x89PNG fake", "chart.png")
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_photo(42, photo, caption="y" * 1025)
    await bot.send_photo(42, photo, caption="<i>" + "y" * 1024 + "</i>")
    sent = botapi.messages(42)
    assert [m.kind for m in sent] == ["text", "photo"]
    assert sent[1].data == b"\x89PNG fake" and sent[1].filename == "chart.png"


async def test_documents_arrive_with_name_and_bytes(bot: Bot, botapi: BotAPIServer) -> None:
    await bot.send_document(42, BufferedInputFile(b"id,views\n1,10\n", "posts.csv"), caption="Posts")
    (doc,) = await botapi.next_messages(42)
    assert (doc.kind, doc.filename, doc.data, doc.text) == (
        "document",
        "posts.csv",
        b"id,views\n1,10\n",
        "Posts",
    )


async def test_files_the_bot_sent_can_be_downloaded_back(bot: Bot, botapi: BotAPIServer) -> None:
    sent = await bot.send_document(42, BufferedInputFile(b"a,b\n", "x.csv"))
    assert sent.document is not None and sent.document.file_name == "x.csv"
    fetched = await bot.download(sent.document.file_id)
    assert fetched is not None and fetched.read() == b"a,b\n"


async def test_blocked_chats_and_unknown_chats_fail_like_telegram(bot: Bot, botapi: BotAPIServer) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(4242, "hi")
    botapi.block(42)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(42, "hi")


async def test_injected_rate_limits_carry_retry_after(bot: Bot, botapi: BotAPIServer) -> None:
    botapi.inject_retry_after(7, method="sendMessage", chat_id=42)
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(42, "hi")
    assert info.value.retry_after == 7
    await bot.send_message(42, "hi")  # only the next call was limited


async def test_a_wrong_token_is_unauthorized(botapi: BotAPIServer) -> None:
    bot = make_bot(botapi, token="987654:ABC-DEF1234ghIkl-zyx57W2v1u123ew11")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await bot.get_me()
    finally:
        await bot.session.close()


async def test_an_edit_that_changes_nothing_is_refused(bot: Bot, botapi: BotAPIServer) -> None:
    message = await bot.send_message(42, "same")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("same", chat_id=42, message_id=message.message_id)
    await bot.edit_message_text("<b>same</b>", chat_id=42, message_id=message.message_id)  # bold now
    assert [m.tags for m in await botapi.next_messages(42, 2)] == [(), ("b",)]


async def test_a_refused_token_stops_start_up_with_one_line(botapi: BotAPIServer, db_url: str) -> None:
    good = load_settings(env_file=None, bot_token=DEFAULT_TOKEN, bot_api_url=botapi.base_url)
    bot = create_bot(good)
    assert await check_token(bot) == botapi.bot_username
    await bot.session.close()
    bad = good.model_copy(update={"bot_token": SecretStr("987654:ABC-DEF1234ghIkl-zyx57W2v1u123ew11")})
    bot = create_bot(bad)
    with pytest.raises(BotStartupError, match="BOT_TOKEN was refused by Telegram"):
        await check_token(bot)
    await bot.session.close()
