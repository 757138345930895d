"""Harness throughput: harness CPU per rollout and rollouts/s, frontier vs its transport floor and Inspect AI (issues 10 and 21).

Every harness plays the same tool-using task against the same local
OpenAI-compatible server (bench/harness/instant_server.py, its own process, so
its CPU is not counted). The server answers instantly with a script: call
`lookup`, then give the answer, so every rollout is exactly two chat calls
(checked against the server's request count). The task is the JSONL example
(examples/jsonl: 10 prompts, graded by its verifier.py) with a `lookup` tool
added; rollouts per level are rounded up to a multiple of 10 (k rollouts per
task for frontier, `epochs` for Inspect).

  frontier           OpenAIAgent via build_agent + EndpointPool (the endpoint's
                     aiohttp transport), scheduled by the pipeline's roll_out
                     engine (bench/harness/frontier_runner.py); rollouts kept
                     in memory
  frontier/stored    the same, every batch of rollouts also written to a SQLite
                     store as run_shard does: Inspect writes its eval log, so
                     this is the like-for-like row against it
  frontier/sdk-httpx the first round's transport: the OpenAI SDK's client
                     (sdk_endpoint.py), for "nothing regresses"; skip the SDK
                     rows with --no-sdk
  frontier/sdk-aiohttp  the SDK on aiohttp (openai.DefaultAioHttpClient), the
                     route tried first for issue 21
  bare/aiohttp       the transport floor: a bare aiohttp client making each
                     rollout's two calls, nothing else (bench/harness/bare_runner.py)
  bare/httpx         the same with httpx, the client the SDK runs on
  inspect            inspect_ai.eval with use_tools + generate, max_connections =
                     max_samples = concurrency (bench/harness/inspect_runner.py),
                     in its own venv: never a project dependency; "inspect" is its
                     default logging, "inspect/lean" turns off the realtime sample
                     buffer (log_realtime=False), its cheapest configuration that
                     still returns the samples (skip with --no-inspect-lean)

Each cell runs in a fresh process: a short warm-up run, then one measured run
whose wall time gives rollouts/s and whose process CPU (getrusage, all threads)
gives CPU per rollout. "Overhead" is harness CPU per chat call as a share of a
realistic 500 ms model latency per call; "cores at 500 ms" is concurrency x
overhead, the CPU cores the harness needs to keep that many 500 ms calls in
flight.

Goals, each printed with its ratio and limit: frontier's CPU per rollout within
2x of bare/aiohttp at every level (issue 21); frontier (and frontier/stored)
ahead of every Inspect configuration on rollouts/s and CPU; overhead below 5%
of a 500 ms call (issue 10).

Inspect's venv: --inspect-python PATH (default $INSPECT_PYTHON or
/tmp/inspect-venv/bin/python); --setup-inspect creates it there first:
  python3 -m venv /tmp/inspect-venv && /tmp/inspect-venv/bin/pip install inspect-ai
Without it the script reports frontier and the floors alone and says why.
--latency-ms N makes the server wait N ms per call and shows rollouts/s as a
share of the ideal concurrency / (2 calls x N ms).

Run:  .venv/bin/python bench/harness_throughput.py [--quick] [--setup-inspect]
          [--levels 1,64,256] [--rollouts 200,640,1280] [--repeat N]
          [--no-sdk] [--latency-ms 0]
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
FLOOR_GOAL = 2.0
"""Issue 21: frontier's CPU per rollout at most this many times the bare-aiohttp floor's."""
DEFAULT_INSPECT = Path(os.environ.get("INSPECT_PYTHON", "/tmp/inspect-venv/bin/python"))
RUN_TIMEOUT = 600
FRONTIER_VARIANTS = ["stored"]
SDK_VARIANTS = ["sdk-httpx", "sdk-aiohttp"]
"""frontier_runner.py variants on the OpenAI SDK's client: the first round's transport, and
the SDK on aiohttp; measured to compare, not what ships."""
BARE_CLIENTS = ["aiohttp", "httpx"]
INSPECT_CONFIGS = ["inspect", "inspect/lean"]


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
    import aiohttp
    import openai

    return f"aiohttp {aiohttp.__version__}, openai SDK {openai.__version__} (sdk-* rows)"


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
    """Each frontier row against an Inspect configuration: >1 means frontier is ahead."""
    head = (
        f"{'conc':>5} {'frontier':<17} {'baseline':<13} {'rollouts/s frontier/baseline':>29} "
        f"{'CPU per rollout baseline/frontier':>34}"
    )
    lines = [head, "-" * len(head)]
    for ours, theirs in pairs:
        lines.append(
            f"{ours.concurrency:>5} {ours.harness:<17} {theirs.harness:<13} "
            f"{ours.per_second / theirs.per_second:>28.2f}x "
            f"{theirs.cpu_ms_per_rollout / ours.cpu_ms_per_rollout:>33.2f}x"
        )
    return "\n".join(lines)


def floor_table(rows: list[tuple[Result, Result]]) -> str:
    """Each frontier row's CPU per rollout against the bare-aiohttp floor and the 2x limit."""
    head = (
        f"{'conc':>5} {'harness':<21} {'CPU ms/rollout':>14} {'floor ms':>9} "
        f"{'x floor':>8} {'limit':>6} {'goal':>6}"
    )
    lines = [head, "-" * len(head)]
    for ours, floor in rows:
        times = ours.cpu_ms_per_rollout / floor.cpu_ms_per_rollout
        goal = "" if ours.harness != "frontier" else ("met" if times <= FLOOR_GOAL else "MISSED")
        lines.append(
            f"{ours.concurrency:>5} {ours.harness:<21} {ours.cpu_ms_per_rollout:>14.2f} "
            f"{floor.cpu_ms_per_rollout:>9.2f} {times:>7.2f}x "
            f"{f'{FLOOR_GOAL:.1f}x' if goal else '':>6} {goal:>6}"
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
        "--no-sdk",
        action="store_true",
        help="skip the frontier rows on the OpenAI SDK's client (sdk-httpx, sdk-aiohttp)",
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
                order: list[tuple[str, str, list[str]]] = [
                    (f"bare/{client}", sys.executable, ["bare_runner.py", "--client", client])
                    for client in BARE_CLIENTS
                ]
                order.append(("frontier", sys.executable, ["frontier_runner.py"]))
                variants = FRONTIER_VARIANTS + ([] if args.no_sdk else SDK_VARIANTS)
                order.extend(
                    (f"frontier/{v}", sys.executable, ["frontier_runner.py", "--variant", v])
                    for v in variants
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
                        f"  {name:<20} conc {concurrency:>4}: {result.rollouts} rollouts in "
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
    floors: list[tuple[Result, Result]] = []
    for concurrency in levels:
        found = [cell(f"bare/{client}", concurrency) for client in BARE_CLIENTS]
        floor = found[0]
        assert floor is not None
        ours = [cell("frontier", concurrency)] + [
            cell(f"frontier/{v}", concurrency) for v in FRONTIER_VARIANTS + SDK_VARIANTS
        ]
        theirs = [cell(config, concurrency) for config in INSPECT_CONFIGS]
        for row in [*found, *ours, *theirs]:
            if row is not None:
                shown.append(row)
        for row in ours:
            if row is not None:
                floors.append((row, floor))
        if found[1] is not None:
            floors.append((found[1], floor))
        for row in ours[: 1 + len(FRONTIER_VARIANTS)]:  # what ships, kept or stored
            for other in theirs:
                if row is not None and other is not None:
                    pairs.append((row, other))

    print(
        f"\nmeasured in {time.perf_counter() - started:.0f}s (median of {args.repeat} per cell)\n"
    )
    print(table(shown, args.latency_ms))
    print(
        f"\nCPU per rollout against the transport floor (bare/aiohttp, same run); "
        f"goal: frontier within {FLOOR_GOAL:g}x"
    )
    print(floor_table(floors))
    if pairs:
        print("\nagainst Inspect, same run (>1 means frontier is ahead)")
        print(ratios(pairs))
    else:
        print(f"\nno Inspect baseline: {inspect_note}")

    problems = [f"{r.harness} conc {r.concurrency}: {p}" for r in runs if (p := r.problem())]
    ahead = all(
        o.per_second > t.per_second and o.cpu_ms_per_rollout < t.cpu_ms_per_rollout
        for o, t in pairs
    )
    production = [o for o, _ in floors if o.harness == "frontier"]
    near_floor = all(
        o.cpu_ms_per_rollout <= FLOOR_GOAL * f.cpu_ms_per_rollout
        for o, f in floors
        if o.harness == "frontier"
    )
    worst_floor = max(
        o.cpu_ms_per_rollout / f.cpu_ms_per_rollout for o, f in floors if o.harness == "frontier"
    )
    worst = max(r.overhead for r in production)
    print("\ngoals")
    print(
        f"  frontier CPU per rollout within {FLOOR_GOAL:g}x of bare aiohttp at every level: "
        f"{'yes' if near_floor else 'NO'} (worst {worst_floor:.2f}x)"
    )
    if pairs:
        print(
            f"  ahead of Inspect (every configuration), kept and stored, at every level, "
            f"rollouts/s and CPU: {'yes' if ahead else 'NO'}"
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
