"""A light HTTP/1.1 load generator for the API benchmark: keep-alive connections on asyncio's raw
streams, one request in flight on each. httpx spends about a millisecond of CPU per request, which on
a 2-core machine is taken from the server under test; this spends a small fraction of that, so the
figures are the server's. Each request is timed from writing it to its body's last byte, and each
answer is checked: status 200 and a body that is whole JSON."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit


class BadAnswer(Exception):
    """The server's answer is not a complete HTTP/1.1 response with a JSON body."""


@dataclass
class Tally:
    times_ms: list[float]
    failed: int = 0  # answers other than 200 with a complete JSON body


class Connection:
    """One keep-alive connection; `get` sends a request and reads its whole answer."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()

    async def get(self, path: str) -> tuple[int, bytes]:
        """The status and body of GET `path`."""
        assert self.reader is not None and self.writer is not None
        request = f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.extra}\r\n"
        self.writer.write(request.encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise BadAnswer(f"not an HTTP/1.1 status line: {lines[0]!r}")
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
            elif name.strip().lower() == "transfer-encoding":
                raise BadAnswer("a chunked answer: this generator reads Content-Length bodies only")
        if length is None:
            raise BadAnswer("an answer without Content-Length")
        return int(parts[1]), await self.reader.readexactly(length)


async def run_load(base: str, headers: dict[str, str], paths: list[str], clients: int,
                   clock: Callable[[], float] = time.perf_counter) -> tuple[Tally, float]:
    """GET every one of `paths` over `clients` connections, each asking again as soon as it is
    answered; the tally and the wall seconds the whole took."""
    url = urlsplit(base)
    assert url.hostname is not None and url.port is not None
    tally = Tally([])
    todo = list(reversed(paths))
    connections = [Connection(url.hostname, url.port, headers) for _ in range(clients)]
    await asyncio.gather(*(c.open() for c in connections))

    async def client(conn: Connection) -> None:
        while todo:
            path = todo.pop()
            t0 = clock()
            status, body = await conn.get(path)
            tally.times_ms.append((clock() - t0) * 1000)
            tally.failed += status != 200 or not _whole_json(body)

    try:
        began = clock()
        await asyncio.gather(*(client(c) for c in connections))
        wall = clock() - began
    finally:
        await asyncio.gather(*(c.close() for c in connections))
    return tally, wall


def _whole_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True
