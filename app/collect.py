"""`python main.py collect`: the collector as `run` composes it (the same wiring, gate and ledger),
in the foreground."""

from __future__ import annotations

import sys

from app.wiring import StartupError
from settings import Settings


async def collect_command(settings: Settings, texts: list[str], once: bool, sandbox: bool = False) -> int:
    from app.run import check_database
    from app.sandbox_wiring import collect_sandbox_wiring
    from app.wiring import production_wiring
    from collector.cli import run_collect
    from storage.migrate import open_database

    try:
        await check_database(settings.database_url)
        wiring = await (collect_sandbox_wiring(settings) if sandbox else production_wiring(settings))
    except StartupError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        engine = await open_database(settings.database_url)
        try:
            return await run_collect(engine, wiring.source, wiring.gate, wiring.clock,
                                     settings.collect_interval_minutes, texts, once)
        finally:
            await engine.dispose()
    finally:
        await wiring.close()
