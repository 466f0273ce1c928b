"""Export a channel's posts (latest counters) or every counter snapshot, as CSV or JSON text."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.channels import ChannelRepo
from storage.db import read
from storage.models import CounterSnapshot, Post
from storage.posts import PostRepo

COUNTERS = ("views", "forwards", "replies", "reactions", "paid_reactions")
POST_COLUMNS = (
    "message_id", "date", "link", "grouped_id", "media_kind", "deleted", *COUNTERS, "text",
)
SERIES_COLUMNS = ("message_id", "run_id", "taken_at", "age_hours", *COUNTERS)


# A spreadsheet reads a cell starting with one of these as a formula (OWASP's CSV injection list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet cannot run: text that would start a formula gets a leading quote, so
    it is shown as text. Only text is touched: numbers, negative ones included, stay numbers."""
    if value is None:
        return ""  # unknown counts stay empty cells, never 0
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return _cell(value)


@dataclass(frozen=True)
class ExportData:
    """What an export is built from, read from the database; building the text is CPU work."""

    username: str
    posts: tuple[Post, ...]
    snapshots: tuple[CounterSnapshot, ...]
    series: bool

    @property
    def rows(self) -> int:
        """How many data rows the export has (posts, or with `series` snapshots)."""
        return len(self.snapshots) if self.series else len(self.posts)


async def load_export(engine: AsyncEngine, channel_id: int, series: bool = False) -> ExportData:
    """Read every stored post (and with `series` every counter snapshot) of one channel."""
    async with read(engine) as conn:
        channel = await ChannelRepo(conn).get(channel_id)
        if channel is None:
            raise LookupError(f"no tracked channel with id {channel_id}")
        repo = PostRepo(conn)
        # Read in slices: 100k snapshots read at once held the event loop for most of a second.
        posts = [p async for part in repo.iter_posts(channel_id) for p in part]
        snaps = [s async for part in repo.iter_snapshots(channel_id) for s in part] if series else []
    return ExportData(channel.username, tuple(posts), tuple(snaps), series)


def _post_record(username: str, p: Post) -> dict[str, Any]:
    return {"message_id": p.message_id, "date": p.date, "link": f"https://t.me/{username}/{p.message_id}",
            "grouped_id": p.grouped_id, "media_kind": p.media_kind, "deleted": p.deleted,
            **{k: getattr(p, k) for k in COUNTERS}, "text": p.text}


def _series_record(dates: dict[int, datetime], s: CounterSnapshot) -> dict[str, Any]:
    return {"message_id": s.message_id, "run_id": s.run_id, "taken_at": s.taken_at,
            "age_hours": round((s.taken_at - dates[s.message_id]) / timedelta(hours=1), 3),
            **{k: getattr(s, k) for k in COUNTERS}}


def _piece(fmt: str, columns: Sequence[str], records: list[dict[str, Any]], first: bool) -> str:
    """Part of the export's text: `records` after any before them (`first`: none were). The pieces of
    an export joined are exactly its whole text, so a streamed export equals a written one."""
    if fmt == "json":
        # JSON is typed data: a program reads the text as it was posted, and a spreadsheet's JSON
        # import types it as text, never a formula, so it is left exactly as posted. Each item is
        # laid out as json.dumps(whole list, indent=1) would lay it out.
        items = [" " + json.dumps({k: _cell(r[k]) for k in columns}, ensure_ascii=False, indent=1)
                 .replace("\n", "\n ") for r in records]
        return ("[\n" if first else ",\n") + ",\n".join(items) if items else ""
    buf = io.StringIO()
    # CRLF, as RFC 4180 and spreadsheets have it: the csv module quotes a cell holding any character
    # of the line terminator, and a bare CR left unquoted starts a new row in a spreadsheet, whose
    # first cell could then be a formula.
    writer = csv.writer(buf, lineterminator="\r\n")
    if first:
        writer.writerow(columns)
    writer.writerows([[_csv_cell(r[k]) for k in columns] for r in records])
    return buf.getvalue()


def _ending(fmt: str, empty: bool) -> str:
    if fmt == "json":
        return "[]" if empty else "\n]"
    return ""


def _check(fmt: str) -> None:
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown format {fmt!r}: use csv or json")


def render_export(data: ExportData, fmt: str = "csv") -> str:
    """The export as CSV or JSON text; pure and CPU-bound (seconds for 100k snapshots): run it in a
    thread from async code."""
    _check(fmt)
    if data.series:
        dates = {p.message_id: p.date for p in data.posts}
        columns: Sequence[str] = SERIES_COLUMNS
        records = [_series_record(dates, s) for s in data.snapshots]
    else:
        columns = POST_COLUMNS
        records = [_post_record(data.username, p) for p in data.posts]
    return _piece(fmt, columns, records, first=True) + _ending(fmt, not records)


async def iter_export(
    engine: AsyncEngine, channel_id: int, fmt: str = "csv", series: bool = False, chunk: int = 1000
) -> AsyncIterator[str]:
    """The text `export_posts` returns, in pieces of `chunk` rows read and rendered one after another,
    so an export of any size is sent while it is read (the HTTP API streams it)."""
    _check(fmt)
    async with read(engine) as conn:
        channel = await ChannelRepo(conn).get(channel_id)
        if channel is None:
            raise LookupError(f"no tracked channel with id {channel_id}")
        repo = PostRepo(conn)
        first, dates = True, {}
        if series:
            dates = {p.message_id: p.date async for part in repo.iter_posts(channel_id) for p in part}
            parts = repo.iter_snapshots(channel_id, chunk)
            columns: Sequence[str] = SERIES_COLUMNS
        else:
            parts = repo.iter_posts(channel_id, chunk)
            columns = POST_COLUMNS
        async for part in parts:
            records = [_series_record(dates, s) if series else _post_record(channel.username, s)
                       for s in part]
            # Rendering is CPU work: off the event loop, a slice at a time.
            text = await asyncio.to_thread(_piece, fmt, columns, records, first)
            first = first and not records
            if text:
                yield text
    if ending := _ending(fmt, first):
        yield ending


async def export_posts(
    engine: AsyncEngine, channel_id: int, fmt: str = "csv", series: bool = False
) -> str:
    """Every stored post (deleted ones flagged) or, with `series`, every counter snapshot."""
    _check(fmt)
    data = await load_export(engine, channel_id, series)
    return await asyncio.to_thread(render_export, data, fmt)
