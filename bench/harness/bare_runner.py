"""The transport floor: a bare HTTP client making each rollout's two chat calls, nothing else.

No SDK, no retries, no episode, no grading: per rollout it posts the same two
request bodies frontier_runner.py sends (system + user prompt with the `lookup`
and `answer` tools; then the same with the assistant's tool call and the tool's
result appended), reads each reply with json.loads and takes its tool call.
Whatever a harness spends above this is its own work. Two clients:

  aiohttp  one aiohttp.ClientSession, the body posted as JSON bytes
  httpx    one httpx AsyncClient (the httpx the openai SDK runs on), same

`concurrency` rollouts in flight at once (a semaphore), `epochs` x 10
rollouts, a short warm-up first; prints one JSON line like frontier_runner.py.

Run:  .venv/bin/python bench/harness/bare_runner.py --client aiohttp --base-url URL \
          --concurrency N --epochs K
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
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lookup_benchmark import LOOKUP_TOOL, TASKS, lookup_note

from frontier.benchmarks.jsonl.episode import ANSWER_TOOL, DEFAULT_SYSTEM_PROMPT

Post = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
CLIENTS = ["aiohttp", "httpx"]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_stats(base_url: str) -> tuple[int, int]:
    root = base_url.rsplit("/v1", 1)[0]
    with urllib.request.urlopen(f"{root}/stats", timeout=10) as reply:
        data = json.load(reply)
    return int(data["requests"]), int(data["unauthorized"])


def prompts() -> list[str]:
    rows = [json.loads(line) for line in TASKS.read_text(encoding="utf-8").splitlines() if line]
    return [str(r["prompt"]) for r in rows]


async def rollout(post: Post, prompt: str) -> bool:
    """The two calls of one rollout; True when the second one answered."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": DEFAULT_SYSTEM_PROMPT},
        {"role": "user", "content": prompt},
    ]
    body = {
        "model": "instant",
        "messages": messages,
        "temperature": 0.7,
        "max_tokens": 1024,
        "tools": [LOOKUP_TOOL, ANSWER_TOOL],
    }
    for _ in range(2):
        message = (await post(body))["choices"][0]["message"]
        call = message["tool_calls"][0]
        messages.append(
            {"role": "assistant", "content": message.get("content"), "tool_calls": [call]}
        )
        arguments = json.loads(call["function"]["arguments"])
        if call["function"]["name"] == "answer":
            return isinstance(arguments.get("answer"), str)
        messages.append(
            {"role": "tool", "tool_call_id": call["id"], "content": lookup_note(arguments["key"])}
        )
    return False


async def run(client: str, base_url: str, concurrency: int, epochs: int) -> list[bool]:
    url = f"{base_url}/chat/completions"
    headers = {
        "Authorization": f"Bearer {os.environ.get('FRONTIER_BENCH_API_KEY', 'bench-key')}",
        "Content-Type": "application/json",
    }
    gate = asyncio.Semaphore(concurrency)
    work = prompts() * epochs

    async def limited(post: Post, prompt: str) -> bool:
        async with gate:
            return await rollout(post, prompt)

    if client == "aiohttp":
        import aiohttp

        connector = aiohttp.TCPConnector(limit=max(100, concurrency))
        async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

            async def post_aiohttp(body: dict[str, Any]) -> dict[str, Any]:
                async with session.post(url, data=json.dumps(body).encode()) as reply:
                    reply.raise_for_status()
                    data: dict[str, Any] = json.loads(await reply.read())
                    return data

            return await asyncio.gather(*(limited(post_aiohttp, p) for p in work))

    import openai._base_client as sdk

    httpx = sdk.httpx2 if hasattr(sdk, "httpx2") else sdk.httpx  # the httpx the SDK runs on
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=max(100, concurrency))
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=60.0) as http:

        async def post_httpx(body: dict[str, Any]) -> dict[str, Any]:
            reply = await http.post(url, content=json.dumps(body).encode())
            reply.raise_for_status()
            data: dict[str, Any] = json.loads(reply.content)
            return data

        return await asyncio.gather(*(limited(post_httpx, p) for p in work))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", choices=CLIENTS, required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--epochs", type=int, required=True, help="rollouts per prompt")
    parser.add_argument("--warmup-epochs", type=int, default=2)
    args = parser.parse_args()

    asyncio.run(run(args.client, args.base_url, args.concurrency, args.warmup_epochs))
    calls_before, unauthorized_before = server_stats(args.base_url)
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    answered = asyncio.run(run(args.client, args.base_url, args.concurrency, args.epochs))
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    calls_after, unauthorized_after = server_stats(args.base_url)
    errors = answered.count(False)
    result = {
        "harness": f"bare/{args.client}",
        "concurrency": args.concurrency,
        "rollouts": len(answered),
        "errors": errors,
        "first_error": "a rollout without an answer" if errors else None,
        "wall_s": wall,
        "cpu_s": cpu,
        "calls": calls_after - calls_before,
        "unauthorized": unauthorized_after - unauthorized_before,
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
