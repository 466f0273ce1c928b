"""Logging for every component: one line per event, optional JSON lines, secrets and phones redacted."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from typing import IO, Any

from settings import HIDDEN, Settings, hide_secrets, url_password

REDACTED = HIDDEN
# A phone number as Telethon and users write it; "+" keeps dates, ids and counts untouched.
PHONE = re.compile(r"(?<![\w+])\+\d{7,15}(?!\d)")
_OURS = "_channelpulse_handler"


class Redactor:
    """Replaces every configured secret, every URL's password, every bot token in a Bot API path and
    anything that looks like a phone number, in a string."""

    def __init__(self, secrets: Iterable[str]) -> None:
        parts: set[str] = set()
        for secret in secrets:
            if not secret:
                continue
            parts.add(secret)
            # A bot token's secret half may appear URL-encoded (":" as %3A) in a request line.
            _, _, tail = secret.partition(":")
            if len(tail) >= 8:
                parts.add(tail)
        # Longest first, so a token is replaced whole before its tail could be.
        alternatives = sorted(parts, key=len, reverse=True)
        self._secrets = re.compile("|".join(map(re.escape, alternatives))) if alternatives else None

    def __call__(self, text: str) -> str:
        if self._secrets is not None:
            text = self._secrets.sub(REDACTED, text)
        return PHONE.sub("+" + REDACTED, hide_secrets(text))


class RedactingFilter(logging.Filter):
    """Rewrites each record in place (message, arguments, exception and stack text) before output."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class TextFormatter(logging.Formatter):
    """`2026-03-02T12:00:00.123Z INFO collector: message`, times in UTC."""

    converter = time.gmtime

    def __init__(self, redact: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redact = redact

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc(record)

    def format(self, record: logging.LogRecord) -> str:
        # The filter already redacted; this pass also covers text a formatter adds itself.
        return self.redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, component, message, and exc when there is one."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": _utc(record), "level": record.levelname, "component": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exc"] = record.exc_text
        if record.stack_info:
            data["stack"] = record.stack_info
        return self.redact(json.dumps(data, ensure_ascii=False))


def _utc(record: logging.LogRecord) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{stamp}.{int(record.msecs):03d}Z"


def configure_logging(
    level: str, fmt: str, secrets: Iterable[str], stream: IO[str] | None = None
) -> logging.Handler:
    """Route every logger (ours, Telethon, aiogram, aiohttp, warnings) through one redacting handler."""
    redact = Redactor(secrets)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter(redact) if fmt == "json" else TextFormatter(redact))
    # On the handler, not a logger: logger filters do not see records propagated from child loggers.
    handler.addFilter(RedactingFilter(redact))
    setattr(handler, _OURS, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)
        old.close()
    # Ours goes first, so any handler added by someone else receives already redacted records.
    root.handlers.insert(0, handler)
    root.setLevel(level)
    # Alembic announces its migration context on every open; that is noise unless debugging.
    logging.getLogger("alembic").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    # APScheduler logs every job start and finish; the collector logs what its runs did instead.
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    # psycopg's pool warns at every failed reconnect while the database is gone; the process says
    # so once instead (storage/outage.py).
    logging.getLogger("psycopg.pool").setLevel(logging.DEBUG if level == "DEBUG" else logging.ERROR)
    logging.captureWarnings(True)
    return handler


# A shorter database password would blank out ordinary words; inside a URL it is hidden anyway.
MIN_BARE_PASSWORD = 6


def settings_secrets(settings: Settings) -> list[str]:
    """The secret values in `settings` that must never reach a log line."""
    values = (settings.bot_token, settings.telegram_api_hash, settings.telegram_session_string)
    secrets = [v.get_secret_value() for v in values if v is not None]
    for url in (settings.database_url, settings.bot_api_url):
        password = url_password(url) if url else None
        if password and len(password) >= MIN_BARE_PASSWORD:
            secrets.append(password)
    return secrets
