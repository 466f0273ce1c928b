"""Drill: the Bot API goes away for a while and comes back; the bot carries on by itself.

A TCP relay stands between the app and the sandbox Bot API server, so the server (and what the
admin sent meanwhile) survives while the app sees connections refused and reset.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from sandbox.botapi import BotAPIServer
from tests.drills.harness import START_WITHIN, AppProcess, sandbox_env, start, terminate_all

ADMIN = 4242


class Relay:
    """Forwards 127.0.0.1:port to the server; `down()` closes the port and every open connection."""

    def __init__(self, target: int) -> None:
        self.target, self.port = target, 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        # The same port every time, so the app's BOT_API_URL stays right across the outage.
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()
            self._writers.discard(writer)


async def _until(
    condition: Callable[[], bool], what: str, app: AppProcess, within: float = START_WITHIN
) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert app.proc.poll() is None, f"the app exited before {what}:\n{app.output[-3000:]}"
        assert time.monotonic() < deadline, f"no {what} within {within:g} s\n{app.output[-3000:]}"
        await asyncio.sleep(0.1)


async def test_the_bot_carries_on_after_the_bot_api_was_unreachable(tmp_path: Path) -> None:
    async with BotAPIServer() as server:
        server.open_chat(ADMIN, "Admin")
        port = int(server.base_url.rsplit(":", 1)[1])
        relay = Relay(port)
        await relay.up()
        env = sandbox_env(0.05, time.time(), BOT_API_URL=f"http://127.0.0.1:{relay.port}",
                          ADMIN_IDS=str(ADMIN))
        app = start(tmp_path, "run", "--sandbox", env=env)
        try:
            await _until(lambda: "running as @" in app.output, "the start-up summary", app)
            await server.send_message(ADMIN, "/start", first_name="Admin")
            [hello] = await server.next_messages(ADMIN, 1, within=START_WITHIN)
            assert "ChannelPulse" in hello.text

            await relay.down()
            await _until(lambda: "Failed to fetch updates" in app.output, "a failed poll", app)
            # The admin writes while the bot cannot hear; Telegram keeps the message for it.
            await server.send_message(ADMIN, "/channels", first_name="Admin")
            await asyncio.sleep(3)
            assert not server.messages(ADMIN)[1:], "answered while the Bot API was unreachable?"
            await relay.up()

            [answer] = await server.next_messages(ADMIN, 1, within=START_WITHIN)
            assert "channel" in answer.text.lower()
            # A stop that hung would run into this limit; how fast it stops is bench_run's figure.
            code, _ = await asyncio.to_thread(app.stop)
        finally:
            terminate_all(app)
    assert code == 0
    assert "Traceback" not in app.output
