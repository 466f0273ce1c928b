"""How a collector is woken to collect now, shared by the in-process `Collector` and the bot role's
`QueuedCollector`: a drain under way absorbs the wake (it goes round once more), the scheduler's
job runs the drain when there is one, and otherwise a task of its own does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


class Waking:
    """Mixed into a collector whose `drain()` reads `_woken` after each round."""

    _woken: bool
    _draining: bool
    _tasks: set[asyncio.Task[None]]
    wake_hook: Callable[[], None] | None  # set by schedule_collection
    drain: Callable[[], Coroutine[Any, Any, None]]  # the collector's own: one round over what is due

    def wake(self) -> None:
        """Collect now: a running drain absorbs the wake, an idle collector starts one."""
        self._woken = True
        if self._draining:
            return
        if self.wake_hook is not None:
            self.wake_hook()
            return
        task = asyncio.get_running_loop().create_task(self.drain())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
