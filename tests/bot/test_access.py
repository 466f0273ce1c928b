"""Who may use the bot, and the command menu only admins see."""

from __future__ import annotations

import pytest

from bot.commands import COMMANDS
from bot.handlers.outsiders import REFUSAL
from bot.handlers.remove_channel import confirm_keyboard
from bot.render_help import only_in_private
from storage.db import read
from storage.digests import DigestRepo
from tests.bot.conftest import ADMIN, OTHER_ADMIN, STRANGER, Harness, until
from tests.bot.seed import add_channel


async def test_a_stranger_gets_one_neutral_refusal_and_nothing_about_the_data(running: Harness) -> None:
    await add_channel(running.engine, "secretchan", running.clock.now(), title="Secret Plans", posts=3)
    for text in ("/channels", "/stats @secretchan", "/start", "hello"):
        replies = await running.ask_all(text, user=STRANGER)
        assert [r.text for r in replies] == [REFUSAL]
    everything = " ".join(m.text for m in running.server.messages(STRANGER))
    assert "secret" not in everything.lower()


async def test_a_strangers_button_press_is_refused(running: Harness) -> None:
    await add_channel(running.engine, "somechan", running.clock.now())
    question = await running.ask_one("/remove_channel @somechan")
    query = await running.server.press_button(STRANGER, question, "Delete data")
    await until(lambda: query in running.server.callback_answers)
    assert running.server.callback_answers[query]["text"] == REFUSAL
    assert (await running.ask_one("/channels")).text.count("@somechan") == 1  # still tracked


GROUP = -100500
IN_GROUP = {"chat_id": GROUP, "chat_type": "supergroup"}


async def test_in_a_group_an_admins_command_gets_one_pointer_line_and_no_channel_data(
    running: Harness,
) -> None:
    await add_channel(running.engine, "secretchan", running.clock.now(), title="Secret Plans", posts=3)
    running.server.open_chat(STRANGER, chat_id=GROUP, chat_type="supergroup", title="Public group")
    assert await running.ask_silence("/channels", user=STRANGER, **IN_GROUP) == []
    for text in ("/channels", "/stats @secretchan", "/export @secretchan", "/digest daily 09:00", "/start",
                 "/frobnicate", f"/status@{running.server.bot_username}"):
        replies = await running.ask_all(text, **IN_GROUP)
        assert [(r.kind, r.text) for r in replies] == [("text", only_in_private(running.server.bot_username))]
    assert await running.ask_silence("just chatting", **IN_GROUP) == []
    assert all(m.kind == "text" and "secret" not in m.text.lower() for m in running.server.messages(GROUP))
    assert running.server.messages(ADMIN) == []  # nor sent to the admin unasked
    async with read(running.engine) as conn:
        assert await DigestRepo(conn).list() == []  # the group got no subscription
    # In the admin's own chat the same commands answer as always.
    assert "Secret Plans" in (await running.ask_one("/channels")).text


async def test_commands_addressed_to_another_bot_in_a_group_are_not_ours(running: Harness) -> None:
    replies = await running.ask_silence("/channels@someone_elses_bot", **IN_GROUP)
    assert replies == []
    assert await running.ask_silence("/channels@someone_elses_bot") == []  # in private too
    mention = f"/channels@{running.server.bot_username}"
    reply = await running.ask_one(mention, **IN_GROUP)
    assert reply.text == only_in_private(running.server.bot_username)


async def test_an_admins_button_in_a_group_only_points_to_the_private_chat(running: Harness) -> None:
    channel = await add_channel(running.engine, "somechan", running.clock.now(), title="Some Chan")
    running.server.open_chat(ADMIN, chat_id=GROUP, chat_type="supergroup", title="Public group")
    # A question left in a group from before the rule (the bot sends it the way /remove_channel did).
    await running.digests.bot.send_message(GROUP, "Remove @somechan?", reply_markup=confirm_keyboard(channel))
    (question,) = await running.server.next_messages(GROUP)
    query = await running.server.press_button(ADMIN, question, "Delete data")
    await until(lambda: query in running.server.callback_answers)
    assert running.server.callback_answers[query]["text"] == only_in_private(running.server.bot_username)
    assert "Some Chan" in (await running.ask_one("/channels")).text  # still tracked
    assert running.server.messages(GROUP) == [question]  # the question was not answered in the group


async def test_only_admins_chats_get_the_command_menu(running: Harness) -> None:
    names = [spec.name for spec in COMMANDS]
    await until(lambda: f"chat:{ADMIN}" in running.server.commands)
    assert running.server.command_names(f"chat:{ADMIN}") == names
    assert running.server.command_names("default") == []
    assert f"chat:{STRANGER}" not in running.server.commands


async def test_an_admin_who_never_opened_the_bot_is_skipped_with_a_log_line_then_set_on_start(
    running: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await until(lambda: f"chat:{ADMIN}" in running.server.commands)
    assert f"chat:{OTHER_ADMIN}" not in running.server.commands
    startup_lines = [r.getMessage() for r in caplog.get_records("setup") if r.name == "bot.startup"]
    assert any(str(OTHER_ADMIN) in line and "not opened" in line for line in startup_lines)
    # The bot kept running; once that admin opens it, /start gives them the menu.
    reply = await running.ask_one("/start", user=OTHER_ADMIN, first_name="Grace")
    assert "Grace" in reply.text
    assert running.server.command_names(f"chat:{OTHER_ADMIN}") == [spec.name for spec in COMMANDS]


async def test_help_lists_every_command_of_the_menu_with_an_example(running: Harness) -> None:
    replies = await running.ask_all("/help")
    text = "\n".join(r.text for r in replies)
    for spec in COMMANDS:
        assert f"/{spec.name}" in text
        assert spec.example in text


async def test_unknown_commands_and_stray_text_point_to_help(running: Harness) -> None:
    assert "/help" in (await running.ask_one("/frobnicate")).text
    assert "/help" in (await running.ask_one("what is this")).text
