"""The demo's terminal: the admin's chat as a transcript, pacing lines between, files saved as they come."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

MAX_LINES = 22  # a long answer (the overview) is cut here on screen; the chat has it whole
INDENT = " " * 14


class PacingLines(logging.Handler):
    """Turns the pacer's "Rate limiting" records into transcript lines.

    The first channel's run shows every pause but the 0.5 s message gaps (counted instead); later
    runs repeat the same pattern, so each becomes one line with its totals per layer.
    """

    def __init__(self, view: Transcript) -> None:
        super().__init__(logging.INFO)
        self.view = view
        self.detailed = True
        self.counts: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if not text.startswith("Rate limiting") or not isinstance(record.args, tuple) or len(record.args) < 2:
            return
        layer, seconds = str(record.args[0]), float(record.args[1])
        if layer == "channel" and not self.detailed:
            self.flush()
        self.counts[layer] += 1
        self.seconds[layer] += seconds
        if layer == "message" or not self.detailed:
            return
        gaps = self.counts.pop("message", 0)
        self.seconds.pop("message", None)
        skipped = f"  [after {gaps} x 0.5 s message gaps]" if gaps else ""
        self.view.line(f"{INDENT}⏱ {text}, {seconds * self.view.scale:.1f} s here{skipped}")
        if layer == "channel":
            self.detailed = False
            self.counts.clear()
            self.seconds.clear()

    def flush(self) -> None:
        """One line for the pauses since the last one printed (a whole channel's run)."""
        if not self.counts:
            return
        total = sum(self.seconds.values())
        parts = ", ".join(f"{n} {layer}" for layer, n in self.counts.most_common())
        self.view.line(f"{INDENT}⏱ Rate limiting, the same layers again: {parts} pauses, "
                       f"{total:.0f} s in all ({total * self.view.scale:.1f} s here)")
        self.counts.clear()
        self.seconds.clear()


class Transcript:
    def __init__(self, out: TextIO, files: Path, scale: float) -> None:
        self.out, self.files, self.scale = out, files, scale
        self.began = time.monotonic()
        self.saved: list[Path] = []
        self.pacing_handler = PacingLines(self)
        self._shown = 0

    def line(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _stamp(self) -> str:
        return f"[{time.monotonic() - self.began:5.1f} s]"

    def banner(self) -> None:
        self.line("ChannelPulse demo: offline, no credentials. The sandbox Telegram (3 public channels")
        self.line("and 1 private one) and a local Bot API server, wired as `python main.py run --sandbox`.")
        self.line(f"The report's pacing plays {1 / self.scale:g}x faster than real time: a 10 s pause takes "
                  f"{10 * self.scale:g} s here.")
        self.line("No limit is loosened and no unsafe override is on; the collector counts its full seconds.")
        self.line("")

    def note(self, text: str) -> None:
        self.line(f"{self._stamp()} · {text}")

    def admin(self, command: str) -> None:
        self.line("")
        self.line(f"{self._stamp()} admin ▸ {command}")

    def bot(self, sent: Any, path: Path | None = None) -> None:
        """One bot message; `path` is where its photo or document was saved."""
        body = sent.text or ""
        if sent.data is not None and path is not None:
            label = "chart" if sent.kind == "photo" else "file"
            body = f"[{label} saved: {path} ({len(sent.data) / 1024:.0f} KiB)]" + (f" {body}" if body else "")
        lines = body.splitlines() or [""]
        if sent.kind == "edit":
            lines[0] = f"(edited) {lines[0]}"
        self.line(f"{self._stamp()} bot   ◂ {lines[0]}")
        shown = lines[1:MAX_LINES]
        for rest in shown:
            self.line(f"{INDENT}  {rest}")
        if len(lines) > MAX_LINES:
            self.line(f"{INDENT}  … ({len(lines) - MAX_LINES} more lines in the chat)")

    async def _save(self, sent: Any) -> Path:
        name = sent.filename or f"{sent.kind}-{sent.message_id}"
        path = self.files / f"{sent.message_id:03d}-{name}"
        await asyncio.to_thread(path.write_bytes, sent.data)  # off the loop the bot runs on
        if path not in self.saved:
            self.saved.append(path)
        return path

    async def follow(self, server: Any, chat: int) -> None:
        """Print what the bot sends to `chat` as it arrives (notifications included)."""
        while True:
            await self.flush(server, chat)
            await asyncio.sleep(0.1)

    async def flush(self, server: Any, chat: int) -> None:
        messages = server.messages(chat)
        while self._shown < len(messages):
            sent = messages[self._shown]
            self.bot(sent, await self._save(sent) if sent.data is not None else None)
            self._shown += 1

    def finish(self, seconds: float) -> None:
        self.pacing_handler.flush()
        self.line("")
        self.line(f"Demo finished in {seconds:.0f} s. Files written to {self.files.resolve()}:")
        for path in self.saved:
            self.line(f"  {path}")
