"""/accounts: each collector account with its load, ledger line and state (HTML, escaped)."""

from __future__ import annotations

from datetime import datetime

from bot.render import esc
from collector.account_roster import Roster, describe_state
from collector.capacity import describe_load
from collector.ledger import describe


def render_accounts(roster: Roster, now: datetime) -> str:
    if not roster.accounts:
        return "No collector account has signed in yet: run <code>python main.py login</code>."
    blocks = []
    for state in roster.accounts:
        account, channels = state.account, state.load.channels
        session = account.session_path or "session string"
        blocks.append("\n".join([
            f"<b>Account {account.account_id}</b> ({esc(session)}): {esc(describe_state(state, now))}",
            f"{channels} channel{'s' * (channels != 1)} · {esc(describe_load(state.load))}",
            esc(describe(state.ledger)),
        ]))
    if roster.unassigned:
        blocks.append(f"{roster.unassigned} channel(s) not taken by any account yet; the next collector "
                      "to run takes them.")
    return "\n\n".join(blocks)
