"""Operator at scale: 100 Frontiers against kmock, reconcile latency after Job completion, and memory.

What runs: the test emulator (tests/support/kube.py, kmock with the API-server gaps
filled) in this process, and the real operator in a subprocess that reaches it
through a kubeconfig, standalone and cluster-wide, with its store on a throwaway
PostgreSQL database (or SQLite with --sqlite). The default entry is
`kopf run -m frontier.operator.main --standalone -A`; `--entry frontier` runs
`frontier operator --all-namespaces --standalone` instead, which starts the same way
(it once passed kopf a peering name even when standalone, so the operator waited
for a peering resource forever; the CLI now passes none with --standalone).

What is measured, in the same run:

1. baseline: the operator's resident memory once it watches everything and holds
   nothing; then a few Frontiers, one at a time, each alone in flight;
2. scale: 100 Frontiers applied at once (apply -> Job created latency), their
   workers' rollouts written to the store by the pipeline's own `run_shard` (what
   the Job's pods would do), then their Jobs marked Complete through the API at a
   steady pace spread over 1.2 timer periods (so the operator's periodic reconciles
   run meanwhile, as they would), and for each the latency from the moment the API
   server stores that Job status to the moment it stores the Frontier's status
   saying Ready with bands;
3. steady state: one timer period with every Frontier idle (the cost of having them);
4. burst (unless --burst 0): more Frontiers whose Jobs are all marked Complete at
   once, the worst case of many workers finishing together;
5. the operator's resident memory (VmRSS, and VmHWM: the peak) and CPU time from
   /proc, the API requests it made (counted by the emulator) and the transactions
   in its database (pg_stat_database, PostgreSQL only).

Timestamps are taken inside the emulator (bench/operator/timed_cluster.py), so no
poll interval is added; with `--cluster real` the API server is a real kube-apiserver
and etcd (bench/operator/real_cluster.py), and the bench's own watch streams take them.
`--baseline-src DIR` runs everything twice, first with the operator from another src/
(the parent commit's), then from this checkout, and prints both with their ratios; the
burst's limit is the time for 100 writes at once through the operator's client; afterwards every Frontier's status is read back through the
API and checked against its ProfileRun's bands. Goals (issue 10): every latency under
2 s, peak memory under 300 MB.

Usage: python bench/operator_scale.py [--frontiers 100] [--solo 5] [--burst 100]
       [--cluster emulator|real] [--baseline-src DIR] [--operator-src DIR] [--profile PATH]
       [--entry kopf|frontier|timer-lanes] [--timer-lanes 2] [--reconcile-seconds 30]
       [--sqlite] [--dsn postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
       [--log operator.log]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support (the emulator) and bench.operator

import kmock  # noqa: E402
from bench.operator.process import Footprint, OperatorProcess  # noqa: E402
from bench.operator.real_cluster import RealCluster, real_cluster  # noqa: E402
from bench.operator.timed_cluster import TimedCluster  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from tests.support.frontiers import small_document  # noqa: E402
from tests.support.kube import declare_resources, kubeconfig  # noqa: E402

from frontier.domain import naming  # noqa: E402
from frontier.domain.specs import FrontierSpec  # noqa: E402
from frontier.operator.kube import Kube, Ref  # noqa: E402
from frontier.pipeline.context import stored_context  # noqa: E402
from frontier.pipeline.profile import run_shard  # noqa: E402
from frontier.store import Store  # noqa: E402

NAMESPACE = "default"
GOAL_SECONDS = 2.0
GOAL_MB = 300.0
SHARDS = 2
"""Completions of each profile Job (an Indexed Job of two shards)."""
WATCHED = {"frontiers", "profileruns", "mutationrounds", "verificationruns", "jobs"}


# --- the store --------------------------------------------------------------


@contextlib.contextmanager
def database(args: argparse.Namespace, tmp: Path) -> Iterator[str]:
    """A fresh store: an SQLite file, or a PostgreSQL database dropped afterwards."""
    if args.sqlite:
        dsn = f"sqlite:///{tmp / 'frontier.db'}"
        Store.connect(dsn, auto_upgrade=True).close()
        yield dsn
        return
    admin = create_engine(args.dsn, isolation_level="AUTOCOMMIT")
    name = f"frontier_opbench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    dsn = make_url(args.dsn).set(database=name).render_as_string(hide_password=False)
    try:
        Store.connect(dsn, auto_upgrade=True).close()
        yield dsn
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- frontiers, jobs, workers -----------------------------------------------


def frontier_document(name: str) -> dict[str, Any]:
    """A small Frontier (4 tasks, k=4) that goes Ready after its profile: no rounds."""
    doc = small_document(
        per_family=1,
        profile={"k": 4, "shards": SHARDS},
        saturation={"solverSaturatedFraction": 1.0, "maxRounds": 0},
    )
    doc["metadata"] = {"name": name, "namespace": NAMESPACE}
    return doc


def job_name(doc: dict[str, Any]) -> str:
    spec = FrontierSpec.model_validate(doc["spec"])
    run = naming.base_profile_run(doc["metadata"]["name"], naming.profile_fingerprint(spec))
    return f"{run}-profile"


def write_rollouts(dsn: str, frontiers: Sequence[str], jobs: Sequence[str], shards: int) -> None:
    """What each Job's pods would do: every shard's rollouts into the store (pipeline code)."""
    store = Store.connect(dsn)
    try:
        for frontier, job in zip(frontiers, jobs, strict=True):
            ctx = stored_context(store, f"{NAMESPACE}/{frontier}")
            run = job.removesuffix("-profile")
            for shard in range(shards):
                asyncio.run(run_shard(ctx, run, shard))
    finally:
        store.close()


async def complete(kube: Kube, job: str, completions: int) -> None:
    """Report the Job finished, as the Job controller would once every index succeeded."""
    await kube.patch_status(
        Ref("batch/v1", "jobs", NAMESPACE, job),
        {
            "startTime": "2026-01-01T00:00:00Z",
            "completionTime": "2026-01-01T00:01:00Z",
            "succeeded": completions,
            "completedIndexes": f"0-{completions - 1}" if completions > 1 else "0",
            "conditions": [
                {"type": "SuccessCriteriaMet", "status": "True"},
                {"type": "Complete", "status": "True"},
            ],
        },
    )


async def apply_all(kube: Kube, docs: Sequence[dict[str, Any]]) -> None:
    results = await asyncio.gather(*(kube.create(doc) for doc in docs))
    taken = [
        doc["metadata"]["name"]
        for doc, (_, created) in zip(docs, results, strict=True)
        if not created
    ]
    if taken:
        raise RuntimeError(f"Frontiers already existed: {taken}")


async def prepare(
    cluster: TimedCluster, kube: Kube, dsn: str, names: Sequence[str], timeout: float
) -> tuple[list[str], list[float]]:
    """Apply Frontiers, wait for their Jobs, write their rollouts. (job names, apply->Job s)."""
    docs = [frontier_document(name) for name in names]
    jobs = [job_name(doc) for doc in docs]
    await apply_all(kube, docs)
    await cluster.until(
        lambda: all(("jobs", job) in cluster.created_at for job in jobs),
        timeout,
        f"{len(jobs)} Jobs",
    )
    to_job = [
        cluster.created_at[("jobs", job)] - cluster.created_at[("frontiers", name)]
        for name, job in zip(names, jobs, strict=True)
    ]
    await asyncio.to_thread(write_rollouts, dsn, names, jobs, SHARDS)
    return jobs, to_job


async def paced(
    cluster: TimedCluster,
    kube: Kube,
    names: Sequence[str],
    jobs: Sequence[str],
    spacing: float,
    timeout: float,
) -> list[float]:
    """Complete the Jobs `spacing` seconds apart, as workers finish (not waiting for the operator)."""
    start = time.monotonic()

    async def one(index: int, job: str) -> None:
        await asyncio.sleep(max(0.0, start + index * spacing - time.monotonic()))
        await complete(kube, job, SHARDS)

    await asyncio.gather(*(one(i, job) for i, job in enumerate(jobs)))
    await cluster.until(
        lambda: all(n in cluster.ready_at for n in names), timeout, f"{len(names)} Ready"
    )
    return [
        cluster.ready_at[name] - cluster.job_done_at[job]
        for name, job in zip(names, jobs, strict=True)
    ]


async def burst(
    cluster: TimedCluster, kube: Kube, names: Sequence[str], jobs: Sequence[str], timeout: float
) -> list[float]:
    """Complete every Job at once; wait until every Frontier is Ready."""
    await asyncio.gather(*(complete(kube, job, SHARDS) for job in jobs))
    await cluster.until(
        lambda: all(n in cluster.ready_at for n in names), timeout, f"{len(names)} Ready"
    )
    return [
        cluster.ready_at[name] - cluster.job_done_at[job]
        for name, job in zip(names, jobs, strict=True)
    ]


async def writes_at_once(kube: Kube, names: Sequence[str]) -> float:
    """The limit: one write per Frontier (an annotation), all at once, through the same
    client the operator uses; the burst's last Frontier can be no sooner than this."""
    start = time.monotonic()
    await asyncio.gather(
        *(
            kube.patch(
                Ref("frontier.dev/v1alpha1", "frontiers", NAMESPACE, name),
                {"metadata": {"annotations": {"bench.frontier.dev/limit": "1"}}},
            )
            for name in names
        )
    )
    return time.monotonic() - start


async def check_statuses(kube: Kube, names: Sequence[str], jobs: Sequence[str]) -> list[str]:
    """Read every Frontier back through the API: Ready, with its ProfileRun's bands."""
    problems = []
    for name, job in zip(names, jobs, strict=True):
        frontier = await kube.get(Ref("frontier.dev/v1alpha1", "frontiers", NAMESPACE, name))
        run = await kube.get(
            Ref("frontier.dev/v1alpha1", "profileruns", NAMESPACE, job.removesuffix("-profile"))
        )
        f_status = (frontier or {}).get("status") or {}
        r_status = (run or {}).get("status") or {}
        if f_status.get("phase") != "Ready" or not f_status.get("bands"):
            problems.append(f"{name}: phase {f_status.get('phase')}, bands {f_status.get('bands')}")
        elif f_status["bands"] != r_status.get("bands") or f_status["bands"].get("total") != 4:
            problems.append(f"{name}: bands {f_status['bands']} vs run {r_status.get('bands')}")
    return problems


# --- measuring windows -------------------------------------------------------


def db_transactions(admin_dsn: str | None, database: str | None) -> int | None:
    """Transactions committed or rolled back in the store's database so far (PostgreSQL)."""
    if admin_dsn is None or database is None:
        return None
    engine = create_engine(admin_dsn)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text(
                    "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = :db"
                ),
                {"db": database},
            ).scalar_one()
        return int(found)
    finally:
        engine.dispose()


@dataclass
class Mark:
    at: float
    footprint: Footprint
    requests: Counter[tuple[str, str]]
    transactions: int | None
    server_cpu: float


@dataclass
class Cost:
    """What the operator spent between two marks."""

    seconds: float
    cpu_seconds: float
    requests: Counter[tuple[str, str]]
    transactions: int | None
    server_cpu_seconds: float = 0.0
    """The API server's CPU: the emulator's process (the bench, with its own few requests),
    or kube-apiserver and etcd."""

    def per(self, n: float) -> tuple[float, float, float | None, float]:
        """(CPU ms, API requests, DB transactions, API server CPU ms) per unit."""
        return (
            self.cpu_seconds * 1000 / n,
            sum(self.requests.values()) / n,
            None if self.transactions is None else self.transactions / n,
            self.server_cpu_seconds * 1000 / n,
        )


class Meter:
    """Marks the operator's CPU, memory, API requests and store transactions over time."""

    def __init__(
        self,
        op: OperatorProcess,
        cluster: TimedCluster | RealCluster,
        admin: str | None,
        db: str | None,
    ):
        self.op, self.cluster, self.admin, self.db = op, cluster, admin, db

    async def mark(self) -> Mark:
        # PostgreSQL publishes a backend's counts when it goes idle, within about a second.
        await asyncio.sleep(1.5 if self.db else 0)
        xacts = await asyncio.to_thread(db_transactions, self.admin, self.db)
        if isinstance(self.cluster, RealCluster):
            await self.cluster.count()
        server = (
            self.cluster.server_cpu_seconds()
            if isinstance(self.cluster, RealCluster)
            else time.process_time()
        )
        return Mark(
            time.monotonic(), self.op.footprint(), self.cluster.requests.copy(), xacts, server
        )

    @staticmethod
    def between(before: Mark, after: Mark, own_job_patches: int = 0) -> Cost:
        requests = after.requests - before.requests
        requests[("update", "jobs")] -= own_job_patches  # the bench's own, not the operator's
        xacts = (
            None
            if before.transactions is None or after.transactions is None
            else after.transactions - before.transactions
        )
        return Cost(
            after.at - before.at,
            after.footprint.cpu_seconds - before.footprint.cpu_seconds,
            +requests,
            xacts,
            after.server_cpu - before.server_cpu,
        )


@contextlib.contextmanager
def profiling(path: str | None, pid: int) -> Iterator[None]:
    """py-spy on the operator while the block runs (the GIL holder's stacks, collapsed)."""
    if path is None:
        yield
        return
    command = ["py-spy", "record", "--gil", "--rate", "200", "--format", "raw"]
    spy = subprocess.Popen(
        [str(Path(sys.executable).parent / command[0]), *command[1:], "-p", str(pid), "-o", path],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # attached before the first completion
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=30)


# --- report -----------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


@dataclass
class Results:
    idle: Footprint
    solo: list[float]
    to_job: list[float]
    paced: list[float]
    burst: list[float]
    after_scale: Footprint
    final: Footprint
    paced_cost: Cost
    steady_cost: Cost | None
    burst_cost: Cost | None
    problems: list[str]
    limit: float | None = None
    """Seconds for the bench to write one patch to each burst Frontier, all at once."""


def latency_row(label: str, values: Sequence[float], goal: str = "") -> str:
    if not values:
        return f"  {label:<52} {'-':>7}"
    return (
        f"  {label:<52} {statistics.median(values):>7.3f} {pct(values, 0.95):>7.3f} "
        f"{max(values):>7.3f} {len(values):>4}  {goal}"
    )


def cost_row(label: str, cost: Cost | None, n: float) -> str:
    if cost is None or n <= 0:
        return f"  {label:<52} {'-':>7}"
    cpu, requests, xacts, server = cost.per(n)
    xact_text = "n/a" if xacts is None else f"{xacts:.1f}"
    return f"  {label:<52} {cpu:>7.1f} {requests:>7.1f} {xact_text:>7} {server:>7.1f}"


def report(args: argparse.Namespace, r: Results) -> None:
    store = "SQLite" if args.sqlite else "PostgreSQL"
    total = args.solo + args.frontiers
    load = os.getloadavg()[0]
    print(
        f"\nOperator at scale: {args.entry} entry, store on {store}, timers every "
        f"{args.reconcile_seconds:g}s, {os.cpu_count()} CPUs (load average {load:.1f})"
    )
    print(
        f"\n  {'latency (s): Job Complete stored -> Frontier Ready stored':<52} "
        f"{'p50':>7} {'p95':>7} {'max':>7} {'n':>4}  goal"
    )
    print(latency_row(f"baseline: {args.solo} Frontiers, one at a time", r.solo))
    print(
        latency_row(
            f"{total} Frontiers, Jobs done {args.spacing:.2f}s apart",
            r.paced,
            f"< {GOAL_SECONDS:g} s: {verdict(max(r.paced) < GOAL_SECONDS)} (max)",
        )
    )
    if r.burst:
        print(
            latency_row(f"{total + args.burst} Frontiers, {args.burst} Jobs done at once", r.burst)
        )
    print(
        latency_row(f"Frontier applied -> Job created, {args.frontiers} applied at once", r.to_job)
    )
    if r.burst and r.limit is not None:
        print(
            f"  burst max {max(r.burst):.3f} s vs goal {GOAL_SECONDS:g} s: "
            f"{verdict(max(r.burst) < GOAL_SECONDS)}, {max(r.burst) / GOAL_SECONDS:.2f}x the goal; "
            f"limit: {args.burst} writes at once through the operator's client {r.limit:.3f} s "
            f"(max {max(r.burst) / r.limit:.1f}x the limit)"
        )
    if r.solo:
        base = statistics.median(r.solo)
        print(
            f"  ratio to baseline: p50 {statistics.median(r.paced) / base:.2f}x, "
            f"p95 {pct(r.paced, 0.95) / pct(r.solo, 0.95):.2f}x, "
            f"max {max(r.paced) / max(r.solo):.2f}x"
        )

    print(f"\n  {'operator memory (MB)':<52} {'RSS':>7} {'peak':>7}")
    print(
        f"  {'baseline: idle, watching, nothing applied':<52} {r.idle.rss_mb:>7.1f} {r.idle.hwm_mb:>7.1f}"
    )
    print(
        f"  {f'{total} Frontiers Ready':<52} {r.after_scale.rss_mb:>7.1f} "
        f"{r.after_scale.hwm_mb:>7.1f}  < {GOAL_MB:g} MB: {verdict(r.after_scale.hwm_mb < GOAL_MB)} (peak)"
    )
    if r.burst:
        print(
            f"  {f'{total + args.burst} Frontiers Ready':<52} {r.final.rss_mb:>7.1f} "
            f"{r.final.hwm_mb:>7.1f}  < {GOAL_MB:g} MB: {verdict(r.final.hwm_mb < GOAL_MB)} (peak)"
        )
    print(f"  ratio peak / baseline: {r.final.hwm_mb / r.idle.rss_mb:.2f}x")

    print(f"\n  {'operator cost':<52} {'CPU ms':>7} {'API req':>7} {'DB xact':>7} {'API CPU':>7}")
    print(
        cost_row(
            f"per completion, {args.frontiers} paced (timers included)",
            r.paced_cost,
            args.frontiers,
        )
    )
    if r.burst_cost is not None:
        print(
            cost_row(
                f"per completion, {args.burst} at once (timers included)", r.burst_cost, args.burst
            )
        )
    steady = r.steady_cost
    ticks = total * steady.seconds / args.reconcile_seconds if steady else 0
    print(cost_row(f"per Frontier timer tick, {total} idle Frontiers", steady, ticks))
    print(f"  API requests per paced completion: {top_requests(r.paced_cost, args.frontiers)}")
    if steady is None:
        return
    print(f"  API requests per Frontier timer tick: {top_requests(steady, ticks)}")
    print(
        f"  steady state with {total} idle Frontiers: {steady.cpu_seconds / steady.seconds:.0%} "
        f"of a CPU, {sum(steady.requests.values()) / steady.seconds:.1f} API requests/s"
        + (
            ""
            if steady.transactions is None
            else f", {steady.transactions / steady.seconds:.1f} DB transactions/s"
        )
    )


def compare(args: argparse.Namespace, before: Results | None, after: Results | None) -> None:
    """The two runs side by side: figure, baseline, this checkout, ratio."""
    if before is None or after is None:
        return
    load = os.getloadavg()[0]
    print(f"\nBaseline and this checkout, back to back ({args.cluster}, load average {load:.1f}):")
    print(f"\n  {'':<52} {'baseline':>9} {'now':>9} {'ratio':>7}")

    def row(label: str, old: float | None, new: float | None, unit: str = "") -> None:
        if old is None or new is None:
            return
        ratio = f"{new / old:.2f}x" if old else "-"
        print(f"  {label:<52} {old:>8.3f}{unit} {new:>8.3f}{unit} {ratio:>7}")

    def per(cost: Cost | None, n: int, i: int) -> float | None:
        return None if cost is None or cost.per(n)[i] is None else cost.per(n)[i]

    if before.burst and after.burst:
        row(
            f"{args.burst} Jobs done at once: p50 (s)",
            *(statistics.median(r.burst) for r in (before, after)),
        )
        row(f"{args.burst} Jobs done at once: max (s)", max(before.burst), max(after.burst))
        row(
            "  operator CPU ms per completion",
            per(before.burst_cost, args.burst, 0),
            per(after.burst_cost, args.burst, 0),
        )
        row(
            "  API requests per completion",
            per(before.burst_cost, args.burst, 1),
            per(after.burst_cost, args.burst, 1),
        )
        row(
            "  API server CPU ms per completion",
            per(before.burst_cost, args.burst, 3),
            per(after.burst_cost, args.burst, 3),
        )
        row(
            "  DB transactions per completion",
            per(before.burst_cost, args.burst, 2),
            per(after.burst_cost, args.burst, 2),
        )
        row("  limit: writes at once (s)", before.limit, after.limit)
    row("paced: max (s)", max(before.paced), max(after.paced))
    row(
        "paced: operator CPU ms per completion",
        per(before.paced_cost, args.frontiers, 0),
        per(after.paced_cost, args.frontiers, 0),
    )
    if before.solo and after.solo:
        row(
            "baseline (one at a time): p50 (s)",
            statistics.median(before.solo),
            statistics.median(after.solo),
        )
    row("peak memory (MB)", before.final.hwm_mb, after.final.hwm_mb)


def top_requests(cost: Cost, n: float) -> str:
    return ", ".join(
        f"{verb} {plural} {count / n:.2f}" for (verb, plural), count in cost.requests.most_common(7)
    )


# --- main -------------------------------------------------------------------


@contextlib.asynccontextmanager
async def api_server(args: argparse.Namespace, tmp: Path) -> AsyncIterator[tuple[Any, Path]]:
    """(the stopwatch, a kubeconfig): the emulator, or a real kube-apiserver with --cluster real."""
    if args.cluster == "real":
        async with real_cluster(tmp) as real:
            yield real, real.kubeconfig
        return
    async with TimedCluster() as cluster, kmock.Server(cluster) as server:
        declare_resources(cluster)
        yield cluster, kubeconfig(str(server.url).rstrip("/"), tmp / "kubeconfig")


async def run(args: argparse.Namespace, dsn: str, tmp: Path) -> tuple[int, Results | None]:
    database_name = None if args.sqlite else make_url(dsn).database
    async with api_server(args, tmp) as (cluster, config):
        os.environ["KUBECONFIG"] = str(config)
        kube = Kube()
        log = Path(args.log) if args.log else tmp / "operator.log"
        op = OperatorProcess(
            args.entry,
            config,
            dsn,
            log,
            args.reconcile_seconds,
            args.timer_lanes,
            Path(args.operator_src) if args.operator_src else None,
        )
        meter = Meter(op, cluster, None if args.sqlite else args.dsn, database_name)
        try:
            started = time.monotonic()
            try:
                await cluster.until(
                    lambda: cluster.watched >= WATCHED, 60, "the operator's watches"
                )
            except TimeoutError:
                raise SystemExit(
                    f"the operator ({' '.join(op.command)}) opened no watch in 60s "
                    "(kopf pauses every watch while a peering it was told to use is missing); "
                    f"its log ends:\n{op.tail()}"
                ) from None
            print(
                f"operator (pid {op.proc.pid}) watching after {time.monotonic() - started:.1f}s",
                flush=True,
            )
            await asyncio.sleep(2)
            idle = op.footprint()

            solo: list[float] = []
            for i in range(args.solo):
                name = f"solo-{i:02d}"
                jobs, _ = await prepare(cluster, kube, dsn, [name], args.timeout)
                solo += await paced(cluster, kube, [name], jobs, 0, args.timeout)
            print(f"baseline: {len(solo)} Frontiers completed one at a time", flush=True)

            names = [f"scale-{i:03d}" for i in range(args.frontiers)]
            t0 = time.monotonic()
            jobs, to_job = await prepare(cluster, kube, dsn, names, args.timeout * 10)
            print(
                f"scale: {len(names)} Frontiers applied, Jobs created, rollouts written "
                f"in {time.monotonic() - t0:.0f}s",
                flush=True,
            )
            before = await meter.mark()
            latencies = await paced(cluster, kube, names, jobs, args.spacing, args.timeout * 10)
            after = await meter.mark()
            paced_cost = Meter.between(before, after, len(names))
            after_scale = op.footprint()
            problems = await check_statuses(kube, names, jobs)
            print(f"scale: {len(names)} Jobs completed in {paced_cost.seconds:.0f}s", flush=True)

            steady_cost = None
            if args.steady_seconds > 0:
                before = await meter.mark()
                await asyncio.sleep(args.steady_seconds)
                steady_cost = Meter.between(before, await meter.mark())
                print(f"steady state measured over {steady_cost.seconds:.0f}s", flush=True)

            burst_lat: list[float] = []
            burst_cost = None
            limit = None
            if args.burst:
                b_names = [f"burst-{i:03d}" for i in range(args.burst)]
                b_jobs, _ = await prepare(cluster, kube, dsn, b_names, args.timeout * 10)
                before = await meter.mark()
                with profiling(args.profile, op.proc.pid):
                    burst_lat = await paced(cluster, kube, b_names, b_jobs, 0, args.timeout * 10)
                burst_cost = Meter.between(before, await meter.mark(), len(b_names))
                problems += await check_statuses(kube, b_names, b_jobs)
                print(f"burst: {len(b_names)} Jobs completed at once", flush=True)
                limit = await writes_at_once(kube, b_names)
            final = op.footprint()
        except (Exception, KeyboardInterrupt):
            with contextlib.suppress(Exception):
                print(f"--- operator log (tail) ---\n{op.tail()}", file=sys.stderr)
            raise
        finally:
            op.stop()
            kube.close()

    results = Results(
        idle,
        solo,
        to_job,
        latencies,
        burst_lat,
        after_scale,
        final,
        paced_cost,
        steady_cost,
        burst_cost,
        problems,
        limit,
    )
    report(args, results)
    if problems:
        print(f"\nSTATUS ERRORS ({len(problems)}):", *problems[:10], sep="\n  ")
        return 1, results
    print(
        f"\n  all {args.solo + args.frontiers + args.burst} Frontiers read back Ready with their run's bands"
    )
    return 0, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--frontiers", type=int, default=100)
    parser.add_argument("--solo", type=int, default=5, help="baseline Frontiers, one at a time")
    parser.add_argument(
        "--burst", type=int, default=100, help="Frontiers completed at once (0: skip)"
    )
    parser.add_argument(
        "--entry",
        choices=["kopf", "frontier", "timer-lanes"],
        default="kopf",
        help="kopf: `kopf run -m frontier.operator.main --standalone -A`; "
        "frontier: `frontier operator --all-namespaces --standalone`; "
        "timer-lanes: kopf's, with at most --timer-lanes periodic reconciles at a time "
        "(a proposed fix, bench/operator/timer_lanes.py)",
    )
    parser.add_argument("--timer-lanes", type=int, default=2)
    parser.add_argument(
        "--operator-src",
        metavar="DIR",
        help="run the operator from this src/ folder (default: this checkout's src/)",
    )
    parser.add_argument(
        "--baseline-src",
        metavar="DIR",
        help="first run the whole bench with the operator from this src/ (e.g. the parent "
        "commit's, from `git archive HEAD~N src | tar -x -C DIR/..`), then with this "
        "checkout's, and compare the two",
    )
    parser.add_argument(
        "--cluster",
        choices=["emulator", "real"],
        default="emulator",
        help="emulator: kmock in this process, writes stamped in its handlers; real: etcd and "
        "kube-apiserver ($FRONTIER_CONTROL_PLANE_BIN), stamped by the bench's watch streams",
    )
    parser.add_argument("--log", help="keep the operator's log in this file")
    parser.add_argument(
        "--profile",
        metavar="PATH",
        help="py-spy the operator during the burst (collapsed stacks of the GIL holder into "
        "PATH; pip install py-spy); its sampling adds to the burst's figures",
    )
    parser.add_argument("--sqlite", action="store_true", help="SQLite store instead of PostgreSQL")
    parser.add_argument("--dsn", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per wait")
    parser.add_argument(
        "--spacing",
        type=float,
        default=None,
        help="seconds between paced Job completions (default: spread over 1.2 timer periods)",
    )
    parser.add_argument(
        "--reconcile-seconds",
        type=float,
        default=30.0,
        help="the operator's timer interval (FRONTIER_RECONCILE_SECONDS; 30 in deployments)",
    )
    parser.add_argument(
        "--steady-seconds",
        type=float,
        default=None,
        help="idle window for the steady-state cost (default: one timer period + 2 s; 0: skip)",
    )
    args = parser.parse_args(argv)
    if args.steady_seconds is None:
        args.steady_seconds = args.reconcile_seconds + 2
    # SIGTERM unwinds like Ctrl-C, so the operator is stopped and the database dropped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if args.frontiers < 1:
        parser.error("--frontiers must be at least 1")
    if args.spacing is None:
        args.spacing = 1.2 * args.reconcile_seconds / args.frontiers
    if args.baseline_src is None:
        return once(args)[0]
    runs = []
    for label, src in (("baseline", args.baseline_src), ("this checkout", args.operator_src)):
        print(f"\n=== {label}: operator from {Path(src or ROOT / 'src').resolve()} ===", flush=True)
        runs.append(once(argparse.Namespace(**{**vars(args), "operator_src": src})))
    compare(args, runs[0][1], runs[1][1])
    return max(code for code, _ in runs)


def once(args: argparse.Namespace) -> tuple[int, Results | None]:
    with tempfile.TemporaryDirectory(prefix="opbench-") as tmp, database(args, Path(tmp)) as dsn:
        return asyncio.run(run(args, dsn, Path(tmp)))


if __name__ == "__main__":
    sys.exit(main())
