"""The API's listening socket: what the server answers is sent at once, not held for the client's ACK."""

from __future__ import annotations

import socket

import pytest

from api.server import CannotListen, listening_socket


def test_connections_it_accepts_send_without_waiting_for_acks() -> None:
    # Nagle's algorithm held an answer's body (written after its headers) until the client's delayed
    # ACK came: about 40 ms more on every request the API and the dashboard answered.
    server = listening_socket("127.0.0.1", 0)
    server.setblocking(True)
    try:
        with socket.create_connection(server.getsockname()[:2], timeout=60):
            accepted, _ = server.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        server.close()


def test_a_port_in_use_is_refused_with_what_to_do() -> None:
    taken = listening_socket("127.0.0.1", 0)
    try:
        with pytest.raises(CannotListen, match="set API_HOST/API_PORT to a free address"):
            listening_socket("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()
