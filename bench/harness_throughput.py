"""Harness throughput: rollouts/s and harness CPU per rollout, frontier vs Inspect AI (issue 10, goal 3).

Both harnesses play the same tool-using task against the same local
OpenAI-compatible server (bench/harness/instant_server.py, its own process, so
its CPU is not counted). The server answers instantly with a script: call
`lookup`, then give the answer, so every rollout is exactly two chat calls
(checked against the server's request count). The task is the JSONL example
(examples/jsonl: 10 prompts, graded by its verifier.py) with a `lookup` tool
added; rollouts per level are rounded up to a multiple of 10 (k rollouts per
task for frontier, `epochs` for Inspect).

  frontier  OpenAIAgent via build_agent + EndpointPool, scheduled by the
            pipeline's roll_out engine (bench/harness/frontier_runner.py)
  inspect   inspect_ai.eval with use_tools + generate, max_connections =
            max_samples = concurrency (bench/harness/inspect_runner.py), in
            its own venv: never a project dependency; "inspect" is its
            default logging, "inspect/lean" turns off the realtime sample
            buffer (log_realtime=False), its cheapest configuration that
            still returns the samples (skip with --no-inspect-lean)

Each harness runs in a fresh process per level: a short warm-up run, then one
measured run whose wall time gives rollouts/s and whose process CPU (getrusage,
all threads) gives harness CPU per rollout. "Overhead" is harness CPU per chat
call as a share of a realistic 500 ms model latency per call; "cores at 500 ms"
is concurrency x overhead, the CPU cores the harness needs to keep that many
500 ms calls in flight (on 2 cores, a level needing more than ~1 cannot reach
its ideal rollouts/s: see --latency-ms).

Inspect's venv: --inspect-python PATH (default $INSPECT_PYTHON or
/tmp/inspect-venv/bin/python); --setup-inspect creates it there first:
  python3 -m venv /tmp/inspect-venv && /tmp/inspect-venv/bin/pip install inspect-ai
Without it the script reports frontier alone and says why.

--experiment adds frontier rows with proposed endpoint fixes (frontier_runner.py
--variant: skip the SDK's per-call body transform, use the SDK's aiohttp
transport); they are measurements for a change to src/frontier/agents, not
what ships. --latency-ms N makes the server wait N ms per call and shows
rollouts/s as a share of the ideal concurrency / (2 calls x N ms).

Run:  .venv/bin/python bench/harness_throughput.py [--quick] [--setup-inspect]
          [--levels 1,64,256] [--rollouts 200,640,1280] [--repeat N]
          [--experiment] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
HARNESS = HERE / "harness"
TASKS_PER_EPOCH = 10  # lines in examples/jsonl/tasks.jsonl
CALLS_PER_ROLLOUT = 2  # lookup, then the answer
MODEL_LATENCY_MS = 500.0
OVERHEAD_GOAL = 0.05
DEFAULT_INSPECT = Path(os.environ.get("INSPECT_PYTHON", "/tmp/inspect-venv/bin/python"))
RUN_TIMEOUT = 600
EXPERIMENTS = ["raw-post", "aiohttp", "aiohttp+raw-post"]
INSPECT_CONFIGS = ["inspect", "inspect/lean"]
"""frontier_runner.py variants that try a proposed endpoint fix (--experiment); not production."""


@dataclass
class Result:
    harness: str
    concurrency: int
    rollouts: int
    wall_s: float
    cpu_s: float
    calls: int
    errors: int
    first_error: str | None
    unauthorized: int

    @property
    def per_second(self) -> float:
        return self.rollouts / self.wall_s

    @property
    def cpu_ms_per_rollout(self) -> float:
        return 1000 * self.cpu_s / self.rollouts

    @property
    def cpu_ms_per_call(self) -> float:
        return 1000 * self.cpu_s / self.calls

    @property
    def overhead(self) -> float:
        return self.cpu_ms_per_call / MODEL_LATENCY_MS

    def problem(self) -> str | None:
        """Why this run does not count, or None: every rollout must be clean and two calls."""
        if self.errors:
            return f"{self.errors} errored rollouts (first: {self.first_error})"
        if self.calls != CALLS_PER_ROLLOUT * self.rollouts:
            return (
                f"server saw {self.calls} chat calls for {self.rollouts} rollouts, "
                f"expected {CALLS_PER_ROLLOUT} each"
            )
        if self.unauthorized:
            return f"{self.unauthorized} chat calls without the API key"
        return None


class Server:
    """The instant server as a child process of this script."""

    def __init__(self, latency_ms: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HARNESS / "instant_server.py"), "--latency-ms", str(latency_ms)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if len(line) != 2 or line[0] != "PORT":
            self.process.kill()
            raise SystemExit(f"instant_server.py did not start (said {' '.join(line)!r})")
        self.base_url = f"http://127.0.0.1:{line[1]}/v1"

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def run_one(
    python: Path, runner: list[str], base_url: str, concurrency: int, epochs: int
) -> Result:
    command = [
        str(python),
        str(HARNESS / runner[0]),
        *runner[1:],
        "--base-url",
        base_url,
        "--concurrency",
        str(concurrency),
        "--epochs",
        str(epochs),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"{runner} at concurrency {concurrency} failed:\n{tail}")
    data: dict[str, Any] = json.loads(lines[-1])
    return Result(
        harness=str(data["harness"]),
        concurrency=int(data["concurrency"]),
        rollouts=int(data["rollouts"]),
        wall_s=float(data["wall_s"]),
        cpu_s=float(data["cpu_s"]),
        calls=int(data["calls"]),
        errors=int(data["errors"]),
        first_error=data.get("first_error"),
        unauthorized=int(data["unauthorized"]),
    )


def median_run(runs: list[Result]) -> Result:
    """The run with the median CPU per rollout (robust to a noisy neighbour on a shared box)."""
    ordered = sorted(runs, key=lambda r: r.cpu_ms_per_rollout)
    return ordered[(len(ordered) - 1) // 2]


def setup_inspect(python: Path) -> None:
    venv = python.parent.parent
    print(f"creating {venv} and installing inspect-ai (PyPI) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "inspect-ai", "openai"], check=True
    )


def inspect_status(python: Path) -> tuple[bool, str]:
    """Whether Inspect can run from `python`, and its version or why not."""
    if not python.exists():
        return False, (
            f"{python} does not exist; create it with --setup-inspect or "
            f"`python3 -m venv {python.parent.parent} && {python.parent}/pip install inspect-ai`"
        )
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import inspect_ai, openai; print(inspect_ai.__version__, openai.__version__)",
        ],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return False, f"{python} cannot import inspect_ai: {probe.stderr.strip().splitlines()[-1]}"
    version, sdk = probe.stdout.split()
    return True, f"inspect_ai {version} (openai SDK {sdk})"


def frontier_versions() -> str:
    import openai

    return f"frontier (openai SDK {openai.__version__})"


def table(results: list[Result], latency_ms: float) -> str:
    head = (
        f"{'harness':<25} {'conc':>5} {'rollouts':>8} {'wall s':>7} {'rollouts/s':>10} "
        f"{'CPU ms/rollout':>14} {'CPU ms/call':>11} {'overhead % of 500 ms':>20} "
        f"{'cores at 500 ms':>15}"
    )
    if latency_ms > 0:
        head += f" {'% of ideal rollouts/s':>21}"
    lines = [head, "-" * len(head)]
    for r in results:
        line = (
            f"{r.harness:<25} {r.concurrency:>5} {r.rollouts:>8} {r.wall_s:>7.2f} "
            f"{r.per_second:>10.1f} {r.cpu_ms_per_rollout:>14.2f} {r.cpu_ms_per_call:>11.2f} "
            f"{100 * r.overhead:>19.2f}% {r.concurrency * r.overhead:>15.3f}"
        )
        if latency_ms > 0:
            ideal = r.concurrency / (CALLS_PER_ROLLOUT * latency_ms / 1000)
            line += f" {100 * r.per_second / ideal:>20.1f}%"
        lines.append(line)
    return "\n".join(lines)


def ratios(pairs: list[tuple[Result, Result]]) -> str:
    head = (
        f"{'conc':>5} {'baseline':<13} {'rollouts/s frontier/baseline':>29} "
        f"{'CPU per rollout baseline/frontier':>34}"
    )
    lines = [head, "-" * len(head)]
    for ours, theirs in pairs:
        lines.append(
            f"{ours.concurrency:>5} {theirs.harness:<13} "
            f"{ours.per_second / theirs.per_second:>28.2f}x "
            f"{theirs.cpu_ms_per_rollout / ours.cpu_ms_per_rollout:>33.2f}x"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--levels", default="1,64,256", help="concurrency levels")
    parser.add_argument(
        "--rollouts", default="200,640,1280", help="rollouts per level (one value, or one each)"
    )
    parser.add_argument("--quick", action="store_true", help="40,128,256 rollouts: a smoke run")
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell; the median is shown")
    parser.add_argument("--inspect-python", type=Path, default=DEFAULT_INSPECT)
    parser.add_argument("--setup-inspect", action="store_true")
    parser.add_argument("--skip-inspect", action="store_true")
    parser.add_argument(
        "--no-inspect-lean", action="store_true", help="run Inspect with its default logging only"
    )
    parser.add_argument(
        "--experiment",
        action="store_true",
        help="also run frontier with the proposed endpoint fixes (frontier_runner.py --variant)",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="server delay per chat call (0: instant); with it, rollouts/s is also shown "
        "against the ideal concurrency / (calls x latency)",
    )
    parser.add_argument("--json", type=Path, help="also write every run to this file")
    args = parser.parse_args()

    levels = [int(x) for x in args.levels.split(",")]
    counts = [int(x) for x in ("40,128,256" if args.quick else args.rollouts).split(",")]
    if len(counts) == 1:
        counts *= len(levels)
    if len(counts) != len(levels) or min(levels) < 1 or min(counts) < 1 or args.repeat < 1:
        parser.error("--rollouts needs one positive value or one per --levels entry")
    epochs = [math.ceil(n / TASKS_PER_EPOCH) for n in counts]

    inspect_ok, inspect_note = False, "skipped (--skip-inspect)"
    if not args.skip_inspect:
        if args.setup_inspect and not args.inspect_python.exists():
            setup_inspect(args.inspect_python)
        inspect_ok, inspect_note = inspect_status(args.inspect_python)

    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"frontier: {frontier_versions()}; inspect: {inspect_note}")
    print(
        f"task: examples/jsonl (10 prompts) + lookup tool, {CALLS_PER_ROLLOUT} chat calls "
        f"per rollout, server in its own process answering in {args.latency_ms:g} ms\n"
    )

    server = Server(latency_ms=args.latency_ms)
    runs: list[Result] = []
    started = time.perf_counter()
    try:
        for concurrency, k in zip(levels, epochs, strict=True):
            for rep in range(args.repeat):
                order = [("frontier", sys.executable, ["frontier_runner.py"])]
                if args.experiment:
                    order.extend(
                        (variant, sys.executable, ["frontier_runner.py", "--variant", variant])
                        for variant in EXPERIMENTS
                    )
                if inspect_ok:
                    order.append(("inspect", str(args.inspect_python), ["inspect_runner.py"]))
                    if not args.no_inspect_lean:
                        order.append(
                            (
                                "inspect/lean",
                                str(args.inspect_python),
                                ["inspect_runner.py", "--lean"],
                            )
                        )
                if rep % 2:
                    order.reverse()  # alternate who goes first against drift in shared load
                for name, python, runner in order:
                    result = run_one(Path(python), runner, server.base_url, concurrency, k)
                    runs.append(result)
                    print(
                        f"  {name:<8} conc {concurrency:>4}: {result.rollouts} rollouts in "
                        f"{result.wall_s:.2f}s, {result.cpu_ms_per_rollout:.2f} CPU ms/rollout",
                        flush=True,
                    )
    finally:
        server.close()

    def cell(harness: str, concurrency: int) -> Result | None:
        found = [r for r in runs if r.harness == harness and r.concurrency == concurrency]
        return median_run(found) if found else None

    shown: list[Result] = []
    pairs: list[tuple[Result, Result]] = []
    experiments: list[tuple[Result, Result]] = []
    for concurrency in levels:
        ours = cell("frontier", concurrency)
        assert ours is not None
        shown.append(ours)
        for variant in EXPERIMENTS:
            fix = cell(f"frontier/{variant}", concurrency)
            if fix is not None:
                shown.append(fix)
                experiments.append((ours, fix))
        for config in INSPECT_CONFIGS:
            theirs = cell(config, concurrency)
            if theirs is not None:
                shown.append(theirs)
                pairs.append((ours, theirs))

    print(
        f"\nmeasured in {time.perf_counter() - started:.0f}s (median of {args.repeat} per cell)\n"
    )
    print(table(shown, args.latency_ms))
    if pairs:
        print("\nratios (>1 means frontier is ahead)")
        print(ratios(pairs))
    else:
        print(f"\nno Inspect baseline: {inspect_note}")
    if experiments:
        print(
            "\nexperiments, not production (frontier_runner.py --variant): raw-post skips the"
            "\nSDK's per-call transform of the body, aiohttp uses openai.DefaultAioHttpClient."
            "\nCPU per rollout, production / variant (>1: the variant is cheaper):"
        )
        for ours, fix in experiments:
            print(
                f"  conc {ours.concurrency:>4}  {fix.harness:<26} "
                f"{ours.cpu_ms_per_rollout / fix.cpu_ms_per_rollout:.2f}x  "
                f"(rollouts/s {fix.per_second / ours.per_second:.2f}x)"
            )

    problems = [f"{r.harness} conc {r.concurrency}: {p}" for r in runs if (p := r.problem())]
    ahead = all(
        o.per_second > t.per_second and o.cpu_ms_per_rollout < t.cpu_ms_per_rollout
        for o, t in pairs
    )
    worst = max(r.overhead for r in shown if r.harness == "frontier")
    print("\ngoals")
    if pairs:
        print(
            f"  ahead of Inspect (every configuration) at every level, rollouts/s and CPU: "
            f"{'yes' if ahead else 'NO'}"
        )
    print(
        f"  frontier overhead below {100 * OVERHEAD_GOAL:.0f}% of {MODEL_LATENCY_MS:.0f} ms per call: "
        f"{'yes' if worst < OVERHEAD_GOAL else 'NO'} (worst {100 * worst:.2f}%)"
    )
    if args.json is not None:
        args.json.write_text(json.dumps([r.__dict__ for r in runs], indent=2) + "\n")
    if problems:
        print("\nINVALID runs (not comparable):\n  " + "\n  ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
