"""`python main.py demo`: the whole pipeline offline, as `run --sandbox` wires it, with a scripted admin.

The admin speaks through the sandbox Bot API server's control side; the terminal shows the chat
as a transcript, with the pacer's pauses ("Rate limiting") between the lines as they happen. The
HTTP API and the dashboard serve the demo's database on a free loopback port while it plays, and
with `--serve` after the script too, until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from app.demo_dashboard import API_NOTE, closed_line, free_port, opening_lines, serving_lines
from app.demo_view import Transcript
from app.run import App, run_until_stopped
from app.sandbox_wiring import SANDBOX_ADMIN, Knobs, sandbox_wiring
from settings import Settings

SCALE = 0.1  # 10x faster than real time: about 30 s for three channels' first runs
REPLY_WITHIN = 30.0  # seconds a command may take to answer before the demo gives up
QUIET = 0.6  # seconds of silence after which a command's answer is complete

# (command, wait for the collector to be idle first)
SCRIPT: tuple[tuple[str, str], ...] = (
    ("/start", "now"),
    ("/add_channel @pulse_news @pulse_tech @pulse_markets @pulse_private", "now"),
    ("/status", "mid"),  # while the collector is between the layered pauses
    ("/channels", "idle"),
    ("/stats", "now"),
    ("/stats @pulse_news", "now"),
    ("/chart @pulse_news", "now"),
    ("/export @pulse_news", "now"),
    ("/digest now", "now"),
)


def demo_settings(settings: Settings, data: Path, api_port: int | None = None) -> Settings:
    """A throwaway database and session folder, the report's pacing exactly (no override), and the
    API on this machine's loopback at `api_port` (default: a free port), never the user's API_*."""
    fields = Settings.model_fields.items()
    pacing = {name: field.default for name, field in fields if name.startswith("mtproto_")}
    return settings.model_copy(update={
        **pacing, "database_url": f"sqlite+aiosqlite:///{data / 'pulse.db'}",
        "telegram_session": data / "pulse.session", "admin_ids": [SANDBOX_ADMIN], "bot_api_url": None,
        "api_host": "127.0.0.1", "api_port": api_port or free_port(), "api_public_url": None,
    })


def ignored_settings(settings: Settings) -> list[str]:
    """The user's MTPROTO_* values the demo does not use (it plays the report's pacing regardless)."""
    return [
        f"{name.upper()}={getattr(settings, name)}"
        for name, field in Settings.model_fields.items()
        if name.startswith("mtproto_") and getattr(settings, name) != field.default
    ]


def demo_command(settings: Settings, out: str, serve: bool = False) -> int:
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="channelpulse-demo-"))
    try:
        ignored = ignored_settings(settings)
        return asyncio.run(run_demo(demo_settings(settings, data), out_dir, ignored=ignored, serve=serve))
    except KeyboardInterrupt:
        # Ctrl-C before the demo's own handler was in place (while the sandbox was starting).
        print(interrupted_line(out_dir), flush=True)
        return 130
    finally:
        shutil.rmtree(data, ignore_errors=True)


def interrupted_line(out_dir: Path) -> str:
    return f"demo interrupted; files so far in {out_dir.resolve()}"


async def run_demo(
    settings: Settings, out_dir: Path, script: tuple[tuple[str, str], ...] = SCRIPT,
    scale: float = SCALE, out: TextIO | None = None, ignored: list[str] | None = None,
    serve: bool = False,
) -> int:
    """Play the script; 0 when it finished, 130 when Ctrl-C (or SIGTERM) stopped it, 1 otherwise.
    With `serve`, the app (the dashboard with it) goes on after the script until Ctrl-C, then 0."""
    view = Transcript(out or sys.stdout, out_dir, scale)
    wiring, server = await sandbox_wiring(settings, Knobs(scale=scale), view.timeline.on_event)
    assert server is not None  # the demo always runs its own Bot API server
    view.banner(ignored or [])
    stop = asyncio.Event()
    result: dict[str, Any] = {}
    quiet_logs = _quiet_logging()

    async def started(app: App) -> None:
        wall = app.liveness.clock  # login links last real minutes, as the API judges them
        for line in await opening_lines(app.engine, settings, wall.now(), serve):
            view.note(line)
        task = asyncio.create_task(_play(app, server, view, script))
        result["play"] = task
        if serve:
            task.add_done_callback(lambda t: result.update(task=t, serving=asyncio.create_task(
                _keep_serving(t, app, server, view, began, stop))))
        else:
            task.add_done_callback(lambda t: (result.update(task=t), stop.set()))

    def interrupt() -> None:
        # The script stops at once (no further command is sent), then the app stops in order:
        # polling ends before the sandbox's Bot API server goes, so aiogram has nothing to report.
        result["interrupted"] = True
        if "play" in result:
            result["play"].cancel()
        stop.set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, interrupt)
    began = time.monotonic()
    try:
        code = await run_until_stopped(wiring, stop, view.note, started, api_note=API_NOTE)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await wiring.close()
        quiet_logs()
    if (serving := result.get("serving")) is not None:
        if not serving.done():  # stopped while the transcript was being closed
            serving.cancel()
            await asyncio.wait({serving})
        elif not serving.cancelled() and serving.exception() is None and serving.result():
            view.line(closed_line(out_dir))
            return 0
    if result.get("interrupted"):
        view.line(interrupted_line(out_dir))
        return 130
    task = result.get("task")
    if code != 0 or task is None:
        return code or 1
    if task.exception() is not None:
        view.note(f"demo stopped: {task.exception()}")
        return 1
    await view.flush(server, SANDBOX_ADMIN)  # anything the bot said while the app stopped
    view.finish(time.monotonic() - began)
    return 0


async def _keep_serving(
    play: asyncio.Task[None], app: App, server: Any, view: Transcript, began: float, stop: asyncio.Event,
) -> bool:
    """Once the script has played: close the transcript and say where the dashboard stays open
    (True); when the script failed or was stopped, stop the app as without --serve (False)."""
    if play.cancelled() or play.exception() is not None:
        stop.set()  # told after the app stopped, as without --serve
        return False
    await view.flush(server, SANDBOX_ADMIN)
    view.finish(time.monotonic() - began)
    view.line("")
    for line in await serving_lines(app.engine, app.wiring.settings, app.liveness.clock.now()):
        view.line(line)
    return True


async def _play(app: App, server: Any, view: Transcript, script: tuple[tuple[str, str], ...]) -> None:
    chat = SANDBOX_ADMIN
    watcher = asyncio.create_task(view.follow(server, chat))
    try:
        for command, when in script:
            if when == "mid":
                await _until(lambda: app.collector.state().message_index not in (None, 1), 120)
            elif when == "idle":
                await _until(lambda: not app.collector.state().collecting, 600)
            view.admin(command)
            answered = len(server.messages(chat)) + 1
            await server.send_message(chat, command, first_name="Admin", username="demo_admin")
            await _until(lambda n=answered: len(server.messages(chat)) >= n, REPLY_WITHIN)
            await _quiet(server, chat)
    finally:
        await asyncio.sleep(0.2)
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher  # so the last flush below is the only one running
        await view.flush(server, chat)


async def _until(condition: Any, within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing happened within {within:g} s")
        await asyncio.sleep(0.05)


async def _quiet(server: Any, chat: int) -> None:
    seen = -1
    while seen != len(server.messages(chat)):
        seen = len(server.messages(chat))
        await asyncio.sleep(QUIET)


def _quiet_logging() -> Any:
    """Only warnings reach the terminal as log lines: the pacing joins the transcript instead, from
    the pacer's events."""
    root = logging.getLogger()
    levels = [(h, h.level) for h in root.handlers]
    for handler, _ in levels:
        handler.setLevel(logging.WARNING)

    def restore() -> None:
        for handler, level in levels:
            handler.setLevel(level)

    return restore
