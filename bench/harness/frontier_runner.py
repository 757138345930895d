"""One measured run of frontier's harness: OpenAIAgent through the pipeline's rollout engine.

The path is the production one: `build_agent` on an openai ModelRef with its
own EndpointPool, rollouts scheduled by `frontier.pipeline.rollouts.roll_out`
(fixed k per task, `concurrency` at a time), episodes and grades from the real
JSONL benchmark (plus the `lookup` tool, lookup_benchmark.py). A short warm-up
run comes first (imports, first connections) and is not measured; the measured
run builds its own pool and agent, so setup is counted like Inspect's.

Variants (--variant):

  production   what ships: the endpoint's aiohttp transport
  stored       the same, and every batch of finished rollouts written to a
               SQLite store (Store.ingest_rollouts, as run_shard does), like
               Inspect writes its eval log: the like-for-like comparison
  sdk-httpx    the first round's transport, the OpenAI SDK's client on httpx
               (sdk_endpoint.py; same limiter, retries and redaction)
  sdk-aiohttp  the SDK on aiohttp (openai.DefaultAioHttpClient)

Prints one JSON line: wall and CPU seconds (getrusage of the whole process,
every thread), rollouts, errors, the server's chat calls during the run (and,
stored, the rollouts the store holds after it).

Run with the project's venv:
  .venv/bin/python bench/harness/frontier_runner.py --base-url URL --concurrency N --epochs K
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lookup_benchmark import LookupBenchmark, load
from sdk_endpoint import SdkEndpoint

from frontier.agents import EndpointPool, OpenAIAgent, build_agent
from frontier.domain.specs import ModelRef, TaskSetRef
from frontier.domain.tasks import Rollout, Task
from frontier.pipeline.rollouts import FixedK, roll_out
from frontier.store import Store

KEY_ENV = "FRONTIER_BENCH_API_KEY"
VARIANTS = ["production", "stored", "sdk-httpx", "sdk-aiohttp"]
FRONTIER = "bench/harness"
NAMESPACE = "bench"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_stats(base_url: str) -> tuple[int, int]:
    """(chat requests, requests without a bearer key) the server has seen so far."""
    root = base_url.rsplit("/v1", 1)[0]
    with urllib.request.urlopen(f"{root}/stats", timeout=10) as reply:
        data = json.load(reply)
    return int(data["requests"]), int(data["unauthorized"])


def open_store(directory: str) -> Store:
    """A SQLite store with a frontier, as a local run has (--variant stored)."""
    store = Store.connect(f"sqlite:///{directory}/frontier.db", auto_upgrade=True)
    store.upsert_frontier(FRONTIER, {"benchmark": {"name": "jsonl"}})
    return store


async def run(
    benchmark: LookupBenchmark,
    tasks: list[Task],
    base_url: str,
    concurrency: int,
    epochs: int,
    variant: str,
    store: Store | None = None,
    run_name: str = "",
) -> list[Rollout]:
    model = ModelRef(
        name="bench-solver",
        provider="openai",
        base_url=base_url,
        model="instant",
        api_key_env=KEY_ENV,
        concurrency=concurrency,
        max_steps=8,
        max_retries=0,
        timeout_seconds=60.0,
    )
    rollouts: list[Rollout] = []
    sink: Callable[[list[Rollout]], object] = rollouts.extend
    if store is not None:  # as run_shard does: each batch of finished rollouts is written
        store.create_run(
            f"{NAMESPACE}/{run_name}",
            frontier=FRONTIER,
            kind="profile",
            model=model,
            task_set=TaskSetRef(),
            k=epochs,
        )

        def sink(batch: list[Rollout]) -> None:
            store.ingest_rollouts(f"{NAMESPACE}/{run_name}", batch)
            rollouts.extend(batch)

    async with EndpointPool() as pool:
        if variant.startswith("sdk-"):  # the first round's transport (sdk_endpoint.py)
            endpoint = SdkEndpoint(
                base_url,
                os.environ[KEY_ENV],
                client=variant.removeprefix("sdk-"),
                concurrency=concurrency,
                policy=pool.policy,
            )
            agent: Any = OpenAIAgent(model, endpoint)
        else:
            agent = build_agent(model, pool=pool)
        try:
            await roll_out(
                agent,
                benchmark,
                tasks,
                {},
                FixedK(epochs),
                seed=0,
                concurrency=concurrency,
                sink=sink,
                error_retries=0,
            )
        finally:
            if variant.startswith("sdk-"):
                await endpoint.aclose()
    return rollouts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--epochs", type=int, required=True, help="rollouts per task")
    parser.add_argument("--warmup-epochs", type=int, default=2)
    parser.add_argument(
        "--variant",
        choices=VARIANTS,
        default="production",
        help="production (what ships), stored (also writes the rollouts to a SQLite store), "
        "sdk-httpx (the first round's OpenAI SDK transport), sdk-aiohttp (the SDK on aiohttp)",
    )
    args = parser.parse_args()
    os.environ.setdefault(KEY_ENV, "bench-key")

    benchmark, tasks = load()
    with tempfile.TemporaryDirectory(prefix="frontier-bench-") as directory:
        store = None
        if args.variant == "stored":
            store = open_store(directory)
        asyncio.run(
            run(
                benchmark,
                tasks,
                args.base_url,
                args.concurrency,
                args.warmup_epochs,
                args.variant,
                store,
                "warm-up",
            )
        )

        calls_before, unauthorized_before = server_stats(args.base_url)
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        rollouts = asyncio.run(
            run(
                benchmark,
                tasks,
                args.base_url,
                args.concurrency,
                args.epochs,
                args.variant,
                store,
                "measured",
            )
        )
        wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
        calls_after, unauthorized_after = server_stats(args.base_url)
        stored = None
        if store is not None:
            stored = store.count_rollouts(f"{NAMESPACE}/measured")
            store.engine.dispose()

    errors = [r for r in rollouts if not r.ok]
    rewards = [r.reward for r in rollouts if r.ok and r.reward is not None]
    result: dict[str, Any] = {
        "harness": "frontier" if args.variant == "production" else f"frontier/{args.variant}",
        "concurrency": args.concurrency,
        "rollouts": len(rollouts),
        "errors": len(errors),
        "first_error": errors[0].error if errors else None,
        "mean_reward": sum(rewards) / len(rewards) if rewards else None,
        "wall_s": wall,
        "cpu_s": cpu,
        "calls": calls_after - calls_before,
        "unauthorized": unauthorized_after - unauthorized_before,
    }
    if stored is not None and stored != len(rollouts):
        result["errors"] += len(rollouts) - stored
        result["first_error"] = f"the store holds {stored} of {len(rollouts)} rollouts"
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
