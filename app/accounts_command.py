"""`python main.py accounts`: every collector account with its load, ledger line and state."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import IO

from app.database import CannotOpenDatabase, open_or_explain
from clock import RealClock
from collector.account_roster import Roster, describe_state, get_roster
from collector.assignment import account_label
from collector.capacity import describe_load
from collector.ledger import describe
from collector.pacing import PacingConfig
from settings import Settings


def roster_lines(roster: Roster, now: datetime) -> list[str]:
    """The roster in plain lines, one block per account (the bot renders the same facts)."""
    if not roster.accounts:
        return ["No account has signed in yet: run `python main.py login`."]
    lines = []
    for state in roster.accounts:
        channels = state.load.channels
        lines += [
            f"{account_label(state.account)}: {describe_state(state, now)}",
            f"  {channels} channel{'s' * (channels != 1)}; {describe_load(state.load)}",
            f"  {describe(state.ledger)}",
        ]
    if roster.unassigned:
        lines.append(f"{roster.unassigned} channel(s) not taken by any account yet (the next collector to "
                     "run takes them)")
    return lines


async def accounts_command(settings: Settings, now: datetime, out: IO[str] | None = None) -> int:
    out = out if out is not None else sys.stdout
    try:
        engine = await open_or_explain(settings.database_url)
    except CannotOpenDatabase as exc:
        print(f"accounts: {exc}", file=sys.stderr)
        return 1
    try:
        roster = await get_roster(engine, RealClock(), PacingConfig.from_settings(settings),
                                  settings.collect_interval_minutes)
    finally:
        await engine.dispose()
    print("\n".join(roster_lines(roster, now)), file=out)
    return 0
