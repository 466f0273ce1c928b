import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from app.logs import configure_logging, settings_secrets
from settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"
API_HASH = "0123456789abcdef0123456789abcdef"
SESSION = "1BVtsOKABu5Ddj2nbvZ9fXk3Qw8pLmNoPqRsTuVwXyZ0aBcDeFgHiJkLmNoPqRsTuVw="
SECRETS = [TOKEN, API_HASH, SESSION]


def _emit_everywhere() -> None:
    """Secrets reach logs the ways they do in practice: URLs, arguments, exceptions, third parties."""
    logging.getLogger("aiogram.event").info("POST https://api.telegram.org/bot%s/getMe", TOKEN)
    logging.getLogger("aiohttp.client").warning(
        "GET /bot123456789%%3A%s/getUpdates failed", TOKEN.split(":")[1]
    )
    logging.getLogger("telethon.network.mtprotosender").info("api_hash=%s session=%s", API_HASH, SESSION)
    logging.getLogger("telethon.client.auth").info("sending code to +4915112345678")
    try:
        raise RuntimeError(f"Unauthorized: token {TOKEN} rejected")
    except RuntimeError:
        logging.getLogger("collector").exception("start-up failed for %s", "+79991234567")
    logging.getLogger().error("root logger: %r", {"hash": API_HASH})


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_no_secret_or_phone_reaches_the_output_from_any_logger(fmt: str) -> None:
    out = io.StringIO()
    configure_logging("DEBUG", fmt, SECRETS, stream=out)
    _emit_everywhere()
    text = out.getvalue()
    for secret in [*SECRETS, TOKEN.split(":")[1], "4915112345678", "79991234567"]:
        assert secret not in text
    assert text.count("***") >= 7
    assert "Traceback" in text and "RuntimeError" in text  # the exception is kept, only scrubbed


def test_text_lines_carry_time_level_and_component() -> None:
    out = io.StringIO()
    configure_logging("INFO", "text", [], stream=out)
    logging.getLogger("collector.pacing").info("Rate limiting: batch pause 3.0 s")
    logging.getLogger("collector.pacing").debug("not shown at INFO")
    (line,) = out.getvalue().splitlines()
    stamp, level, component, message = line.split(" ", 3)
    assert stamp.endswith("Z") and stamp[4] == "-" and "T" in stamp
    assert (level, component, message) == ("INFO", "collector.pacing:", "Rate limiting: batch pause 3.0 s")


def test_json_lines_parse_one_object_per_event() -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", [TOKEN], stream=out)
    logging.getLogger("bot").info("multi\nline message with a token %s", TOKEN)
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError:
        logging.getLogger("bot").exception("handler crashed")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first, second = map(json.loads, lines)
    assert first["level"] == "INFO" and first["component"] == "bot"
    assert first["message"] == "multi\nline message with a token ***"
    assert first["time"].endswith("Z")
    assert second["level"] == "ERROR" and "ZeroDivisionError" in second["exc"]


def test_configuring_twice_does_not_duplicate_lines() -> None:
    out = io.StringIO()
    configure_logging("INFO", "text", [], stream=io.StringIO())
    configure_logging("INFO", "text", [], stream=out)
    logging.getLogger("x").info("once")
    assert out.getvalue().count("once") == 1


def test_other_handlers_on_root_receive_redacted_records() -> None:
    configure_logging("INFO", "text", [TOKEN], stream=io.StringIO())
    other = io.StringIO()
    extra = logging.StreamHandler(other)
    logging.getLogger().addHandler(extra)
    logging.getLogger("aiogram").info("token %s", TOKEN)
    assert TOKEN not in other.getvalue() and "***" in other.getvalue()


def test_ordinary_numbers_are_not_mistaken_for_phones() -> None:
    out = io.StringIO()
    configure_logging("INFO", "text", [], stream=out)
    logging.getLogger("x").info("channel 1001234567890 grew +5 to 123456789 at 2026-03-02+00:00")
    assert "channel 1001234567890 grew +5 to 123456789 at 2026-03-02+00:00" in out.getvalue()


def test_settings_secrets_are_the_three_secret_values() -> None:
    settings = load_settings(
        env_file=None, bot_token=TOKEN, telegram_api_hash=API_HASH, telegram_session_string=SESSION
    )
    assert sorted(settings_secrets(settings)) == sorted(SECRETS)
    assert settings_secrets(load_settings(env_file=None)) == []


def test_main_wires_json_logging(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG", "BOT_TOKEN": TOKEN}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "status", "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines, "DEBUG should log the migration"
    assert all(json.loads(line)["component"] for line in lines)
    assert TOKEN not in proc.stderr + proc.stdout
