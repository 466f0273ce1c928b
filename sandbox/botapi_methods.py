"""The Bot API methods the sandbox server speaks, checked the way Telegram checks them."""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any

from sandbox.botapi_html import EntityParseError, parse_html, utf16_len
from sandbox.botapi_records import BotAPIError, Chat, SentMessage, bad_request

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


def parse_text(text: str, parse_mode: str | None, limit: int, what: str) -> tuple[str, tuple[str, ...]]:
    """Plain text and tags of a text or caption, or the error Telegram gives for it."""
    if parse_mode and parse_mode.upper() == "HTML":
        try:
            parsed = parse_html(text)
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        plain, tags = parsed.plain, parsed.tags
    else:
        plain, tags = text, ()
    if utf16_len(plain) > limit:
        raise bad_request("message is too long" if what == "text" else "message caption is too long")
    if what == "text" and not plain.strip():
        raise bad_request("message text is empty")
    return plain, tags


def json_param(params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    if value is None or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        raise bad_request(f"can't parse {name} JSON object") from None


def reply_markup(params: dict[str, Any]) -> dict[str, Any] | None:
    markup = json_param(params, "reply_markup")
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
    return markup or None


def chat_id_param(params: dict[str, Any]) -> int:
    try:
        return int(params["chat_id"])
    except (KeyError, ValueError):
        raise bad_request("chat_id is empty") from None


def check_commands(params: dict[str, Any]) -> list[dict[str, str]]:
    commands = json_param(params, "commands") or []
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for item in commands:
        if not _COMMAND.fullmatch(str(item.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(item.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    return commands


def scope_key(server: BotAPIMethods, params: dict[str, Any]) -> str:
    scope = json_param(params, "scope") or {"type": "default"}
    kind = scope.get("type", "default")
    if kind in ("chat", "chat_administrators", "chat_member"):
        chat_id = int(scope.get("chat_id", 0))
        if chat_id not in server.chats:
            raise bad_request("chat not found")
        return f"{kind}:{chat_id}"
    return str(kind)


Upload = tuple[bytes, str, str]  # bytes, file name, MIME type


def upload(params: dict[str, Any], files: dict[str, Upload], name: str) -> Upload:
    value = params.get(name)
    if isinstance(value, str) and value.startswith("attach://"):
        key = value.removeprefix("attach://")
        if key in files:
            return files[key]
    if name in files:
        return files[name]
    raise bad_request(f"there is no {name} in the request")


def edit_text(server: BotAPIMethods, chat: Chat, params: dict[str, Any]) -> SentMessage:
    message_id = int(params.get("message_id", 0))
    current = chat.messages.get(message_id)
    if current is None:
        raise bad_request("message to edit not found")
    plain, tags = parse_text(str(params.get("text", "")), params.get("parse_mode"), TEXT_LIMIT, "text")
    markup = reply_markup(params)
    if (plain, tags, markup) == (current.text, current.tags, current.reply_markup):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are exactly "
            "the same as a current content and reply markup of the message"
        )
    return SentMessage(
        chat.id,
        message_id,
        "edit",
        plain,
        str(params.get("text")),
        tags,
        markup,
    )


def check_chat(server: BotAPIMethods, chat_id: int) -> Chat:
    chat = server.chats.get(chat_id)
    if chat is None:
        raise bad_request("chat not found")
    if chat_id in server.blocked:
        raise BotAPIError(403, "Forbidden: bot was blocked by the user")
    return chat


class BotAPIMethods:
    """The methods themselves; `BotAPIServer` holds the state they read and write."""

    chats: dict[int, Chat]
    blocked: set[int]
    commands: dict[str, list[dict[str, str]]]
    callback_answers: dict[str, dict[str, Any]]
    _callbacks: set[str]
    _updates: list[dict[str, Any]]
    _confirmed: int
    _changed: asyncio.Condition | None
    _closing: bool

    if TYPE_CHECKING:  # provided by BotAPIServer

        def _bot_user(self) -> dict[str, Any]: ...

        async def _record(self, chat: Chat, sent: SentMessage) -> dict[str, Any]: ...

        async def _notify(self) -> None: ...

    async def _api_getme(self, params: dict[str, Any], files: dict) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_deletewebhook(self, params: dict[str, Any], files: dict) -> Any:
        return True

    async def _api_getupdates(self, params: dict[str, Any], files: dict) -> Any:
        assert self._changed is not None
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._confirmed = max(self._confirmed, offset)
            await self._notify()
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: bool(self._updates) or self._closing), timeout
                )
            except TimeoutError:
                pass
        return self._updates[:limit]

    async def _api_sendmessage(self, params: dict[str, Any], files: dict) -> Any:
        chat = check_chat(self, chat_id_param(params))
        html = str(params.get("text", ""))
        plain, tags = parse_text(html, params.get("parse_mode"), TEXT_LIMIT, "text")
        sent = SentMessage(chat.id, chat.new_message_id(), "text", plain, html, tags, reply_markup(params))
        return await self._record(chat, sent)

    async def _send_file(self, params: dict[str, Any], files: dict, kind: str) -> Any:
        chat = check_chat(self, chat_id_param(params))
        data, filename, mime = upload(params, files, kind)
        html = str(params.get("caption", ""))
        plain, tags = parse_text(html, params.get("parse_mode"), CAPTION_LIMIT, "caption")
        sent = SentMessage(
            chat.id,
            chat.new_message_id(),
            kind,
            plain,
            html or None,
            tags,
            reply_markup(params),
            data,
            filename,
            mime,
        )
        return await self._record(chat, sent)

    async def _api_sendphoto(self, params: dict[str, Any], files: dict) -> Any:
        return await self._send_file(params, files, "photo")

    async def _api_senddocument(self, params: dict[str, Any], files: dict) -> Any:
        return await self._send_file(params, files, "document")

    async def _api_editmessagetext(self, params: dict[str, Any], files: dict) -> Any:
        chat = check_chat(self, chat_id_param(params))
        return await self._record(chat, edit_text(self, chat, params))

    async def _api_answercallbackquery(self, params: dict[str, Any], files: dict) -> Any:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._callbacks or query_id in self.callback_answers:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        self.callback_answers[query_id] = params
        return True

    async def _api_sendchataction(self, params: dict[str, Any], files: dict) -> Any:
        check_chat(self, chat_id_param(params))
        return True

    async def _api_setmycommands(self, params: dict[str, Any], files: dict) -> Any:
        commands = check_commands(params)
        self.commands[scope_key(self, params)] = commands
        return True

    async def _api_deletemycommands(self, params: dict[str, Any], files: dict) -> Any:
        self.commands.pop(scope_key(self, params), None)
        return True

    async def _api_getmycommands(self, params: dict[str, Any], files: dict) -> Any:
        return self.commands.get(scope_key(self, params), [])

    async def _api_getfile(self, params: dict[str, Any], files: dict) -> Any:
        """Files the bot sent can be fetched back (GET /file/bot<token>/<file_path>)."""
        file_id = str(params.get("file_id", ""))
        for chat in self.chats.values():
            for sent in chat.messages.values():
                if sent.data is not None and file_id.endswith(f"-{chat.id}-{sent.message_id}"):
                    return {
                        "file_id": file_id,
                        "file_unique_id": file_id,
                        "file_size": len(sent.data),
                        "file_path": f"{sent.kind}s/{file_id}",
                    }
        raise bad_request("invalid file_id")
