"""Rich tables for `python main.py status` on a terminal (scripts use `--json`)."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.table import Table

from app.status import LAYERS, ChannelStatus, StatusReport
from storage.channels import COLLECTABLE
from storage.size import DatabaseSize

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def when(moment: datetime | None, now: datetime) -> str:
    """`2026-03-02 12:00 UTC (5m ago)`; "never" for None."""
    if moment is None:
        return "never"
    delta = (moment - now).total_seconds()
    if abs(delta) < 60:
        rel = "now"
    else:
        span = _span(abs(delta))
        rel = f"in {span}" if delta > 0 else f"{span} ago"
    return f"{moment:%Y-%m-%d %H:%M} UTC ({rel})"


def due(moment: datetime | None, now: datetime) -> str:
    """When a collection happens: a time ahead, or "now" once it has come (a run takes it)."""
    if moment is None or moment <= now:
        return "now"
    return when(moment, now)


def next_collection(report: StatusReport) -> str:
    """The process line's next collection: the time a run really takes a channel, or why none."""
    if not any(c.status in COLLECTABLE for c in report.channels):
        return "nothing to collect"
    if report.next_collection is not None:
        return due(report.next_collection, report.generated_at)
    if report.process == "running":
        return "not scheduled (the process holding the session runs no collection schedule)"
    return "when `python main.py run` starts (it collects what is due at once, then every interval)"


def channel_next(c: ChannelStatus, report: StatusReport) -> str:
    if c.status not in COLLECTABLE:
        return "—"
    if c.next_collection_at is not None:
        return due(c.next_collection_at, report.generated_at)
    now = report.generated_at
    # No schedule to go by: say when it falls due, which a started `run` honours.
    return "at start" if c.due_at is None or c.due_at <= now else f"after {when(c.due_at, now)}"


def size_line(size: DatabaseSize) -> str:
    """`Database size: 1.2 GiB on disk, 310.4 MiB in use`."""
    if size.file_bytes is None:
        return f"Database size: {human_bytes(size.used_bytes)}"
    # The rest is the write-ahead log and free pages, which new rows reuse (storage/size.py).
    return f"Database size: {human_bytes(size.file_bytes)} on disk, {human_bytes(size.used_bytes)} in use"


def human_bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB"):
        if n < 1024:
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def _span(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def render_status(report: StatusReport, console: Console) -> None:
    now = report.generated_at
    console.print(f"[bold]ChannelPulse[/bold] — {report.database} (schema {report.schema or 'empty'})")
    process = {
        "running": f"running (pid {report.process_pid})",
        "stopped": "not running",
    }.get(report.process, "unknown")
    console.print(
        f"ChannelPulse process: {process}; last collection: {when(report.last_collection, now)}; "
        f"next collection: {next_collection(report)}"
    )
    console.print(report.account_line, highlight=False)
    if report.size is not None:
        console.print(size_line(report.size), highlight=False)
    if not report.channels:
        console.print("No channels tracked yet: send /add_channel @name to the bot, "
                      "or run `python main.py collect @name`.")
    else:
        table = Table(title="Channels", title_justify="left")
        for col in ("channel", "status", "posts", "last collected", "next collection"):
            table.add_column(col, justify="right" if col == "posts" else "left")
        for c in report.channels:
            status = f"{c.status}: {c.reason}" if c.reason else c.status
            name = f"@{c.username}" + (f"\n{c.title}" if c.title else "")
            table.add_row(
                name, status, f"{c.posts:,}", when(c.last_collected_at, now),
                channel_next(c, report),
            )
        console.print(table)
    if report.runs:
        console.print(_runs_table(report))
    if report.digests:
        table = Table(title="Digests scheduled", title_justify="left")
        for col in ("chat", "when", "channels", "state", "last sent"):
            table.add_column(col)
        for d in report.digests:
            day = f"{WEEKDAYS[d.weekday]} " if d.cadence == "weekly" and d.weekday is not None else ""
            table.add_row(
                str(d.chat_id), f"{d.cadence} {day}{d.at_time} {d.timezone}",
                ", ".join(d.channels) or "all", "paused" if d.paused else "active",
                when(d.last_slot_sent, now),
            )
        console.print(table)
    else:
        console.print("No digests scheduled (the bot's /digest daily HH:MM sets one up).")


def _runs_table(report: StatusReport) -> Table:
    extra = sorted({k for r in report.runs for k in r.pacing_seconds} - set(LAYERS))
    layers = (*LAYERS, *extra)
    table = Table(title="Last runs (seconds spent per pacing layer)", title_justify="left")
    table.add_column("run", justify="right")
    table.add_column("@channel")
    table.add_column("started (UTC)")
    for col in ("took s", "fetched", "new", "upd", *layers, "FloodWaits"):
        table.add_column(col, justify="right")
    for r in report.runs:
        took = f"{r.seconds:.1f}" if r.seconds is not None else "running"
        floods = f"{r.flood_waits} ({r.flood_wait_seconds:g}s)" if r.flood_waits else "0"
        table.add_row(
            str(r.id), r.channel + (f"\nerror: {r.error}" if r.error else ""),
            f"{r.started_at:%m-%d %H:%M:%S}", took, str(r.fetched), str(r.new), str(r.updated),
            *(f"{r.pacing_seconds.get(layer, 0.0):.1f}" for layer in layers), floods,
        )
    return table
