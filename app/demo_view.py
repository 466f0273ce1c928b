"""The demo's terminal: the admin's chat as a transcript, pacing lines between, files saved as they come."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from collector.pacing import PacingEvent, RunEnded

MAX_LINES = 22  # a long answer (the overview) is cut here on screen; the chat has it whole
INDENT = " " * 14


class PacingLines:
    """Turns the pacer's events into transcript lines, and closes each run with one line.

    The first channel's run shows every pause but the 0.5 s message gaps (counted instead), and the
    first pause between channels shows too; later runs repeat the same pattern. Every run ends with
    one line of its pauses per layer, drawn when the pacer says the run ended, so it comes before
    the bot's news of that run and the timeline is complete when the script is.
    """

    def __init__(self, view: Transcript) -> None:
        self.view = view
        self.runs = 0
        self.channel_shown = False
        self.gaps = 0
        self.counts: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()

    def on_event(self, event: PacingEvent) -> None:
        """The pacer's hook: a pause as it begins, or the end of a channel's run."""
        if self.view.finished:
            return  # after the script (demo --serve) the collector goes on quietly
        if isinstance(event, RunEnded):
            self.close_run(event.channel)
            return
        self.counts[event.layer] += 1
        self.seconds[event.layer] += event.seconds
        if event.layer == "message":
            self.gaps += 1
            return
        if self.runs == 0 or (event.layer == "channel" and not self.channel_shown):
            self.channel_shown |= event.layer == "channel"
            skipped = f"  [after {self.gaps} x 0.5 s message gaps]" if self.gaps else ""
            self.view.pacing(f"⏱ Rate limiting: {event.describe()}, "
                             f"{event.seconds * self.view.scale:.1f} s here{skipped}")
        self.gaps = 0

    def close_run(self, channel: str | None) -> None:
        """One line for the pauses since the last one closed: `channel`'s run, or (None) the pauses
        of a run the stop cut short. Every run gets its line: on a fast clock the work between two
        requests can outlast a short gap, and then no pause is needed."""
        if not self.counts and channel is None:
            return
        who = f"@{channel.lstrip('@')}'s run" if channel else "the run cut short by the stop"
        if not self.counts:
            self.view.pacing(f"⏱ Rate limiting in {who}: no pause needed (the work in between took "
                             "longer than each gap)")
        else:
            total = sum(self.seconds.values())
            parts = ", ".join(f"{n} {layer}" for layer, n in self.counts.most_common())
            self.view.pacing(f"⏱ Rate limiting in {who}: {parts} pauses, {total:.0f} s in all "
                             f"({total * self.view.scale:.1f} s here)")
        self.runs += 1
        self.gaps = 0
        self.counts.clear()
        self.seconds.clear()


class Transcript:
    def __init__(self, out: TextIO, files: Path, scale: float) -> None:
        self.out, self.files, self.scale = out, files, scale
        self.began = time.monotonic()
        self.saved: list[Path] = []
        self.finished = False
        self.timeline = PacingLines(self)
        self._shown = 0
        self._chat: tuple[Any, int] | None = None  # the server and chat `follow` shows

    def pacing(self, text: str) -> None:
        """A timeline line, after whatever the bot said before it (so the screen keeps the order)."""
        self.catch_up()
        self.line(f"{INDENT}{text}")

    def catch_up(self) -> None:
        """Show the bot's text messages that arrived already; one with a file waits for `flush`,
        which saves it off the loop."""
        if self._chat is None:
            return
        server, chat = self._chat
        messages = server.messages(chat)
        while self._shown < len(messages) and messages[self._shown].data is None:
            self.bot(messages[self._shown])
            self._shown += 1

    def line(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _stamp(self) -> str:
        return f"[{time.monotonic() - self.began:5.1f} s]"

    def banner(self, ignored: list[str]) -> None:
        """The opening lines; `ignored` are the user's MTPROTO_* settings, which the demo does not use."""
        self.line("ChannelPulse demo: offline, no credentials. The sandbox Telegram (3 public channels")
        self.line("and 1 private one) and a local Bot API server, wired as `python main.py run --sandbox`.")
        self.line(f"The report's pacing plays {1 / self.scale:g}x faster than real time: a 10 s pause takes "
                  f"{10 * self.scale:g} s here.")
        if ignored:
            self.line(f"Your MTPROTO_* settings are not used here ({', '.join(ignored)}): the demo always "
                      "plays the report's pacing.")
        self.line("No limit is loosened and no unsafe override is on here; the collector counts its full "
                  "seconds.")
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
        self._chat = (server, chat)
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
        """The closing lines, last: the timeline and the chat were shown whole before them."""
        self.timeline.close_run(None)
        self.finished = True
        self.line("")
        self.line(f"Demo finished in {seconds:.0f} s. Files written to {self.files.resolve()}:")
        for path in self.saved:
            self.line(f"  {path}")
