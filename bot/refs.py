"""Channel references typed into commands: the one place the bot parses them.

The collector owns the full parser; until it lands this minimal one keeps the same shape
(`parse_ref(text) -> ChannelRef(username, post_id, raw)`, raising `RefError` with a reason).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class RefError(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ChannelRef:
    username: str
    post_id: int | None
    raw: str


_REF = re.compile(
    r"(?:@|(?:https?://)?(?:t\.me|telegram\.me)/(?:s/)?)?([a-z][a-z0-9_]{3,31})(?:/(\d+))?/?", re.I
)


def parse_ref(text: str) -> ChannelRef:
    stripped = text.strip()
    if re.match(r"(?:https?://)?t\.me/(?:\+|joinchat/)", stripped, re.I):
        raise RefError(f"{stripped!r} is a private invite link: only public channels can be tracked")
    match = _REF.fullmatch(stripped)
    if match is None:
        raise RefError(f"{stripped!r} is not a channel reference: use @name or a t.me/name link")
    post = int(match.group(2)) if match.group(2) else None
    return ChannelRef(match.group(1).lower(), post, text)
