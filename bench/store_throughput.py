"""Store throughput on PostgreSQL: bulk rollout ingest vs a naive ORM baseline, and band aggregation.

Creates a throwaway database on the PostgreSQL at 127.0.0.1:5432 (trust auth),
then measures, in the same run:

1. ingest: `Store.ingest_rollouts` in batches of 5,000 (what workers do) vs a
   naive baseline that adds one ORM object per rollout and commits each one
   (the pattern a quick implementation would use), rollouts per second each;
2. band aggregation: `Store.band_counts` over a run of 1,000,000 rollouts
   (250,000 tasks x 4), best of 3.

Usage: python bench/store_throughput.py [--dsn postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
       [--ingest 50000] [--naive 2000] [--aggregate 1000000]
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from frontier.domain.specs import BandSpec, ModelRef, TaskSetRef
from frontier.domain.tasks import Rollout, Task
from frontier.store import Store
from frontier.store.models import RolloutRow

MODEL = ModelRef(name="bench", provider="heuristic", profile="novice")


def rollouts(n: int, tasks: list[str], rng: random.Random) -> list[Rollout]:
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


def new_run(store: Store, frontier: str, name: str) -> None:
    store.create_run(
        name, frontier=frontier, kind="profile", model=MODEL, task_set=TaskSetRef(), k=4
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--ingest", type=int, default=50_000)
    parser.add_argument("--naive", type=int, default=2_000)
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
        rng = random.Random(0)
        tasks = [Task.create("x", "f", f"task {i}", {"i": i}).id for i in range(250_000)]

        new_run(store, "bench/f", "bulk")
        batch = rollouts(args.ingest, tasks, rng)
        started = time.perf_counter()
        for i in range(0, len(batch), 5000):
            store.ingest_rollouts("bulk", batch[i : i + 5000])
        bulk_rate = len(batch) / (time.perf_counter() - started)

        new_run(store, "bench/f", "naive")
        run_id = (
            store.engine.connect()
            .execute(text("SELECT id FROM runs WHERE name='naive'"))
            .scalar_one()
        )
        naive = rollouts(args.naive, tasks, rng)
        started = time.perf_counter()
        with Session(store.engine) as session:
            for r in naive:
                session.add(
                    RolloutRow(
                        run_id=run_id,
                        task_id=r.task_id,
                        attempt=r.attempt,
                        model=MODEL.name,
                        status=r.status,
                        reward=r.reward,
                        success=r.success,
                        error=None,
                        input_tokens=r.input_tokens,
                        output_tokens=r.output_tokens,
                        cost_usd=r.cost_usd,
                        latency_seconds=r.latency_seconds,
                        trace=r.trace,
                        recorded_at=datetime.now(UTC),
                    )
                )
                session.commit()
        naive_rate = len(naive) / (time.perf_counter() - started)

        new_run(store, "bench/f", "big")
        big = rollouts(args.aggregate, tasks, rng)
        for i in range(0, len(big), 20_000):
            store.ingest_rollouts("big", big[i : i + 20_000])
        # Committed (AUTOCOMMIT): inside a transaction that is rolled back, as it was until
        # now, ANALYZE's statistics are rolled back too and the planner guesses 25 rows.
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE rollouts"))
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            summary = store.band_counts("big", BandSpec())
            timings.append(time.perf_counter() - started)
        store.close()

        print(f"{'measure':<44}{'value':>14}")
        print(f"{'bulk ingest (Store.ingest_rollouts), rollouts/s':<44}{bulk_rate:>14,.0f}")
        print(f"{'naive ORM, one insert + commit each, rollouts/s':<44}{naive_rate:>14,.0f}")
        print(f"{'ratio bulk / naive':<44}{bulk_rate / naive_rate:>13.1f}x")
        print(
            f"{f'band aggregation over {args.aggregate:,} rollouts, s':<44}{min(timings):>14.3f}"
            f"   ({summary.total:,} tasks: {summary.as_dict()})"
        )
        print("goals: ratio >= 20x, bulk >= 20,000/s, aggregation < 1 s")
    finally:
        admin.dispose()
        with create_engine(args.dsn, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
