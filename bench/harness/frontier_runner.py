"""One measured run of frontier's harness: OpenAIAgent through the pipeline's rollout engine.

The path is the production one: `build_agent` on an openai ModelRef with its
own EndpointPool, rollouts scheduled by `frontier.pipeline.rollouts.roll_out`
(fixed k per task, `concurrency` at a time), episodes and grades from the real
JSONL benchmark (plus the `lookup` tool, lookup_benchmark.py). A short warm-up
run comes first (imports, first connections) and is not measured; the measured
run builds its own pool and agent, so setup is counted like Inspect's.

Prints one JSON line: wall and CPU seconds (getrusage of the whole process,
every thread), rollouts, errors, the server's chat calls during the run.

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
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import openai
from lookup_benchmark import LookupBenchmark, load
from openai.types.chat import ChatCompletion

from frontier.agents import EndpointPool, build_agent
from frontier.domain.specs import ModelRef
from frontier.domain.tasks import Rollout, Task
from frontier.pipeline.rollouts import FixedK, roll_out

KEY_ENV = "FRONTIER_BENCH_API_KEY"
VARIANTS = ["production", "raw-post", "aiohttp", "aiohttp+raw-post"]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_stats(base_url: str) -> tuple[int, int]:
    """(chat requests, requests without a bearer key) the server has seen so far."""
    root = base_url.rsplit("/v1", 1)[0]
    with urllib.request.urlopen(f"{root}/stats", timeout=10) as reply:
        data = json.load(reply)
    return int(data["requests"]), int(data["unauthorized"])


class _RawPost:
    """EXPERIMENT (--variant raw-post), not production: Endpoint.chat's request without the SDK's
    per-call type-driven transform of `messages` and `tools` (openai._utils._transform), which
    the profile shows as the largest CPU item. The body is posted as given; auth, timeout, raw
    response (headers + parse) are what `with_raw_response.create` does.
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self.chat = SimpleNamespace(completions=SimpleNamespace(with_raw_response=self))

    async def create(self, *, timeout: float, **params: Any) -> Any:
        # private SDK names, imported here so an SDK change breaks only the experiment
        from openai._base_client import make_request_options
        from openai._constants import RAW_RESPONSE_HEADER

        options = make_request_options(
            extra_headers={RAW_RESPONSE_HEADER: "true"},
            timeout=timeout,
            security={"bearer_auth": True},
        )
        return await self.client.post(
            "/chat/completions", cast_to=ChatCompletion, body=params, options=options
        )

    async def close(self) -> None:
        await self.client.close()


async def run(
    benchmark: LookupBenchmark,
    tasks: list[Task],
    base_url: str,
    concurrency: int,
    epochs: int,
    variant: str,
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
    async with EndpointPool() as pool:
        agent = build_agent(model, pool=pool)
        if variant != "production":
            endpoint = pool.get(model)
            if "aiohttp" in variant:  # the SDK's aiohttp transport instead of httpx's pool
                await endpoint.client.close()
                endpoint.client = openai.AsyncOpenAI(
                    base_url=base_url,
                    api_key=os.environ[KEY_ENV],
                    max_retries=0,
                    http_client=openai.DefaultAioHttpClient(),
                )
            if "raw-post" in variant:
                endpoint.client = _RawPost(endpoint.client)  # type: ignore[assignment]
        await roll_out(
            agent,
            benchmark,
            tasks,
            {},
            FixedK(epochs),
            seed=0,
            concurrency=concurrency,
            sink=rollouts.extend,
            error_retries=0,
        )
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
        help="experiments for proposed endpoint fixes, not what ships: raw-post (see "
        "_RawPost), aiohttp (openai.DefaultAioHttpClient as the client's transport), both",
    )
    args = parser.parse_args()
    os.environ.setdefault(KEY_ENV, "bench-key")

    benchmark, tasks = load()
    asyncio.run(
        run(benchmark, tasks, args.base_url, args.concurrency, args.warmup_epochs, args.variant)
    )

    calls_before, unauthorized_before = server_stats(args.base_url)
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    rollouts = asyncio.run(
        run(benchmark, tasks, args.base_url, args.concurrency, args.epochs, args.variant)
    )
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    calls_after, unauthorized_after = server_stats(args.base_url)

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
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
