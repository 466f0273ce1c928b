"""Parsing `/digest ...` arguments into one of four requests, with the reason when they are wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.refs import ChannelRef, RefError, parse_ref

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


class DigestArgsError(ValueError):
    """A malformed /digest; str() says what was wrong in words."""


@dataclass(frozen=True)
class DigestList:
    pass


@dataclass(frozen=True)
class DigestNow:
    refs: tuple[ChannelRef, ...] = ()


@dataclass(frozen=True)
class DigestOff:
    refs: tuple[ChannelRef, ...] = ()  # empty: every subscription of the chat


@dataclass(frozen=True)
class DigestSubscribe:
    cadence: str  # "daily" or "weekly"
    at_time: str  # "HH:MM"
    timezone: str
    weekday: int | None = None  # 0 = Monday
    refs: tuple[ChannelRef, ...] = ()  # empty: every tracked channel


DigestRequest = DigestList | DigestNow | DigestOff | DigestSubscribe


def parse_digest_args(args: str | None, default_tz: str) -> DigestRequest:
    words = (args or "").split()
    if not words:
        return DigestList()
    head, rest = words[0].lower(), words[1:]
    if head == "now":
        return DigestNow(_refs(rest))
    if head == "off":
        return DigestOff(_refs(rest))
    weekday = None
    if head == "weekly":
        if not rest:
            raise DigestArgsError("weekly needs a day, e.g. weekly mon 09:00")
        weekday = parse_weekday(rest[0])
        rest = rest[1:]
    elif head != "daily":
        raise DigestArgsError(f"unknown digest option {head!r}: use daily, weekly, off or now")
    if not rest:
        raise DigestArgsError("give the time as HH:MM, e.g. 09:00")
    at_time = parse_time(rest[0])
    rest = rest[1:]
    tz = default_tz
    if rest and (
        ("/" in rest[0] and not rest[0].lower().startswith(("t.me", "http"))) or rest[0].upper() == "UTC"
    ):
        tz = parse_timezone(rest[0])
        rest = rest[1:]
    return DigestSubscribe("weekly" if weekday is not None else "daily", at_time, tz, weekday, _refs(rest))


def parse_time(text: str) -> str:
    match = _TIME.fullmatch(text)
    if match is None:
        raise DigestArgsError(f"{text!r} is not a time: use HH:MM, 24-hour, e.g. 18:30")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def parse_weekday(text: str) -> int:
    word = text.lower()
    for index, day in enumerate(WEEKDAYS):
        if len(word) >= 3 and day.startswith(word):
            return index
    raise DigestArgsError(f"{text!r} is not a day of the week: use mon, tue, … or monday, …")


def parse_timezone(text: str) -> str:
    """A zone name as the tz database spells it; "utc" or "europe/berlin" are read case-insensitively."""
    try:
        ZoneInfo(text)
        return text
    except (ZoneInfoNotFoundError, ValueError):
        pass
    matches = _zones_by_lower().get(text.lower(), ())
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise DigestArgsError(f"{text!r} could be {' or '.join(sorted(matches))}: write it as one of them")
    raise DigestArgsError(f"{text!r} is not a time zone: use Area/City, e.g. Europe/Berlin")


@cache
def _zones_by_lower() -> dict[str, tuple[str, ...]]:
    # Read once: the zone list only changes with a tzdata upgrade, which means a restart anyway.
    index: dict[str, list[str]] = {}
    for name in available_timezones():
        index.setdefault(name.lower(), []).append(name)
    return {key: tuple(names) for key, names in index.items()}


def _refs(words: list[str]) -> tuple[ChannelRef, ...]:
    try:
        return tuple(parse_ref(word) for word in words)
    except RefError as exc:
        raise DigestArgsError(exc.reason) from None
