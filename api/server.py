"""Serving the app with uvicorn inside a loop someone else owns (`python main.py api`, or `run` beside
the bot): the socket is bound here, so a port in use is one clear line, not uvicorn's sys.exit; and
the owner's signal handling stays the owner's."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI


class CannotListen(Exception):
    """The address cannot be listened on; str() is the line to show."""


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the caller's loop handles SIGINT/SIGTERM and calls stop()


# The cyclic garbage collector's first-generation threshold for a process that only serves the API
# (CPython's default is 700 allocations): each request allocates thousands of short-lived objects.
GC_FIRST_GENERATION = 50_000


def settle_heap() -> None:
    """For a process that serves the API alone, once it has started: what start-up built (modules,
    the app and its routes, the database's dialect) is frozen out of the cyclic collector's scans,
    and young objects are collected less often. With CPython's defaults every few requests paid
    for a collection that walked that start-up heap, which showed as a long tail under 16
    concurrent clients (bench_api: warm summary p95 130-158 ms before, 73-85 ms after)."""
    gc.collect()
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(GC_FIRST_GENERATION, second, third)


class ApiServer:
    """One uvicorn server on a socket bound at `start`; `stop` ends it (open requests finish first)."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self.host, self.port = host, port
        # A stop waits this long for open requests (a long export) before cutting them.
        self.config = uvicorn.Config(app, log_config=None, lifespan="off", server_header=False,
                                     timeout_graceful_shutdown=10)
        self.server = _Server(self.config)
        self._task: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Listen (CannotListen when the address is taken or not ours) and serve in a task."""
        self._sock = listening_socket(self.host, self.port)
        self.port = self._sock.getsockname()[1]  # port 0 asks the system for a free one
        # The socket listens already: a request that comes before uvicorn's first accept waits in
        # the kernel's queue.
        self._task = asyncio.create_task(self.server.serve(sockets=[self._sock]))
        await asyncio.sleep(0)

    async def stop(self) -> None:
        if self._task is not None:
            self.server.should_exit = True
            await self._task
        if self._sock is not None:
            self._sock.close()

    async def wait(self) -> None:
        """Until the server ends by itself (it does not, unless it failed)."""
        if self._task is not None:
            await asyncio.shield(self._task)


def listening_socket(host: str, port: int) -> socket.socket:
    """The bound, listening socket uvicorn serves on; CannotListen when the address cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by every connection accepted on it. Without it an answer's body, written after its
    # headers, waited for the client's delayed ACK: about 40 ms added to every request (a /healthz
    # took 48 ms over loopback, 1.6 ms with it).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise CannotListen(
            f"the API cannot listen on {host}:{port}: {exc.strerror or exc}; set API_HOST/API_PORT "
            "to a free address of this machine"
        ) from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock
