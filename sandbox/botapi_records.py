"""What the sandbox Bot API server records and answers: sent messages and Telegram-shaped JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class BotAPIError(Exception):
    """An error the server answers in Telegram's shape: {"ok": false, "error_code", "description"}."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(text: str) -> BotAPIError:
    return BotAPIError(400, f"Bad Request: {text}")


@dataclass(frozen=True)
class SentMessage:
    """One thing the bot sent (or an edit it made), as a user would see it."""

    chat_id: int
    message_id: int
    kind: str  # "text", "photo", "document" or "edit"
    text: str  # the text or caption after entity parsing: what the user reads
    html: str | None  # the text or caption exactly as the bot sent it
    tags: tuple[str, ...] = ()
    reply_markup: dict[str, Any] | None = None
    data: bytes | None = None  # photo or document bytes
    filename: str | None = None
    mime_type: str | None = None
    at: float = 0.0  # time.perf_counter() when the server received it (latency benchmarks)

    @property
    def buttons(self) -> list[str]:
        """The inline buttons' labels, row by row, left to right."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button["text"] for row in rows for button in row]

    def callback_data(self, label: str) -> str:
        for row in (self.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if button["text"] == label and "callback_data" in button:
                    return str(button["callback_data"])
        raise KeyError(f"no inline button {label!r} on message {self.message_id}: {self.buttons}")


@dataclass
class Chat:
    id: int
    type: str = "private"
    first_name: str = "User"
    username: str | None = None
    title: str | None = None
    next_message_id: int = 1
    messages: dict[int, SentMessage] = field(default_factory=dict)

    def new_message_id(self) -> int:
        self.next_message_id += 1
        return self.next_message_id - 1

    def json(self) -> dict[str, Any]:
        if self.type == "private":
            data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
            if self.username:
                data["username"] = self.username
            return data
        return {"id": self.id, "type": self.type, "title": self.title or f"Group {self.id}"}


def user_json(user_id: int, first_name: str, username: str | None, is_bot: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if username:
        data["username"] = username
    return data


def message_json(chat: Chat, sent: SentMessage, date: int, sender: dict[str, Any]) -> dict[str, Any]:
    """A bot message as the Bot API returns it from sendMessage, sendPhoto, sendDocument."""
    data: dict[str, Any] = {"message_id": sent.message_id, "date": date, "chat": chat.json(), "from": sender}
    if sent.kind == "photo":
        file_id = f"photo-{chat.id}-{sent.message_id}"
        data["photo"] = [
            {
                "file_id": file_id,
                "file_unique_id": file_id,
                "width": 1200,
                "height": 800,
                "file_size": len(sent.data or b""),
            }
        ]
    elif sent.kind == "document":
        file_id = f"doc-{chat.id}-{sent.message_id}"
        data["document"] = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": sent.filename,
            "mime_type": sent.mime_type,
            "file_size": len(sent.data or b""),
        }
    key = "text" if sent.kind in ("text", "edit") else "caption"
    if sent.text:
        data[key] = sent.text
    if sent.reply_markup:
        data["reply_markup"] = sent.reply_markup
    return data


def command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entity Telegram attaches to a message that starts with a command."""
    if not text.startswith("/"):
        return []
    length = len(text.split(maxsplit=1)[0].encode("utf-16-le")) // 2
    return [{"type": "bot_command", "offset": 0, "length": length}]
