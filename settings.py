"""Every knob of ChannelPulse, loaded from the environment and `.env`, with the pacing's safe limits."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from collector.pacing import REPORT_POLICY, SAFE_DIRECTION, SETTING_OF

log = logging.getLogger("settings")

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/pulse.db"
DEFAULT_API_PORT = 8080
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class SettingsError(Exception):
    """Settings that cannot be used; `lines` holds one actionable line per problem."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


# (variable, safe limit, direction): "min" means a smaller value is faster than the report allows.
SPEED_RAILS: tuple[tuple[str, float, str], ...] = tuple(
    (SETTING_OF[knob], getattr(REPORT_POLICY, knob), direction) for knob, direction in SAFE_DIRECTION.items()
)


class Settings(BaseSettings):
    """ChannelPulse configuration; build it with `load_settings()`."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False,
        env_ignore_empty=True,  # `NAME=` in .env means "not set", as the README says
        allow_inf_nan=False,  # a NaN pause would pass every rail and then fail every channel run
    )

    bot_token: SecretStr | None = None
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    telegram_api_id: int | None = None
    telegram_api_hash: SecretStr | None = None
    telegram_session: Path = Path("data/pulse.session")
    telegram_session_string: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    bot_api_url: str | None = None

    collect_interval_minutes: int = Field(60, ge=1)
    digest_timezone: str = "UTC"
    digest_grace_hours: float = Field(6, ge=0)
    alert_subscriber_pct: float = Field(5, gt=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    api_host: str = "127.0.0.1"
    # `api` listens on DEFAULT_API_PORT when unset; `run` serves the API only when it is set.
    api_port: int | None = Field(None, ge=1, le=65535)
    api_rate_per_minute: int = Field(120, ge=1)
    # How long (figures' seconds) the API may answer a channel summary from memory while the
    # channel's data is unchanged; 0: never.
    api_summary_cache_seconds: float = Field(60, ge=0)
    # Where browsers reach the API (behind a proxy, on another host): the dashboard's login links
    # start with it. Unset: http://API_HOST:API_PORT.
    api_public_url: str | None = Field(None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")

    mtproto_history_limit_per_run: int = REPORT_POLICY.history_limit
    mtproto_concurrency: int = 1
    mtproto_sleep_threshold: float = 2.0
    mtproto_message_delay: float = REPORT_POLICY.message_delay
    mtproto_batch_every: int = REPORT_POLICY.batch_every
    mtproto_batch_pause: float = REPORT_POLICY.batch_pause
    mtproto_extended_every: int = REPORT_POLICY.extended_every
    mtproto_extended_pause: float = REPORT_POLICY.extended_pause
    mtproto_channel_delay: float = REPORT_POLICY.channel_delay
    mtproto_request_gap: float = REPORT_POLICY.request_gap
    mtproto_max_flood_wait: float = Field(REPORT_POLICY.max_flood_wait, gt=0)
    mtproto_backfill_days: int = Field(REPORT_POLICY.backfill_days, ge=0)
    mtproto_unsafe_override: bool = False

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            return [p for p in parts if p]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        url = normalize_database_url(value)
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must be an SQLite (sqlite:///path) or PostgreSQL (postgresql://…) URL")
        return url

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        # LOG_LEVEL=debug is as clear as DEBUG; the choices are upper- (level) or lower-case (format).
        if isinstance(value, str):
            return value.strip().upper() if value.strip().upper() in LOG_LEVELS else value.strip().lower()
        return value

    @field_validator("digest_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not a time zone: use an IANA name such as UTC or Europe/Berlin") from None
        return value

    @field_validator("bot_token", "telegram_api_hash", "telegram_session_string", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("bot_api_url", "telegram_api_id", "api_port", "api_public_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _safety_rails(self) -> Settings:
        problems = []
        if self.mtproto_concurrency != 1:
            problems.append(
                f"MTPROTO_CONCURRENCY={self.mtproto_concurrency}: must be exactly 1 "
                "(one collector per Telegram session; no override)"
            )
        if not 0 <= self.mtproto_sleep_threshold <= 60:
            problems.append(
                f"MTPROTO_SLEEP_THRESHOLD={self.mtproto_sleep_threshold:g}: must be between 0 and 60"
            )
        if self.mtproto_history_limit_per_run < 1:
            problems.append(
                f"MTPROTO_HISTORY_LIMIT_PER_RUN={self.mtproto_history_limit_per_run}: must be at least 1"
            )
        for every in ("mtproto_batch_every", "mtproto_extended_every"):
            if getattr(self, every) < 1:
                problems.append(f"{every.upper()}={getattr(self, every)}: must be at least 1")
        for name, *_ in SPEED_RAILS:
            if getattr(self, name) < 0:
                problems.append(f"{name.upper()}={getattr(self, name):g}: must not be negative")
        if not self.mtproto_unsafe_override:
            problems += [
                f"{line} (MTPROTO_UNSAFE_OVERRIDE=true allows it, at your account's risk)"
                for line in self.crossed_speed_rails()
            ]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def crossed_speed_rails(self) -> list[str]:
        """One line per pacing knob set faster than the report's safe limit."""
        lines = []
        for name, limit, direction in SPEED_RAILS:
            value = getattr(self, name)
            if direction == "min" and value < limit:
                lines.append(f"{name.upper()}={value:g} is below the safe minimum {limit:g}")
            if direction == "max" and value > limit:
                lines.append(f"{name.upper()}={value:g} is above the safe maximum {limit:g}")
        return lines

    def warn_if_unsafe(self) -> None:
        """Log, at every start, each safety rail the override lets this configuration cross."""
        for line in self.crossed_speed_rails():
            log.warning("MTPROTO_UNSAFE_OVERRIDE is on: %s", line)

    @property
    def dashboard_url(self) -> str:
        """The dashboard's address as a browser reaches it: API_PUBLIC_URL, else the API's own."""
        if self.api_public_url:
            return self.api_public_url.rstrip("/") + "/dashboard"
        # 0.0.0.0 listens everywhere but is no address to open; this machine's loopback is.
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.api_host, self.api_host)
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.api_port or DEFAULT_API_PORT}/dashboard"

    def dashboard_login_url(self, secret: str) -> str:
        """The one-time link that logs a browser into the dashboard with the login `secret`."""
        return f"{self.dashboard_url}/login?t={secret}"

    def missing_for(self, command: str) -> list[str]:
        """One line per setting `command` needs but does not have, saying where to get it."""
        needs = COMMAND_NEEDS.get(command, ())
        lines = []
        if "bot" in needs and self.bot_token is None:
            lines.append("BOT_TOKEN is not set: create a bot with @BotFather and put its token in .env")
        if "admins" in needs and not self.admin_ids:
            lines.append(
                "ADMIN_IDS is not set: put your numeric Telegram user id in .env "
                "(comma-separated for several; @userinfobot tells you yours)"
            )
        if "api" in needs:
            if self.telegram_api_id is None:
                lines.append(f"TELEGRAM_API_ID is not set: {MY_TELEGRAM}")
            if self.telegram_api_hash is None:
                lines.append(f"TELEGRAM_API_HASH is not set: {MY_TELEGRAM}")
        if "session" in needs and self.telegram_session_string is None and not self.telegram_session.exists():
            lines.append(
                f"no Telegram session at {self.telegram_session} and TELEGRAM_SESSION_STRING is not set: "
                "run `python main.py login` first"
            )
        return lines


MY_TELEGRAM = "get it at https://my.telegram.org (API development tools) and put it in .env"

# What each subcommand uses; `demo` and the database-only commands need no credentials.
COMMAND_NEEDS: dict[str, tuple[str, ...]] = {
    # `run` checks its session after the database and the bot token, in app/wiring.py.
    "run": ("bot", "admins", "api"),
    "collect": ("api", "session"),
    "login": ("api",),
    "bot": ("bot", "admins"),
    # `collector` checks its session in app/wiring.py, as `run` does.
    "collector": ("api",),
}


def normalize_database_url(url: str) -> str:
    """Give plain SQLAlchemy URLs their async driver: `sqlite:///x` means the same file as aiosqlite."""
    url = url.strip()
    for plain, driver in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


HIDDEN = "***"
# The password in `scheme://user:password@host` (a database, a proxy, a Bot API server), and a bot
# token in a Bot API request path (`/bot123:AAE…/getMe`), which aiohttp puts in some error texts.
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@'\"]*:)[^\s@/'\"]+(?=@)")
_BOT_API_PATH = re.compile(r"(/bot)\d+:[\w-]+")


def hide_secrets(text: str) -> str:
    """`text` with every URL's password and every Bot API path's token shown as ***."""
    return _BOT_API_PATH.sub(rf"\g<1>{HIDDEN}", _URL_PASSWORD.sub(rf"\g<1>{HIDDEN}", text))


def shown_url(url: str) -> str:
    """A database URL as it may be printed or logged: the password as ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # not a URL SQLAlchemy reads: hide what looks like a password
        return hide_secrets(url)


def url_password(url: str) -> str | None:
    """The password a database URL carries, if any (to be redacted wherever it appears)."""
    try:
        return make_url(url).password
    except (ArgumentError, ValueError):
        return None


def load_settings(env_file: str | Path | None = ".env", **overrides: object) -> Settings:
    """Load settings, turning validation errors into one line per variable (no values of secrets)."""
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise SettingsError([line for err in exc.errors() for line in _describe(err)]) from None


def _describe(err: dict) -> list[str]:
    loc = [str(p) for p in err.get("loc", ())]
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    if not loc:
        return msg.splitlines()
    name = loc[0].upper()
    shown = "(hidden)" if name in SECRET_NAMES else repr(err.get("input"))
    return [f"{name}={shown}: {msg}"]


# DATABASE_URL may carry a password.
SECRET_NAMES = frozenset({"BOT_TOKEN", "TELEGRAM_API_HASH", "TELEGRAM_SESSION_STRING", "DATABASE_URL"})
