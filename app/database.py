"""Opening the database for a command, and the one line a user can act on when it will not open.

`run`, `status` and `status --check` all open the database through `open_or_explain`, so each says
the same thing: the URL without its password, the first line of the driver's error (passwords
hidden too), and advice that fits the database's kind.
"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from settings import hide_secrets, shown_url
from storage.db import is_locked
from storage.migrate import SchemaTooNewError, open_database


class CannotOpenDatabase(Exception):
    """The database will not open; str() is the one line to show."""


async def open_or_explain(url: str) -> AsyncEngine:
    """Open and migrate `url`; CannotOpenDatabase with the line to show when that fails. A database
    that stayed locked is re-raised as it is: main.py says what to do about it for every command."""
    try:
        return await open_database(url)
    except SchemaTooNewError as exc:
        raise CannotOpenDatabase(str(exc)) from None
    except ModuleNotFoundError as exc:  # SQLAlchemy imports the URL's driver when the engine is made
        raise CannotOpenDatabase(
            f"cannot open the database {shown_url(url)}: its driver {exc.name} is not installed; "
            "pip install '.[postgres]' for PostgreSQL"
        ) from None
    except (SQLAlchemyError, OSError) as exc:
        if is_locked(exc):
            raise
        lines = str(getattr(exc, "orig", None) or exc).splitlines()
        text = hide_secrets(lines[0] if lines else type(exc).__name__)
        raise CannotOpenDatabase(
            f"cannot open the database {shown_url(url)}: {text}; {advice(url, text)}"
        ) from None


def advice(url: str, error: str) -> str:
    """What to check for a database that cannot be opened, by its kind and the driver's error."""
    if url.startswith("sqlite"):
        if "not a database" in error or "malformed" in error:
            return "the file is not a database or is damaged: check DATABASE_URL, or restore a backup"
        return "make its folder writable by this user"
    return ("check that the server is running and reachable from here, and the user, password and "
            "database name in DATABASE_URL")
