"""One measured run of Inspect AI on the task frontier_runner.py plays, against the same server.

Runs in Inspect's own venv (never a project dependency): it must not import
frontier. The task is the same: the examples/jsonl prompts with the same system
prompt, a `lookup` tool the scripted model calls first, then the answer (as
text, which ends Inspect's generate() loop), `epochs` rollouts per sample,
`max_connections` = `max_samples` = concurrency. This is Inspect's lightest
agent loop (use_tools + generate, match scorer) logging to a throwaway log dir:
by default what `inspect eval` does out of the box; with --lean, without the
realtime sample buffer (log_realtime=False), which the profile shows as the
largest logging cost.

A small warm-up eval comes first (imports, provider setup) and is not measured.
Prints one JSON line like frontier_runner.py.

Run:  /tmp/inspect-venv/bin/python bench/harness/inspect_runner.py --base-url URL \
          --concurrency N --epochs K
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from inspect_ai import Task, eval
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.scorer import match
from inspect_ai.solver import generate, system_message, use_tools
from inspect_ai.tool import Tool, tool

TASKS = Path(__file__).resolve().parents[2] / "examples" / "jsonl" / "tasks.jsonl"
# Same text as frontier.benchmarks.jsonl.episode.DEFAULT_SYSTEM_PROMPT.
SYSTEM_PROMPT = (
    "Answer the user's request. Give your final answer by calling the `answer` tool "
    "with the answer text only."
)


@tool
def lookup() -> Tool:
    async def execute(key: str) -> str:
        """Look a key up in the reference notes.

        Args:
            key: What to look up.
        """
        return f"Notes for {key!r}: check your arithmetic, then answer."

    return execute


def samples() -> list[Sample]:
    rows = [json.loads(line) for line in TASKS.read_text(encoding="utf-8").splitlines() if line]
    return [Sample(id=r["id"], input=r["prompt"], target=str(r["answer"])) for r in rows]


def task(epochs: int) -> Task:
    return Task(
        dataset=MemoryDataset(samples()),
        solver=[system_message(SYSTEM_PROMPT), use_tools(lookup()), generate()],
        scorer=match(numeric=True),
        epochs=epochs,
    )


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime


def server_stats(base_url: str) -> tuple[int, int]:
    """(chat requests, requests without a bearer key) the server has seen so far."""
    root = base_url.rsplit("/v1", 1)[0]
    with urllib.request.urlopen(f"{root}/stats", timeout=10) as reply:
        data = json.load(reply)
    return int(data["requests"]), int(data["unauthorized"])


def run(base_url: str, concurrency: int, epochs: int, log_dir: str, lean: bool) -> Any:
    (log,) = eval(
        task(epochs),
        model="openai/instant",
        model_base_url=base_url,
        model_args={"responses_api": False},
        max_connections=concurrency,
        max_samples=concurrency,
        max_retries=0,
        display="none",
        log_dir=log_dir,
        log_level="error",
        # lean: no realtime sample buffer (the event database `inspect view` follows live)
        log_realtime=False if lean else None,
    )
    return log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--epochs", type=int, required=True, help="rollouts per sample")
    parser.add_argument("--warmup-epochs", type=int, default=2)
    parser.add_argument(
        "--lean", action="store_true", help="log_realtime=False: Inspect's cheapest logging"
    )
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "bench-key")

    with tempfile.TemporaryDirectory(prefix="inspect-bench-") as log_dir:
        run(args.base_url, args.concurrency, args.warmup_epochs, log_dir, args.lean)
        calls_before, unauthorized_before = server_stats(args.base_url)
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        log = run(args.base_url, args.concurrency, args.epochs, log_dir, args.lean)
        wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
        calls_after, unauthorized_after = server_stats(args.base_url)
        done = list(log.samples or [])  # read before the log dir goes

    errors = [s for s in done if s.error is not None]
    result = {
        "harness": "inspect/lean" if args.lean else "inspect",
        "concurrency": args.concurrency,
        "rollouts": len(done),
        "errors": len(errors) + (1 if log.status != "success" else 0),
        "first_error": (
            errors[0].error.message if errors else (None if log.status == "success" else log.status)
        ),
        "wall_s": wall,
        "cpu_s": cpu,
        "calls": calls_after - calls_before,
        "unauthorized": unauthorized_after - unauthorized_before,
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
