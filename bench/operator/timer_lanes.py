"""The operator with one change under test: at most N periodic reconciles at a time.

Run as `kopf run -m bench.operator.timer_lanes` (with the repository root on
PYTHONPATH and BENCH_TIMER_LANES set). It exists to measure a proposed fix, not to ship.

Why: every Frontier and unfinished ProfileRun has a kopf timer (every
FRONTIER_RECONCILE_SECONDS). Objects applied together get timers that fire together,
and each tick is a full reconcile of about a dozen store calls, each a hop through
asyncio's default thread pool (min(32, CPUs + 4) threads, first come first served). A
Job completion that arrives during such a wave waits behind every queued call of every
tick. Limiting how many of those reconciles run at once leaves the pool to the
event-driven path, which is what the latency goal is about.

How, without editing the package: the timers (and the create, update and resume
handlers, which share the same module-level function) call `frontier.reconcile` and
`profilerun.reconcile` through their modules' globals, while the Job event handler
calls `profilerun.reconcile` through `main.RECONCILERS`, a reference taken at import.
Replacing the module globals therefore throttles the periodic (and creation) path and
leaves the Job completion path as it is. In the package the same change is a
semaphore on the Runtime used by the timer handlers only.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import frontier.operator.main  # noqa: F401  (registers the handlers)
from frontier.operator import frontier as frontier_handlers
from frontier.operator import profilerun
from frontier.operator.runtime import Runtime

Reconcile = Callable[[Runtime, Mapping[str, Any]], Awaitable[None]]
LANES = int(os.environ.get("BENCH_TIMER_LANES", "2"))
_slots: dict[int, asyncio.Semaphore] = {}


def _in_lanes(fn: Reconcile) -> Reconcile:
    async def reconcile(rt: Runtime, body: Mapping[str, Any]) -> None:
        slots = _slots.setdefault(id(asyncio.get_running_loop()), asyncio.Semaphore(LANES))
        async with slots:
            await fn(rt, body)

    return reconcile


frontier_handlers.reconcile = _in_lanes(frontier_handlers.reconcile)  # type: ignore[assignment]
profilerun.reconcile = _in_lanes(profilerun.reconcile)  # type: ignore[assignment]
