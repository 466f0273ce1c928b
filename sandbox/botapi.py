"""A local Bot API server on 127.0.0.1 for tests and the demo, with a control side to act as users.

aiogram talks to it over real HTTP (`TelegramAPIServer.from_base(server.base_url)`), so request
encoding, parse mode, filters and middlewares are all exercised. The control side sends messages
and presses buttons as users, and reads everything the bot sent.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web

from sandbox.botapi_methods import BotAPIMethods
from sandbox.botapi_records import (
    BotAPIError,
    Chat,
    SentMessage,
    command_entities,
    message_json,
    user_json,
)

DEFAULT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw8"


@dataclass
class _Injection:
    seconds: int
    method: str | None
    chat_id: int | None
    times: int
    after: int = 0  # matching calls let through before the injection starts


class BotAPIServer(BotAPIMethods):
    """Start with `async with BotAPIServer() as server:`; give aiogram `server.base_url`."""

    def __init__(self, token: str = DEFAULT_TOKEN, bot_username: str = "pulse_test_bot") -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.chats: dict[int, Chat] = {}
        self.blocked: set[int] = set()
        self.sent: list[SentMessage] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self._callbacks: set[str] = set()
        self._injections: list[_Injection] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._confirmed = 0  # every update with a smaller id was confirmed by an offset
        self._cursor: dict[int, int] = {}  # per chat: how many of its sent messages were read
        self._changed: asyncio.Condition | None = None
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> BotAPIServer:
        self._changed = asyncio.Condition()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.*}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self._closing = True
        await self._notify()  # wake every long poll so the server can shut down at once
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotAPIServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- the control side: act as users ------------------------------------------------------

    def open_chat(
        self,
        user_id: int,
        first_name: str = "User",
        username: str | None = None,
        chat_id: int | None = None,
        chat_type: str = "private",
        title: str | None = None,
    ) -> Chat:
        """Make a chat exist (a user who pressed Start, or a group the bot is in)."""
        chat_id = user_id if chat_id is None else chat_id
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = Chat(chat_id, chat_type, first_name, username, title)
            self.chats[chat_id] = chat
        return chat

    async def send_message(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "User",
        username: str | None = None,
    ) -> int:
        """A user sends `text` to the bot (in a private chat, or in the group `chat_id`)."""
        chat = self.open_chat(user_id, first_name, username, chat_id, chat_type)
        message = {
            "message_id": chat.new_message_id(),
            "date": int(time.time()),
            "chat": chat.json(),
            "from": user_json(user_id, first_name, username),
            "text": text,
        }
        if entities := command_entities(text):
            message["entities"] = entities
        await self._push({"message": message})
        return int(message["message_id"])

    async def press_button(self, user_id: int, message: SentMessage, label: str) -> str:
        """A user presses the inline button labelled `label`; returns the callback query id."""
        chat = self.chats[message.chat_id]
        current = chat.messages[message.message_id]
        data = current.callback_data(label)
        query_id = f"cb{next(self._callback_ids)}"
        self._callbacks.add(query_id)
        sender = user_json(self.bot_id, "ChannelPulse", self.bot_username, is_bot=True)
        await self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user_json(user_id, chat.first_name, chat.username),
                    "message": message_json(chat, current, int(time.time()), sender),
                    "chat_instance": str(chat.id),
                    "data": data,
                }
            }
        )
        return query_id

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: every send to the chat is now 403 Forbidden."""
        self.blocked.add(chat_id)

    def inject_retry_after(
        self, seconds: int, method: str | None = None, chat_id: int | None = None, times: int = 1,
        after: int = 0,
    ) -> None:
        """The next `times` matching calls (past the first `after`) answer 429 "Too Many Requests:
        retry after N"; N = 0 is no usable wait, so aiogram raises a plain API error."""
        self._injections.append(
            _Injection(seconds, method.lower() if method else None, chat_id, times, after)
        )

    # -- the control side: read what the bot did ---------------------------------------------

    def messages(self, chat_id: int | None = None) -> list[SentMessage]:
        return [s for s in self.sent if chat_id is None or s.chat_id == chat_id]

    async def next_messages(self, chat_id: int, count: int = 1, within: float = 60.0) -> list[SentMessage]:
        """Wait for the next `count` things the bot sends to `chat_id` (that no earlier call read);
        `within` is a hang guard, long enough for a loaded machine."""
        assert self._changed is not None, "start the server first"

        def unread() -> list[SentMessage]:
            return self.messages(chat_id)[self._cursor.get(chat_id, 0) :]

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: len(unread()) >= count), within)
            except TimeoutError:
                got = [s.text[:80] for s in unread()]
                raise TimeoutError(f"chat {chat_id}: expected {count} new message(s), got {got}") from None
            result = unread()[:count]
            self._cursor[chat_id] = self._cursor.get(chat_id, 0) + count
            return result

    def unread(self, chat_id: int) -> list[SentMessage]:
        """Everything sent to `chat_id` that no earlier call read, at once: the caller knows the bot
        is done (it awaited the job that sends, or the harness's barrier)."""
        result = self.messages(chat_id)[self._cursor.get(chat_id, 0) :]
        self._cursor[chat_id] = self._cursor.get(chat_id, 0) + len(result)
        return result

    async def drain(self, chat_id: int, quiet: float = 0.3) -> list[SentMessage]:
        """Everything unread for `chat_id` once the bot has been quiet there for `quiet` seconds (for
        benches and tools watching a bot they cannot wait on; tests wait on a barrier and read
        `unread`)."""
        seen = -1
        while seen != len(self.messages(chat_id)):
            seen = len(self.messages(chat_id))
            await asyncio.sleep(quiet)
        return self.unread(chat_id)

    async def wait_delivered(self, within: float = 60.0) -> None:
        """Wait until the bot has fetched and confirmed every update sent so far."""
        assert self._changed is not None
        last = self._updates[-1]["update_id"] if self._updates else 0
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self._confirmed > last), within)

    def command_names(self, scope: str = "default") -> list[str]:
        """Commands registered for a scope: "default", "all_private_chats", "chat:<id>"."""
        return [c["command"] for c in self.commands.get(scope, [])]

    # -- the HTTP side ---------------------------------------------------------------------------

    async def _push(self, update: dict[str, Any]) -> None:
        self._updates.append({"update_id": next(self._update_ids), **update})
        await self._notify()

    async def _notify(self) -> None:
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()

    async def _handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(BotAPIError(401, "Unauthorized").payload(), status=401)
        method = request.match_info["method"].lower()
        params, files = await _read_body(request)
        self.calls.append((method, params))
        try:
            self._maybe_inject(method, params)
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise BotAPIError(404, "Not Found")
            result = await handler(params, files)
        except BotAPIError as exc:
            return web.json_response(exc.payload(), status=exc.code)
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        for sent in self.sent:
            if sent.data is not None and f"{sent.chat_id}-{sent.message_id}" in path:
                return web.Response(body=sent.data)
        return web.json_response(BotAPIError(404, "Not Found").payload(), status=404)

    def _maybe_inject(self, method: str, params: dict[str, Any]) -> None:
        for inj in self._injections:
            if inj.times <= 0 or inj.method not in (None, method):
                continue
            if inj.chat_id is not None and str(inj.chat_id) != str(params.get("chat_id")):
                continue
            if inj.after > 0:
                inj.after -= 1
                continue
            inj.times -= 1
            raise BotAPIError(429, f"Too Many Requests: retry after {inj.seconds}", retry_after=inj.seconds)

    def _bot_user(self) -> dict[str, Any]:
        return user_json(self.bot_id, "ChannelPulse", self.bot_username, is_bot=True)

    async def _record(self, chat: Chat, sent: SentMessage) -> dict[str, Any]:
        sent = replace(sent, at=time.perf_counter())
        chat.messages[sent.message_id] = sent
        self.sent.append(sent)
        await self._notify()
        return message_json(chat, sent, int(time.time()), self._bot_user())


async def _read_body(request: web.Request) -> tuple[dict[str, Any], dict[str, tuple[bytes, str, str]]]:
    """Form, multipart or JSON bodies, as aiogram and other clients send them."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, tuple[bytes, str, str]] = {}
    if request.content_type == "application/json":
        params.update(await request.json())
        return params, files
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            files[key] = (value.file.read(), value.filename, value.content_type)
        else:
            params[key] = value
    return params, files
