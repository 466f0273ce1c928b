"""Several Telegram accounts as separate `collector --sandbox` processes beside one `bot --sandbox`,
on PostgreSQL, as a user runs them (issue 12's drills): each channel is collected once per round and
only by its own account, and two collectors started on one account never collect at once. The
database is compared with the sandbox's truth post by post."""

from __future__ import annotations

import itertools
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

from sandbox.telegram import crowd, sandbox_account
from tests.drills.harness import (
    AppProcess,
    alive,
    check_against_truth,
    query,
    sandbox_env,
    sandbox_now,
    start,
    terminate_all,
    wait_until,
)

SCALE = 0.02  # 50x: a first channel run (about 90 s of pacing) takes about 2 s
# The bot's rounds are on the wall clock (APScheduler's): every minute here, 50 sandbox minutes.
INTERVAL_MINUTES = "1"


def _env(url: str, anchor: float, **more: str) -> dict[str, str]:
    return sandbox_env(SCALE, anchor, SANDBOX_DATABASE_URL=url, COLLECT_INTERVAL_MINUTES=INTERVAL_MINUTES,
                       **more)


def _collector(cwd: Path, session: str, env: dict[str, str], name: str) -> AppProcess:
    (cwd / "data").mkdir(parents=True, exist_ok=True)
    return start(cwd, "collector", "--sandbox", env=env | {"TELEGRAM_SESSION": session}, name=name)


def _accounts(url: str) -> set[int]:
    return {a for (a,) in query(url, "SELECT account_id FROM accounts")}


def _finished_runs(url: str) -> list[tuple[str, int | None, int | None, datetime, datetime]]:
    """(channel, the channel's account, the run's account, started, finished) of each finished run."""
    return query(url, "SELECT c.username, c.account_id, r.account_id, r.started_at, r.finished_at "
                      "FROM runs r JOIN channels c ON c.id = r.channel_id "
                      "WHERE r.finished_at IS NOT NULL AND r.error IS NULL ORDER BY r.started_at")


def _rounds_started(url: str, earliest: datetime) -> list[datetime]:
    """When the bot's rounds began, from its schedule: every interval back from the next one."""
    [(next_run, seconds)] = query(url, "SELECT next_run_at, interval_seconds FROM job_schedule "
                                       "WHERE job_id = 'collect'")
    interval = timedelta(seconds=seconds)  # on the sandbox clock
    ticks = [next_run - interval]
    while ticks[-1] > earliest:
        ticks.append(ticks[-1] - interval)
    return sorted(ticks)


def _stop(*apps: AppProcess) -> list[int]:
    for app in apps:
        app.signal(15)
    return [app.proc.wait(120) for app in apps]


def test_three_accounts_each_collect_only_their_own_channels_once_a_round(
    tmp_path: Path, queue_db_url: str,
) -> None:
    url, anchor = queue_db_url, time.time()
    sessions = [f"data/acc{n}.session" for n in (1, 2, 3)]
    collectors = [_collector(tmp_path, s, _env(url, anchor), f"collector-{n}")
                  for n, s in enumerate(sessions)]
    bot = None
    try:
        # Each collector signs in before any channel is added, so the bot hands the 36 channels out.
        wait_until(lambda: len(_accounts(url)) == 3, what="three accounts signed in", app=collectors[0])
        names = crowd(36)
        bot = start(tmp_path, "bot", "--sandbox", env=_env(url, anchor, SANDBOX_CHANNELS=",".join(names)),
                    name="bot")

        def two_rounds() -> bool:
            done = Counter(r[0] for r in _finished_runs(url))
            return done.keys() == set(names) and min(done.values()) >= 2

        wait_until(two_rounds, within=600, what="every channel collected in two rounds", app=bot)
        at = sandbox_now(anchor, SCALE)
        codes = _stop(bot, *collectors)
    finally:
        terminate_all(*(a for a in [bot, *collectors] if a is not None))
    assert codes == [0, 0, 0, 0]

    runs = _finished_runs(url)
    accounts = {sandbox_account(Path(s)) for s in sessions}
    assert _accounts(url) == accounts  # the bot signed nothing in
    owners = dict(query(url, "SELECT username, account_id FROM channels"))
    assert Counter(owners.values()) == {a: 12 for a in accounts}  # the most spare capacity first
    # Only by its own account: every run was sent by the channel's account.
    assert all(run_account == owner for _, owner, run_account, _, _ in runs)
    # Once a round: no channel twice between two of the bot's ticks, and each in two rounds. (A
    # round of first runs may outlast the minute on a busy machine; what it left is collected next
    # round, still once.)
    ticks = _rounds_started(url, runs[0][3])
    rounds: dict[str, Counter[int]] = defaultdict(Counter)
    for name, _, _, started, _ in runs:
        rounds[name][sum(t <= started for t in ticks)] += 1
    assert all(n == 1 for per_round in rounds.values() for n in per_round.values()), rounds
    assert all(len(per_round) >= 2 for per_round in rounds.values())
    # One channel at a time per account, while the three accounts collect side by side.
    by_account = defaultdict(list)
    for _, _, account, started, finished in runs:
        by_account[account].append((started, finished))
    for spans in by_account.values():
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(sorted(spans)))
    for name in names:
        check_against_truth(url, name, at)


def test_two_collectors_on_one_account_never_collect_at_once(tmp_path: Path, queue_db_url: str) -> None:
    """One session file copied to a second machine (here: a second folder, so each has its own
    session lock): the queue's lock on the account keeps its runs one at a time."""
    url, anchor = queue_db_url, time.time()
    names = crowd(6)
    collectors = [_collector(tmp_path / f"machine{n}", "data/acc.session", _env(url, anchor), "collector")
                  for n in (1, 2)]
    bot = None
    try:
        wait_until(lambda: len(_accounts(url)) == 1, what="the account signed in", app=collectors[0])
        bot = start(tmp_path, "bot", "--sandbox", env=_env(url, anchor, SANDBOX_CHANNELS=",".join(names)),
                    name="bot")
        wait_until(lambda: {r[0] for r in _finished_runs(url)} == set(names), within=600,
                   what="every channel collected once", app=bot)
        assert all(alive(c) for c in collectors)
        at = sandbox_now(anchor, SCALE)
        codes = _stop(bot, *collectors)
    finally:
        terminate_all(*(a for a in [bot, *collectors] if a is not None))
    assert codes == [0, 0, 0]
    runs = _finished_runs(url)
    assert {r[2] for r in runs} == {sandbox_account(Path("data/acc.session"))}
    spans = sorted((r[3], r[4]) for r in runs)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), spans
    for name in names:
        check_against_truth(url, name, at)

