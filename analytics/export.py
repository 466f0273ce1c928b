"""Export a channel's posts (latest counters) or every counter snapshot, as CSV or JSON text."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Sequence
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


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


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


def render_export(data: ExportData, fmt: str = "csv") -> str:
    """The export as CSV or JSON text; pure and CPU-bound (seconds for 100k snapshots): run it in a
    thread from async code."""
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown format {fmt!r}: use csv or json")
    if data.series:
        dates = {p.message_id: p.date for p in data.posts}
        columns: Sequence[str] = SERIES_COLUMNS
        records = [
            {"message_id": s.message_id, "run_id": s.run_id, "taken_at": s.taken_at,
             "age_hours": round((s.taken_at - dates[s.message_id]) / timedelta(hours=1), 3),
             **{k: getattr(s, k) for k in COUNTERS}}
            for s in data.snapshots
        ]
    else:
        columns = POST_COLUMNS
        records = [
            {"message_id": p.message_id, "date": p.date,
             "link": f"https://t.me/{data.username}/{p.message_id}", "grouped_id": p.grouped_id,
             "media_kind": p.media_kind, "deleted": p.deleted,
             **{k: getattr(p, k) for k in COUNTERS}, "text": p.text}
            for p in data.posts
        ]
    if fmt == "json":
        return json.dumps([{k: _cell(r[k]) for k in columns} for r in records], ensure_ascii=False, indent=1)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    # Unknown counts stay empty cells, never 0.
    writer.writerows([["" if r[k] is None else _cell(r[k]) for k in columns] for r in records])
    return buf.getvalue()


async def export_posts(
    engine: AsyncEngine, channel_id: int, fmt: str = "csv", series: bool = False
) -> str:
    """Every stored post (deleted ones flagged) or, with `series`, every counter snapshot."""
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown format {fmt!r}: use csv or json")
    data = await load_export(engine, channel_id, series)
    return await asyncio.to_thread(render_export, data, fmt)
