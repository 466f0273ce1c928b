"""`python main.py stats` and `export`: resolve the reference locally, call the service, print."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path

from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.export import export_posts
from analytics.records import overview_dict
from analytics.render_text import print_overview, print_summary
from analytics.service import channel_summary, overview
from analytics.windows import parse_window
from clock import Clock, RealClock
from settings import Settings
from storage.channels import ChannelRepo
from storage.db import read
from storage.migrate import open_database
from storage.models import Channel
from storage.posts import PostRepo

_PREFIXES = ("https://", "http://", "www.", "t.me/", "telegram.me/", "telegram.dog/", "@")


def normalize_ref(ref: str) -> str:
    """"@Name", "t.me/name", "https://t.me/name/123" -> "name" (the collector owns full parsing)."""
    text = ref.strip()
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if text.lower().startswith(prefix):
                text, changed = text[len(prefix):], True
    return text.split("/")[0].split("?")[0].lower()


async def _find(engine: AsyncEngine, ref: str) -> Channel | None:
    async with read(engine) as conn:
        return await ChannelRepo(conn).get_by_username(normalize_ref(ref))


def _not_tracked(ref: str) -> int:
    name = normalize_ref(ref) or ref
    print(
        f"@{name} is not tracked — add it with /add_channel or `python main.py collect @{name}`",
        file=sys.stderr,
    )
    return 1


async def _stats(args: argparse.Namespace, settings: Settings, now: datetime) -> int:
    window = parse_window(args.window)
    engine = await open_database(settings.database_url)
    try:
        # Piped output has no terminal width; rich would fold tables and commands at 80 columns.
        console = Console(width=None if sys.stdout.isatty() else 160)
        if args.ref is None:
            rows = await overview(engine, window, now)
            if args.json:
                print(json.dumps(overview_dict(window.name, now, rows), indent=2))
            else:
                print_overview(rows, window.label, console)
            return 0
        channel = await _find(engine, args.ref)
        if channel is None:
            return _not_tracked(args.ref)
        summary = await channel_summary(engine, channel.id, window, now, settings.digest_timezone)
        if args.json:
            print(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False))
        else:
            print_summary(summary, console)
        return 0
    finally:
        await engine.dispose()


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    engine = await open_database(settings.database_url)
    try:
        channel = await _find(engine, args.ref)
        if channel is None:
            return _not_tracked(args.ref)
        out = Path(args.out) if args.out else None
        if out is not None and out.is_dir():
            print(f"--out {out} is a folder: name a file, e.g. {out / channel.username}.{args.format}",
                  file=sys.stderr)
            return 2
        async with read(engine) as conn:
            stored = (await PostRepo(conn).count_by_channel()).get(channel.id, 0)
        if not stored:
            # Posts stored by a first run that was cut short are exported; nothing stored, nothing.
            print(f"@{channel.username} has no posts stored yet: nothing to export", file=sys.stderr)
            return 1
        text = await export_posts(engine, channel.id, args.format, args.series)
    finally:
        await engine.dispose()
    if out is not None:
        await asyncio.to_thread(_write, out, text)
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def cmd_stats(args: argparse.Namespace, settings: Settings, clock: Clock | None = None) -> int:
    """`stats [<ref>] [--window W] [--json]`: one channel's summary, or the overview."""
    return asyncio.run(_stats(args, settings, (clock or RealClock()).now()))


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """`export <ref> [--format csv|json] [--series] [--out FILE]`."""
    return asyncio.run(_export(args, settings))
