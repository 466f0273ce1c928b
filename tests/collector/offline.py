"""Telegram's address pointed at 127.0.0.1, so a test of a failed connection never leaves the machine."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from telethon.client import telegrambaseclient

# What a captive portal or an HTTP proxy says to an MTProto client (Telethon: "95 bytes read").
HTTP_ANSWER = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class _Answer(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.server.dialled += 1  # type: ignore[attr-defined]
        self.request.recv(64)
        self.request.sendall(HTTP_ANSWER)


@contextmanager
def telegram_at(monkeypatch: pytest.MonkeyPatch, port: int) -> Iterator[None]:
    """New Telethon sessions dial 127.0.0.1:`port` instead of Telegram's DC 2."""
    monkeypatch.setattr(telegrambaseclient, "DEFAULT_IPV4_IP", "127.0.0.1")
    monkeypatch.setattr(telegrambaseclient, "DEFAULT_IPV6_IP", "::1")
    monkeypatch.setattr(telegrambaseclient, "DEFAULT_PORT", port)
    yield


class NotTelegram(socketserver.ThreadingTCPServer):
    daemon_threads = True
    dialled = 0  # connections it answered

    @property
    def port(self) -> int:
        return int(self.server_address[1])


@contextmanager
def not_telegram(monkeypatch: pytest.MonkeyPatch) -> Iterator[NotTelegram]:
    """Something on 127.0.0.1 that answers like a proxy, not like Telegram, dialled by new sessions."""
    server = NotTelegram(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with telegram_at(monkeypatch, server.port):
            yield server
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A local port nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_session(path: str, port: int) -> None:
    """A session file (never signed in) whose data centre is 127.0.0.1:`port`."""
    from telethon.sessions import SQLiteSession

    session = SQLiteSession(path)
    session.set_dc(2, "127.0.0.1", port)
    session.save()
    session.close()
