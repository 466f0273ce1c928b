"""Telegram's messages.getHistory paging over a chat's message ids, as one pure function."""

from __future__ import annotations

from collections.abc import Iterable

MAX_LIMIT = 100  # Telegram never returns more than 100 messages per history request


def history_ids(
    ids: Iterable[int], *, offset_id: int = 0, add_offset: int = 0, limit: int = MAX_LIMIT,
    max_id: int = 0, min_id: int = 0,
) -> list[int]:
    """The message ids one messages.getHistory returns, newest first.

    `ids` are every message the chat holds now: posts and service messages alike (both count
    toward `limit`); deleted messages are simply absent. The steps, in Telegram's order:

    1. Anchor: with `offset_id` = 0 the newest message; otherwise the newest message whose id is
       below `offset_id` (offset_id itself is excluded).
    2. Shift the anchor by `add_offset` positions towards older messages; a negative value reaches
       newer ones. So offset_id=X+1, add_offset=-limit selects the `limit` oldest messages with
       id >= X+1 (fewer, the newest ones, when fewer than `limit` exist).
    3. Take `limit` positions from there (at most MAX_LIMIT, none for limit <= 0); positions
       before the newest message are empty, never filled from further down.
    4. Only then filter that slice: keep ids < `max_id` and ids > `min_id` (0 = no bound).
       The filters never pull in messages from outside the slice.

    offset_date is not modelled: the test Telegram rejects requests that use it.
    """
    newest_first = sorted(set(ids), reverse=True)
    anchor = 0 if offset_id <= 0 else sum(1 for i in newest_first if i >= offset_id)
    start = anchor + add_offset
    end = start + min(limit, MAX_LIMIT)
    window = newest_first[max(start, 0):max(end, 0)]
    return [i for i in window if (max_id <= 0 or i < max_id) and (min_id <= 0 or i > min_id)]
