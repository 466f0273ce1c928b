"""Channel references as people type them, parsed without asking Telegram anything."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit


class RefError(ValueError):
    """A reference we refuse; str() is a one-line reason in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ChannelRef:
    username: str  # lowercased, without "@"
    post_id: int | None
    raw: str


# Telegram usernames: a letter first, then letters, digits and underscores, 4–32 in all.
_USERNAME = re.compile(r"[a-z][a-z0-9_]{3,31}")
_HOSTS = {"t.me", "telegram.me", "telegram.dog"}
# t.me paths that are Telegram features, not channel names.
_RESERVED = {"joinchat", "addstickers", "addemoji", "share", "proxy", "socks", "login", "iv", "addlist",
             "setlanguage", "confirmphone", "invoice", "boost", "contact", "c", "s"}


def parse_ref(text: str) -> ChannelRef:
    """Parse `@name`, `name`, `t.me/name`, `t.me/s/name`, `t.me/name/123` (or https://… forms)."""
    raw = text
    text = text.strip()
    if not text:
        raise RefError("empty reference: give a channel as @name or a t.me/name link")
    if any(ch.isspace() for ch in text):
        raise RefError(f"{text!r} is not a channel reference: it contains spaces")
    if text.lower().startswith("tg://"):
        query = parse_qs(urlsplit(text).query)
        domain = query.get("domain", [""])[0]
        return ChannelRef(_username(domain, raw), _post(query.get("post", [None])[0], raw), raw)
    if text.startswith("@"):
        return ChannelRef(_username(text[1:], raw), None, raw)
    lowered = text.lower()
    if "/" not in lowered and "." not in lowered:
        return ChannelRef(_username(text, raw), None, raw)
    return _parse_link(text, raw)


def _parse_link(text: str, raw: str) -> ChannelRef:
    url = text if "://" in text else f"https://{text}"
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.scheme.lower() not in ("http", "https") or host not in _HOSTS:
        raise RefError(f"{text!r} is not a Telegram link: expected t.me/name or @name")
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        raise RefError(f"{text!r} names no channel: expected t.me/name")
    head = segments[0]
    if head.startswith("+") or head.lower() == "joinchat":
        raise RefError(
            f"{text!r} is a private invite link: only public channels (with a @username) can be tracked"
        )
    if head.lower() == "c":
        raise RefError(
            f"{text!r} is a t.me/c link to a private channel's post: use the public @username instead"
        )
    if head.lower() == "s":
        segments = segments[1:]
        if not segments:
            raise RefError(f"{text!r} names no channel after t.me/s/")
        head = segments[0]
    elif head.lower() in _RESERVED:
        raise RefError(f"{text!r} is a Telegram {head} link, not a channel")
    if len(segments) > 2:
        raise RefError(f"{text!r} is malformed: expected t.me/name or t.me/name/123")
    post = _post(segments[1], raw) if len(segments) == 2 else None
    return ChannelRef(_username(head, raw), post, raw)


def _username(name: str, raw: str) -> str:
    name = name.strip().lower()
    if not _USERNAME.fullmatch(name) or name.endswith("_") or "__" in name:
        raise RefError(
            f"{raw.strip()!r} is not a valid channel username: 4–32 letters, digits or underscores, "
            "starting with a letter"
        )
    return name


def _post(value: str | None, raw: str) -> int | None:
    if value is None:
        return None
    # Telegram message ids are 32-bit; a longer number is a typo, not a post to look up.
    if not value.isdigit() or not 1 <= int(value) < 2**31:
        raise RefError(f"{raw.strip()!r} is malformed: the post number must be a positive integer")
    return int(value)
