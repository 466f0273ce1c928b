"""The test run's PostgreSQL: when the machine has none, one line says so and SQLite runs alone."""

from __future__ import annotations

import pytest

from tests import postgres_server
from tests.conftest import unavailable_line


def test_no_binaries_and_no_server_named_is_one_line_saying_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(postgres_server.ENV_URL, raising=False)
    monkeypatch.setattr(postgres_server, "find_binaries", lambda: None)
    line = unavailable_line()
    assert line is not None and "\n" not in line
    assert line.startswith("PostgreSQL: not tested (no initdb/pg_ctl")
    assert postgres_server.ENV_URL in line and line.endswith("ran SQLite only")


def test_a_server_named_needs_no_binaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(postgres_server.ENV_URL, "postgresql://u:p@db.example/pulse")
    monkeypatch.setattr(postgres_server, "find_binaries", lambda: None)
    assert postgres_server.why_unavailable() is None
    cluster = postgres_server.from_env()
    assert cluster is not None and "p@" not in cluster.description
    assert cluster.sqlalchemy_url("x") == "postgresql+asyncpg://u:p@db.example/x"


def test_a_server_named_must_be_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(postgres_server.ENV_URL, "sqlite:///pulse.db")
    with pytest.raises(postgres_server.PostgresUnavailable, match="not a postgresql"):
        postgres_server.from_env()
