"""Pacing fidelity: three 50-message sandbox channels on the real clock with every delay scaled by 0.1.

Prints the real wall time divided by the policy's own total (target ≤ 1.05) and the shortest
start-to-start gap between two messages against the policy's gap (never more than 5 % shorter).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
import time
from pathlib import Path

from clock import RealClock
from collector.pacing import PacingConfig
from sandbox.collector import sandbox_collector
from sandbox.telegram import PUBLIC_CHANNELS
from settings import load_settings
from storage.migrate import open_database


def scaled_settings(factor: float):  # type: ignore[no-untyped-def]
    base = load_settings(None)
    return load_settings(
        None, mtproto_unsafe_override=True,
        mtproto_message_delay=base.mtproto_message_delay * factor,
        mtproto_batch_pause=base.mtproto_batch_pause * factor,
        mtproto_extended_pause=base.mtproto_extended_pause * factor,
        mtproto_channel_delay=base.mtproto_channel_delay * factor,
        mtproto_request_gap=base.mtproto_request_gap * factor,
    )


async def measure(factor: float, folder: Path) -> dict[str, float]:
    pacing = PacingConfig.from_settings(scaled_settings(factor))
    engine = await open_database(f"sqlite+aiosqlite:///{folder / 'bench.db'}")
    clock = RealClock()
    collector, _ = sandbox_collector(engine, clock, pacing)
    collector.wake_hook = lambda: None
    starts: list[tuple[int, float]] = []
    before_message = collector.pacer.before_message

    async def recording() -> int:
        k = await before_message()
        starts.append((k, time.monotonic()))
        return k

    collector.pacer.before_message = recording  # type: ignore[method-assign]
    await collector.enqueue([f"@{u}" for u in PUBLIC_CHANNELS], added_by=None)
    began = time.monotonic()
    await collector.drain()
    wall = time.monotonic() - began
    await engine.dispose()
    # The policy's own total: message gaps, a request gap before each first history page, and
    # the channel delay between channels.
    n = len(PUBLIC_CHANNELS)
    policy = n * (pacing.channel_seconds(50) + pacing.request_gap) + (n - 1) * pacing.channel_delay
    ratios = [
        (t2 - t1) / sum(s for _, s in pacing.gap_after(k1))
        for (k1, t1), (k2, t2) in itertools.pairwise(starts) if k2 == k1 + 1
    ]
    shortest = min(
        t2 - t1 for (k1, t1), (k2, t2) in itertools.pairwise(starts) if k2 == k1 + 1
    )
    return {"wall": wall, "policy": policy, "ratio": wall / policy, "messages": len(starts),
            "shortest_gap": shortest, "policy_gap": pacing.message_delay, "worst_gap_ratio": min(ratios)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench bench_pacing")
    parser.add_argument("--factor", type=float, default=0.1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        r = asyncio.run(measure(args.factor, Path(folder)))
    per_channel = int(r["messages"]) // 3
    print(f"pacing fidelity, 3 sandbox channels x {per_channel} messages, delays x {args.factor:g}")
    print(f"  wall {r['wall']:.3f} s / policy {r['policy']:.3f} s = {r['ratio']:.4f} (target <= 1.05)")
    print(f"  shortest message gap {r['shortest_gap'] * 1000:.1f} ms vs policy "
          f"{r['policy_gap'] * 1000:.1f} ms; worst gap / its policy gap = "
          f"{r['worst_gap_ratio']:.4f} (target >= 0.95)")
    ok = r["ratio"] <= 1.05 and r["worst_gap_ratio"] >= 0.95
    print(f"  {'OK' if ok else 'OUT OF TARGET'}")
    return 0 if ok else 1
