"""Pure helpers every reply uses: HTML escaping, numbers and dates for people, splitting at 4096."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

_TAG = re.compile(r"<(/?)[a-zA-Z][^>]*>")
# One unit of visible text (an entity or a character), or a tag, which has no width.
_TOKEN = re.compile(
    r"<(?P<close>/?)(?P<name>[a-zA-Z][a-zA-Z0-9-]*)[^>]*>|&(?:#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);|.",
    re.DOTALL,
)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


def esc(value: object) -> str:
    """Escape anything that did not come from our own templates (titles, usernames, post text)."""
    return html.escape(str(value), quote=False)


class Named(Protocol):
    """A channel as any layer describes it: a stored `Channel`, a summary row, a digest's channel."""

    @property
    def title(self) -> str | None: ...

    @property
    def username(self) -> str: ...


def heading(channel: Named) -> str:
    """How every reply names a channel: the title in bold with the @username beside it, both
    escaped; the bold @username alone when the channel has no title."""
    if channel.title:
        return f"<b>{esc(channel.title)}</b> (@{esc(channel.username)})"
    return f"<b>@{esc(channel.username)}</b>"


def human(n: float | None) -> str:
    """12345 -> 12.3K, 1234567 -> 1.2M; None -> "unknown" (never 0 for a count we do not have)."""
    if n is None:
        return "unknown"
    sign = "-" if n < 0 else ""
    n = abs(n)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= limit:
            value = f"{n / limit:.1f}".removesuffix(".0")
            # 999_950 would round to "1000.0K": say 1M instead.
            if value == "1000" and suffix != "B":
                return f"{sign}1{'B' if suffix == 'M' else 'M'}"
            return f"{sign}{value}{suffix}"
    return f"{sign}{n:.0f}" if float(n).is_integer() else f"{sign}{n:.1f}"


def signed(n: float | None) -> str:
    """A change with its sign: +1.2K, -35, ±0."""
    if n is None:
        return "unknown"
    if n == 0:
        return "±0"
    return f"+{human(n)}" if n > 0 else human(n)


def pct(value: float | None, sign: bool = False) -> str:
    """One-decimal percentage; `sign` adds + for growth."""
    if value is None:
        return "n/a"
    text = f"{value:+.1f}%" if sign else f"{value:.1f}%"
    return text.replace("-0.0%", "0.0%").replace("+0.0%", "±0.0%")


def when(moment: datetime | None, tz: str, never: str = "never") -> str:
    """A date and time in the digest time zone, e.g. "2 Mar 14:05 CET"."""
    if moment is None:
        return never
    local = moment.astimezone(ZoneInfo(tz))
    return f"{local.day} {local:%b %H:%M} {local.tzname()}"


def utf16_len(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def visible_len(markup: str) -> int:
    """What Telegram measures against its limits: the text a user sees (no tags, entities decoded),
    in UTF-16 code units."""
    return utf16_len(html.unescape(_TAG.sub("", markup)))


def clip(text: str, limit: int) -> str:
    """At most `limit` characters of plain text, ending in "…" when something was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def split_message(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split a reply on line boundaries into parts of at most `limit` visible characters.

    Our templates keep every tag within one line, so a split between lines never breaks markup.
    A single line longer than the limit (someone's very long post text) is cut, preferably at a
    space; tags open at the cut are closed there and reopened in the next part.
    """
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in _fit_lines(text.split("\n"), limit):
        added = visible_len(line) + (1 if current else 0)
        if current and size + added > limit:
            parts.append("\n".join(current))
            current, size = [], 0
            added = visible_len(line)
        current.append(line)
        size += added
    if current:
        parts.append("\n".join(current))
    return [p for p in (part.strip("\n") for part in parts) if p.strip()]


def _fit_lines(lines: Iterable[str], limit: int) -> Iterable[str]:
    for line in lines:
        while visible_len(line) > limit:
            head, line = _cut(line, limit)
            yield head
        yield line


def _cut(line: str, limit: int) -> tuple[str, str]:
    """The longest head of `line` within `limit` visible characters, and the rest; each valid HTML."""
    width = 0
    stack: list[tuple[str, str]] = []  # open tags: name and the opening tag as written
    cut, cut_stack = 0, list(stack)
    space, space_stack = 0, list(stack)
    for match in _TOKEN.finditer(line):
        if match.group("name"):
            if match.group("close"):
                if stack:
                    stack.pop()
                if cut == match.start():  # a closing tag right after the cut belongs to the head
                    cut, cut_stack = match.end(), list(stack)
            else:
                stack.append((match.group("name").lower(), match.group(0)))
            continue
        token_width = utf16_len(html.unescape(match.group(0)))
        if width + token_width > limit and width > 0:
            break
        width += token_width
        cut, cut_stack = match.end(), list(stack)
        if match.group(0).isspace():
            space, space_stack = cut, cut_stack
    # A word is cut only when the line has no space in the second half of the part.
    if space * 2 > cut:
        cut, cut_stack = space, space_stack
    head = line[:cut] + "".join(f"</{name}>" for name, _ in reversed(cut_stack))
    rest = "".join(opening for _, opening in cut_stack) + line[cut:]
    return head, rest


def caption(text: str, limit: int = CAPTION_LIMIT) -> str:
    """A photo caption under Telegram's limit: whole lines only, with "…" when lines were dropped."""
    parts = split_message(text, limit - 2)
    return parts[0] if len(parts) <= 1 else parts[0] + "\n…"


def bullet_lines(lines: Iterable[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)
