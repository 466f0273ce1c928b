from pathlib import Path

import pytest

from settings import SPEED_RAILS, SettingsError, load_settings

SAFE = {name: limit for name, limit, _ in SPEED_RAILS}


def _refusal(**env: object) -> list[str]:
    with pytest.raises(SettingsError) as info:
        load_settings(env_file=None, **env)
    return info.value.lines


def test_defaults_are_the_reports_values() -> None:
    s = load_settings(env_file=None)
    assert s.mtproto_history_limit_per_run == 50 and s.mtproto_concurrency == 1
    assert s.mtproto_sleep_threshold == 2.0 and s.mtproto_message_delay == 0.5
    assert (s.mtproto_batch_every, s.mtproto_batch_pause) == (5, 3)
    assert (s.mtproto_extended_every, s.mtproto_extended_pause) == (20, 10)
    assert s.mtproto_channel_delay == 8 and s.mtproto_request_gap == 1.0
    assert s.database_url == "sqlite+aiosqlite:///data/pulse.db"
    assert s.telegram_session == Path("data/pulse.session")
    assert s.collect_interval_minutes == 60 and s.digest_timezone == "UTC"


@pytest.mark.parametrize(
    ("variable", "value", "limit"),
    [
        ("MTPROTO_HISTORY_LIMIT_PER_RUN", 51, "50"),
        ("MTPROTO_MESSAGE_DELAY", 0.4, "0.5"),
        ("MTPROTO_BATCH_PAUSE", 2, "3"),
        ("MTPROTO_EXTENDED_PAUSE", 9, "10"),
        ("MTPROTO_CHANNEL_DELAY", 7.5, "8"),
        ("MTPROTO_REQUEST_GAP", 0.5, "1"),
        ("MTPROTO_BATCH_EVERY", 6, "5"),
        ("MTPROTO_EXTENDED_EVERY", 21, "20"),
    ],
)
def test_each_speed_rail_refuses_naming_variable_value_and_limit(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: float, limit: str
) -> None:
    monkeypatch.setenv(variable, str(value))
    lines = _refusal()
    assert len(lines) == 1
    assert lines[0].startswith(f"{variable}={value:g} ")
    assert "safe m" in lines[0] and lines[0].split("safe ")[1].split()[1] == limit
    assert "MTPROTO_UNSAFE_OVERRIDE" in lines[0]
    # the override lets it through, and the crossed rail is reported for the start-up warning
    monkeypatch.setenv("MTPROTO_UNSAFE_OVERRIDE", "true")
    settings = load_settings(env_file=None)
    assert [line.split("=")[0] for line in settings.crossed_speed_rails()] == [variable]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MTPROTO_CONCURRENCY", 2),
        ("MTPROTO_MESSAGE_DELAY", -0.1),
        ("MTPROTO_HISTORY_LIMIT_PER_RUN", 0),
        ("MTPROTO_BATCH_EVERY", 0),
        ("MTPROTO_SLEEP_THRESHOLD", 61),
        ("MTPROTO_SLEEP_THRESHOLD", -1),
    ],
)
def test_hard_rails_hold_even_with_the_override(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: float
) -> None:
    monkeypatch.setenv("MTPROTO_UNSAFE_OVERRIDE", "true")
    monkeypatch.setenv(variable, str(value))
    lines = _refusal()
    assert any(line.startswith(f"{variable}=") for line in lines), lines


def test_slower_values_are_always_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "MTPROTO_HISTORY_LIMIT_PER_RUN": 10, "MTPROTO_MESSAGE_DELAY": 2, "MTPROTO_BATCH_EVERY": 2,
        "MTPROTO_BATCH_PAUSE": 30, "MTPROTO_EXTENDED_EVERY": 10, "MTPROTO_EXTENDED_PAUSE": 60,
        "MTPROTO_CHANNEL_DELAY": 60, "MTPROTO_REQUEST_GAP": 5, "MTPROTO_SLEEP_THRESHOLD": 0,
    }.items():
        monkeypatch.setenv(name, str(value))
    s = load_settings(env_file=None)
    assert s.crossed_speed_rails() == [] and s.mtproto_message_delay == 2


def test_several_problems_are_one_line_each(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MTPROTO_MESSAGE_DELAY", "0.1")
    monkeypatch.setenv("MTPROTO_CHANNEL_DELAY", "1")
    lines = _refusal()
    assert [line.split("=")[0] for line in lines] == ["MTPROTO_MESSAGE_DELAY", "MTPROTO_CHANNEL_DELAY"]


@pytest.mark.parametrize(("raw", "ids"), [("1,2", [1, 2]), ("42", [42]), (" 1 , 2 ,", [1, 2]), ("", [])])
def test_admin_ids_parse_from_comma_separated_text(
    monkeypatch: pytest.MonkeyPatch, raw: str, ids: list[int]
) -> None:
    monkeypatch.setenv("ADMIN_IDS", raw)
    assert load_settings(env_file=None).admin_ids == ids


def test_malformed_admin_ids_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "1,bob")
    assert _refusal()[0].startswith("ADMIN_IDS=")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("sqlite+aiosqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("postgresql://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgresql+asyncpg://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
    ],
)
def test_database_url_forms(monkeypatch: pytest.MonkeyPatch, url: str, expected: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert load_settings(env_file=None).database_url == expected


def test_env_file_is_read(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("ADMIN_IDS=5,6\nMTPROTO_CHANNEL_DELAY=12\nBOT_TOKEN=123456:ABCDEF\n")
    s = load_settings(env_file=env)
    assert s.admin_ids == [5, 6] and s.mtproto_channel_delay == 12
    assert s.bot_token.get_secret_value() == "123456:ABCDEF"


def test_secrets_never_show_in_reprs_or_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    token, api_hash, session = "123456:SECRETtoken", "deadbeefhash", "1AbCsessionstring"
    monkeypatch.setenv("BOT_TOKEN", token)
    monkeypatch.setenv("TELEGRAM_API_HASH", api_hash)
    monkeypatch.setenv("TELEGRAM_SESSION_STRING", session)
    s = load_settings(env_file=None)
    shown = repr(s) + str(s) + str(s.model_dump())
    for secret in (token, api_hash, session):
        assert secret not in shown
    monkeypatch.setenv("MTPROTO_CONCURRENCY", "3")
    assert all(secret not in line for line in _refusal() for secret in (token, api_hash, session))


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("run", ["BOT_TOKEN", "ADMIN_IDS", "TELEGRAM_API_ID", "TELEGRAM_API_HASH"]),
        ("collect", ["TELEGRAM_API_ID", "TELEGRAM_API_HASH", "no Telegram session"]),
        ("login", ["TELEGRAM_API_ID", "TELEGRAM_API_HASH"]),
        ("stats", []),
        ("export", []),
        ("status", []),
        ("demo", []),
    ],
)
def test_each_command_needs_only_what_it_uses(command: str, expected: list[str]) -> None:
    lines = load_settings(env_file=None).missing_for(command)
    assert [line.split(" is not set")[0].split(" at ")[0] for line in lines] == expected


def test_missing_lines_say_where_to_get_each_value() -> None:
    settings = load_settings(env_file=None)
    text = "\n".join(settings.missing_for("run") + settings.missing_for("collect"))
    assert "@BotFather" in text and "my.telegram.org" in text and "python main.py login" in text


def test_a_session_string_stands_in_for_the_session_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_API_ID", "12345")
    monkeypatch.setenv("TELEGRAM_API_HASH", "abc")
    monkeypatch.setenv("TELEGRAM_SESSION_STRING", "1Abc")
    assert load_settings(env_file=None).missing_for("collect") == []


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MTPROTO_EXTENDED_PAUSE", "nan"),
        ("MTPROTO_CHANNEL_DELAY", "inf"),
        ("DIGEST_TIMEZONE", "Mars/Base"),
        ("DATABASE_URL", "mysql://user:hunter2@db/x"),
    ],
)
def test_values_that_could_only_fail_later_are_refused_at_load(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    lines = _refusal()
    assert len(lines) == 1 and lines[0].startswith(f"{variable}=")
    assert "hunter2" not in lines[0]


def test_an_empty_value_means_not_set_and_log_names_take_any_case(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=\nCOLLECT_INTERVAL_MINUTES=\nLOG_LEVEL=debug\nLOG_FORMAT=JSON\n")
    settings = load_settings(env_file)
    assert settings.database_url == "sqlite+aiosqlite:///data/pulse.db"
    assert settings.collect_interval_minutes == 60
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
