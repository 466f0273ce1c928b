"""Pure helpers every reply uses: HTML escaping, numbers and dates for people, splitting at 4096."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

_TAG = re.compile(r"<(/?)[a-zA-Z][^>]*>")

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


def esc(value: object) -> str:
    """Escape anything that did not come from our own templates (titles, usernames, post text)."""
    return html.escape(str(value), quote=False)


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


def split_message(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split a reply on line boundaries into parts of at most `limit` characters (Telegram's count).

    Our templates keep every tag within one line, so a split between lines never breaks markup.
    A single line longer than the limit (someone's very long post text) is cut at a character
    that is not inside a tag or an entity.
    """
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in _fit_lines(text.split("\n"), limit):
        added = utf16_len(line) + (1 if current else 0)
        if current and size + added > limit:
            parts.append("\n".join(current))
            current, size = [], 0
            added = utf16_len(line)
        current.append(line)
        size += added
    if current:
        parts.append("\n".join(current))
    return [p for p in (part.strip("\n") for part in parts) if p.strip()]


def _fit_lines(lines: Iterable[str], limit: int) -> Iterable[str]:
    for line in lines:
        while utf16_len(line) > limit:
            cut = _safe_cut(line, limit)
            yield line[:cut]
            line = line[cut:]
        yield line


def _safe_cut(line: str, limit: int) -> int:
    cut = limit
    while utf16_len(line[:cut]) > limit:
        cut -= 1
    # Step back out of an entity, a tag, or a tag pair the cut would land in.
    amp = line.rfind("&", 0, cut)
    if amp > 0 and line.find(";", amp) >= cut:
        cut = amp
    opened: list[int] = []
    for match in _TAG.finditer(line, 0, cut):
        if match.end() > cut:
            break
        if match.group(1):
            if opened:
                opened.pop()
        else:
            opened.append(match.start())
    lt = line.rfind("<", 0, cut)
    if lt >= 0 and line.find(">", lt) >= cut:
        opened.append(lt)
    if opened and opened[0] > 0:
        cut = opened[0]
    return max(cut, 1)


def caption(text: str, limit: int = CAPTION_LIMIT) -> str:
    """A photo caption under Telegram's limit: whole lines only, with "…" when lines were dropped."""
    parts = split_message(text, limit - 2)
    return parts[0] if len(parts) <= 1 else parts[0] + "\n…"


def bullet_lines(lines: Iterable[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)
