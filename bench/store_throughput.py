"""Store throughput on PostgreSQL: rollout ingest against its baselines and the COPY floor,
and band aggregation against the full scan it replaced.

Creates a throwaway database on the PostgreSQL at 127.0.0.1:5432 (trust auth), then
measures, in the same run, on the same rollouts (each way into a fresh run, batches of
5,000, one transaction each, best of --rounds with the order rotated every round):

1. ingest, rollouts per second:
   - bulk: `Store.ingest_rollouts`, with conversion, redaction and the per-task sums;
   - replay: the same rollouts ingested again (every row an overwrite: staged + upsert);
   - ORM: `Session.add_all` of converted rows, one commit per batch;
   - Core: `conn.execute(insert(rollouts), rows)` of converted rows (executemany);
   - naive: one ORM insert and commit per rollout (fsync-bound; a strawman, kept for
     the first round's ratio);
   - floor: a raw binary `COPY` of the same rows converted beforehand (no conversion,
     no redaction, no upsert, no sums): what the server takes at best.
2. band aggregation over a run of --aggregate rollouts (250,000 tasks x 4), best of 5:
   `Store.band_counts` (one sums row per task) against the full scan it replaced
   (per-task avg over every rollout, work_mem 64 MB, as the first round tuned it) and
   the limit (counting the run's sums rows); the results must be equal.

Usage: python bench/store_throughput.py [--dsn postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
       [--ingest 50000] [--naive 1000] [--rounds 3] [--aggregate 1000000]
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from frontier.domain.bands import Band, BandSummary
from frontier.domain.specs import BandSpec, ModelRef, TaskSetRef
from frontier.domain.tasks import Rollout, Task
from frontier.store import Store, convert, queries
from frontier.store.models import RolloutRow
from frontier.store.rollouts import COPY_TYPES
from frontier.store.tables import rollout_sums, rollouts, runs

MODEL = ModelRef(name="bench", provider="heuristic", profile="novice")
BATCH = 5000


def make_rollouts(n: int, tasks: list[str], rng: random.Random) -> list[Rollout]:
    out = []
    for i in range(n):
        reward = rng.random()
        out.append(
            Rollout(
                task_id=tasks[(i // 4) % len(tasks)],
                attempt=i % 4,
                reward=reward,
                success=reward > 0.9,
                input_tokens=1200,
                output_tokens=300,
                latency_seconds=0.5,
                trace={"tool_calls": [{"name": "find_product", "arguments": {"q": "x"}}]},
            )
        )
    return out


class Bench:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine: Engine = store.engine
        self.runs = 0

    def new_run(self) -> tuple[str, int]:
        self.runs += 1
        name = f"run-{self.runs}"
        self.store.create_run(
            name, frontier="bench/f", kind="profile", model=MODEL, task_set=TaskSetRef(), k=4
        )
        with self.engine.connect() as conn:
            return name, int(
                conn.execute(select(runs.c.id).where(runs.c.name == name)).scalar_one()
            )

    def bulk(self, data: list[Rollout]) -> float:
        name, _ = self.new_run()
        return timed(lambda: [self.store.ingest_rollouts(name, b) for b in batches(data)], data)

    def replay(self, data: list[Rollout]) -> float:
        name, _ = self.new_run()
        for b in batches(data):
            self.store.ingest_rollouts(name, b)
        return timed(lambda: [self.store.ingest_rollouts(name, b) for b in batches(data)], data)

    def orm(self, data: list[Rollout]) -> float:
        _, run_id = self.new_run()

        def write() -> None:
            for b in batches(data):
                now = datetime.now(UTC)
                with Session(self.engine) as session:
                    session.add_all(
                        RolloutRow(**convert.rollout_row(run_id, MODEL.name, r, now)) for r in b
                    )
                    session.commit()

        return timed(write, data)

    def core(self, data: list[Rollout]) -> float:
        _, run_id = self.new_run()

        def write() -> None:
            for b in batches(data):
                now = datetime.now(UTC)
                rows = [convert.rollout_row(run_id, MODEL.name, r, now) for r in b]
                with self.engine.begin() as conn:
                    conn.execute(rollouts.insert(), rows)

        return timed(write, data)

    def naive(self, data: list[Rollout]) -> float:
        _, run_id = self.new_run()

        def write() -> None:
            with Session(self.engine) as session:
                for r in data:
                    now = datetime.now(UTC)
                    session.add(RolloutRow(**convert.rollout_row(run_id, MODEL.name, r, now)))
                    session.commit()

        return timed(write, data)

    def floor(self, data: list[Rollout]) -> float:
        _, run_id = self.new_run()
        now = datetime.now(UTC)
        rows = [convert.rollout_values(run_id, MODEL.name, r, now) for r in data]
        columns = ", ".join(convert.ROLLOUT_COLUMNS)

        def write() -> None:
            for start in range(0, len(rows), BATCH):
                with self.engine.begin() as conn:
                    raw = conn.connection.driver_connection
                    assert raw is not None
                    with (
                        raw.cursor() as cur,
                        cur.copy(f"COPY rollouts ({columns}) FROM STDIN (FORMAT BINARY)") as copy,
                    ):
                        copy.set_types(COPY_TYPES)  # the format ingest uses, at its best
                        for row in rows[start : start + BATCH]:
                            copy.write_row(row)

        return timed(write, data)


def batches(data: list[Rollout]) -> list[list[Rollout]]:
    return [data[i : i + BATCH] for i in range(0, len(data), BATCH)]


def timed(fn: Callable[[], object], data: list[Rollout]) -> float:
    started = time.perf_counter()
    fn()
    return len(data) / (time.perf_counter() - started)


def full_scan_band_counts(engine: Engine, run_id: int, bands: BandSpec) -> BandSummary:
    """The first round's band_counts: every rollout of the run, averaged per task."""
    ok = queries.ok_condition()
    means = (
        select(rollouts.c.task_id, func.avg(rollouts.c.reward).label("mean"))
        .where(rollouts.c.run_id == run_id, ok)
        .group_by(rollouts.c.task_id)
        .subquery()
    )
    label = queries.band_case(bands)(means.c.mean).label("band")
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        counts = {
            r.band: int(r.n)
            for r in conn.execute(select(label, func.count().label("n")).group_by(label))
        }
    return BandSummary(**{b.value: counts.get(b.value, 0) for b in Band})


def count_sums(engine: Engine, run_id: int) -> int:
    with engine.begin() as conn:
        query = select(func.count()).select_from(rollout_sums)
        return int(conn.execute(query.where(rollout_sums.c.run_id == run_id)).scalar_one())


def best(fn: Callable[[], object], times: int = 5) -> tuple[float, object]:
    timings, result = [], None
    for _ in range(times):
        started = time.perf_counter()
        result = fn()
        timings.append(time.perf_counter() - started)
    return min(timings), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--ingest", type=int, default=50_000)
    parser.add_argument("--naive", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--aggregate", type=int, default=1_000_000)
    args = parser.parse_args()

    admin = create_engine(args.dsn, isolation_level="AUTOCOMMIT")
    db = f"frontier_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    dsn = make_url(args.dsn).set(database=db).render_as_string(hide_password=False)
    try:
        store = Store.connect(dsn, auto_upgrade=True)
        store.upsert_frontier("bench/f", {"benchmark": {"name": "x"}})
        bench = Bench(store)
        rng = random.Random(0)
        tasks = [Task.create("x", "f", f"task {i}", {"i": i}).id for i in range(250_000)]
        data = make_rollouts(args.ingest, tasks, rng)
        ways: dict[str, Callable[[list[Rollout]], float]] = {
            "bulk": bench.bulk,
            "replay": bench.replay,
            "orm": bench.orm,
            "core": bench.core,
            "naive": lambda d: bench.naive(d[: args.naive]),
            "floor": bench.floor,
        }
        rates: dict[str, list[float]] = {name: [] for name in ways}
        order = list(ways)
        for round_ in range(args.rounds):
            for name in order[round_ % len(order) :] + order[: round_ % len(order)]:
                rates[name].append(ways[name](data))
        rate = {name: max(values) for name, values in rates.items()}

        big_name, big_id = bench.new_run()
        big = make_rollouts(args.aggregate, tasks, rng)
        for i in range(0, len(big), 20_000):
            store.ingest_rollouts(big_name, big[i : i + 20_000])
        # Committed (AUTOCOMMIT): statistics gathered in a rolled-back transaction are lost.
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE rollouts"))
            conn.execute(text("VACUUM ANALYZE rollout_sums"))
        bands = BandSpec()
        sums_s, summary = best(lambda: store.band_counts(big_name, bands))
        scan_s, scanned = best(lambda: full_scan_band_counts(store.engine, big_id, bands), 3)
        limit_s, n_sums = best(lambda: count_sums(store.engine, big_id))
        store.close()

        print(f"ingest of {args.ingest:,} rollouts in batches of {BATCH:,}, best of {args.rounds}")
        print(f"{'measure':<58}{'rollouts/s':>12}{'bulk is':>12}")
        rows = [
            ("bulk: Store.ingest_rollouts (convert, redact, sums)", "bulk"),
            ("replay: the same again, every row an overwrite", "replay"),
            ("ORM add_all, one commit per 5,000", "orm"),
            ("Core executemany, one commit per 5,000", "core"),
            ("naive ORM, one insert + commit each (strawman)", "naive"),
            ("floor: raw COPY of pre-converted rows", "floor"),
        ]
        for label, name in rows:
            ratio = rate["bulk"] / rate[name]
            shown = "" if name == "bulk" else f"{ratio:.2f}x"
            print(f"{label:<58}{rate[name]:>12,.0f}{shown:>12}")
        by_round = [b / f for b, f in zip(rates["bulk"], rates["floor"], strict=True)]
        print(
            f"bulk / floor {rate['bulk'] / rate['floor']:.0%} (each round: "
            + ", ".join(f"{r:.0%}" for r in by_round)
            + f"), replay / floor {rate['replay'] / rate['floor']:.0%}, "
            f"bulk / ORM add_all {rate['bulk'] / rate['orm']:.1f}x"
        )
        print(
            "all rounds, rollouts/s: "
            + "; ".join(f"{k} {', '.join(f'{v:,.0f}' for v in vs)}" for k, vs in rates.items())
        )
        print(f"\nband aggregation over {args.aggregate:,} rollouts ({n_sums:,} tasks)")
        print(f"{'measure':<58}{'seconds':>12}{'sums are':>12}")
        print(f"{'band_counts from the per-task sums':<58}{sums_s:>12.4f}")
        print(
            f"{'full scan of the rollouts (first round, work_mem 64MB)':<58}{scan_s:>12.4f}"
            f"{scan_s / sums_s:>11.1f}x"
        )
        print(
            f"{'limit: count(*) of the run sums rows':<58}{limit_s:>12.4f}{limit_s / sums_s:>11.2f}x"
        )
        print(f"equal to the full scan: {summary == scanned}  {summary.as_dict()}")  # type: ignore[union-attr]
        print(
            "goals: bulk >= 80% of the floor and >= 5x ORM add_all; "
            "banding < 0.050 s and equal to the full scan"
        )
    finally:
        admin.dispose()
        with create_engine(args.dsn, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
