"""The whole loop in a cluster: profile, SaturationDetected, an automatic MutationRound, a slice, verification."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from frontier.domain.bands import Band
from frontier.domain.specs import TaskSetRef
from frontier.operator.kube import Kube, Ref
from frontier.pipeline.context import stored_context
from frontier.pipeline.profile import tasks_of
from frontier.store import Store
from tests.operator.conftest import (
    NAMESPACE,
    Operator,
    eventually,
    ref,
    run_job,
    run_worker,
    serving,
    store_in,
)
from tests.operator.test_profile import apply, base_run_name, frontier_document

Row = tuple[str, int, str, float | None]


@dataclass(frozen=True)
class Outcome:
    """What a cycle left in the store, in a form a restarted and a fault-free run compare by."""

    rollouts: dict[str, list[Row]]  # per run: (task, attempt, status, reward), sorted
    expected: dict[str, list[tuple[str, int]]]  # per run: each (task, attempt) of its tasks x k
    bands: dict[str, dict[str, Band]]
    candidates: list[tuple[int, str, str, str | None]]
    slices: list[tuple[int, tuple[str, ...]]]
    rounds: list[tuple[int, str, str]]

    def stored(self) -> dict[str, list[tuple[str, int]]]:
        """Per run, the stored (task, attempt) keys: a lost or repeated attempt shows here."""
        return {
            run: [(task, attempt) for task, attempt, *_ in rows]
            for run, rows in self.rollouts.items()
        }


def outcome(dsn: str, frontier: str = f"{NAMESPACE}/shop") -> Outcome:
    store = Store.connect(dsn)
    try:
        ctx = stored_context(store, frontier)
        runs = store.runs(frontier)
        return Outcome(
            rollouts={
                run.name: sorted(
                    (r.task_id, r.attempt, r.status, r.reward) for r in store.rollouts_for(run.name)
                )
                for run in runs
            },
            expected={
                run.name: [
                    (task.id, attempt)
                    for task in tasks_of(ctx, TaskSetRef.model_validate(run.task_set))
                    for attempt in range(run.k)
                ]
                for run in runs
            },
            bands={run.name: store.task_bands(run.name, ctx.spec.bands) for run in runs},
            candidates=sorted(
                (c.round, c.task_id, c.decision, c.reason) for c in store.candidates(frontier)
            ),
            slices=[(s.version, s.task_ids) for s in store.slices(frontier)],
            rounds=[(r.number, r.trigger, r.phase) for r in store.rounds(frontier)],
        )
    finally:
        store.close()


def job_names(doc: dict[str, Any]) -> list[str]:
    """The Jobs the operator creates for the document, in the order it creates them."""
    names = [f"{base_run_name(doc)}-profile"]
    if doc["spec"]["saturation"]["maxRounds"]:
        names += ["shop-round-1-teach", "shop-round-1-candidates-admit"]
        names += [f"shop-verify-s1-{v['name']}-verify" for v in doc["spec"]["verifiers"]]
    return names


FaultFree = Callable[[dict[str, Any]], Awaitable[Outcome]]


@pytest.fixture
def fault_free(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FaultFree:
    """The same document through the whole cycle on a fresh emulator, store and operator."""

    async def run(doc: dict[str, Any]) -> Outcome:
        directory = tmp_path / "fault-free"
        directory.mkdir()
        with monkeypatch.context() as env:
            async with serving(directory, env) as cluster:
                operator = Operator(cluster, store_in(directory))
                await operator.start()
                try:
                    kube = Kube()
                    try:
                        await apply(kube, doc)
                        for name in job_names(doc):
                            await run_job(kube, await job(kube, name), operator.dsn)
                        await settled(kube, doc)
                    finally:
                        kube.close()
                finally:
                    await operator.stop()
        return outcome(operator.dsn)

    return run


def assert_nothing_lost_or_repeated(restarted: Outcome, clean: Outcome) -> None:
    """Every run stored each (task, attempt) once, and the store holds what a fault-free run's does."""
    assert restarted.rollouts, "no run stored anything: nothing to compare"
    assert restarted.stored() == restarted.expected
    assert restarted.bands == clean.bands
    assert restarted == clean


async def events_with(kube: Kube, reason: str) -> list[dict[str, Any]]:
    found = await kube.list(Ref("events.k8s.io/v1", "events", NAMESPACE))
    return [e for e in found if e.get("reason") == reason]


async def job(kube: Kube, name: str) -> dict[str, Any]:
    found: dict[str, Any] = await eventually(
        lambda: kube.get(ref("jobs", name)), what=f"Job {name}"
    )
    return found


def phase_of(body: dict[str, Any] | None) -> str | None:
    return ((body or {}).get("status") or {}).get("phase")


async def settled(kube: Kube, doc: dict[str, Any]) -> dict[str, Any]:
    """The Frontier once Ready with every round its document allows done."""
    rounds = doc["spec"]["saturation"]["maxRounds"]

    async def probe() -> dict[str, Any] | None:
        body = await kube.get(ref("frontiers", doc["metadata"]["name"]))
        status = (body or {}).get("status") or {}
        return body if phase_of(body) == "Ready" and (status.get("rounds") or 0) == rounds else None

    found: dict[str, Any] = await eventually(probe, what=f"Frontier Ready after {rounds} round(s)")
    return found


async def test_saturation_starts_a_round_that_publishes_and_verifies_a_slice(
    operator: Operator, kube: Kube
) -> None:
    doc = frontier_document(saturation={"solverSaturatedFraction": 0.0, "maxRounds": 1})
    frontier = await apply(kube, doc)
    await run_job(kube, await job(kube, f"{base_run_name(doc)}-profile"), operator.dsn)

    saturation = await eventually(
        lambda: events_with(kube, "SaturationDetected"), what="SaturationDetected Event"
    )
    assert saturation[0]["regarding"]["uid"] == frontier["metadata"]["uid"]
    assert "solverSaturatedFraction" in saturation[0]["note"]

    round_ = await eventually(lambda: kube.get(ref("mutationrounds", "shop-round-1")), what="round")
    assert round_["spec"]["trigger"] == "SaturationDetected"
    assert round_["metadata"]["ownerReferences"][0]["uid"] == frontier["metadata"]["uid"]

    teach = await job(kube, "shop-round-1-teach")
    assert teach["spec"]["template"]["spec"]["containers"][0]["command"][2] == "mutate"
    await run_job(kube, teach, operator.dsn)
    await run_job(kube, await job(kube, "shop-round-1-candidates-admit"), operator.dsn)

    verification = await eventually(
        lambda: kube.get(ref("verificationruns", "shop-verify-s1")), what="VerificationRun"
    )
    models = [m["name"] for m in verification["spec"]["models"]]
    assert models == [v["name"] for v in doc["spec"]["verifiers"]]
    for model in models:
        await run_job(kube, await job(kube, f"shop-verify-s1-{model}-verify"), operator.dsn)

    async def round_done() -> dict[str, Any] | None:
        body = await kube.get(ref("mutationrounds", "shop-round-1"))
        return body if phase_of(body) == "Succeeded" else None

    finished = await eventually(round_done, what="round Succeeded")
    assert finished["status"]["sliceVersion"] == 1
    assert phase_of(await kube.get(ref("verificationruns", "shop-verify-s1"))) == "Succeeded"

    assert (await settled(kube, doc))["status"]["sliceVersion"] == 1
    # maxRounds: 1 holds the next round although the slice is still "saturated" at threshold 0.
    assert await kube.get(ref("mutationrounds", "shop-round-2")) is None


async def test_operator_restart_mid_run_adopts_the_job_and_stores_what_a_fault_free_run_does(
    operator: Operator, kube: Kube, fault_free: FaultFree
) -> None:
    doc = frontier_document(saturation={"solverSaturatedFraction": 1.0, "maxRounds": 0})
    await apply(kube, doc)
    run_name = base_run_name(doc)
    first = await job(kube, f"{run_name}-profile")
    await run_worker(first, operator.dsn, 0)  # one shard stored, the other not started

    await operator.stop()
    await operator.start()

    async def resumed() -> dict[str, Any] | None:
        body = await kube.get(ref("profileruns", run_name))
        return body if phase_of(body) in ("Pending", "Running") else None

    await eventually(resumed, what="ProfileRun status after the restart")
    jobs = await kube.list(ref("jobs"), labels={"frontier.dev/run": run_name})
    assert [j["metadata"]["uid"] for j in jobs] == [first["metadata"]["uid"]]

    await run_job(kube, first, operator.dsn, indexes=[1])
    await settled(kube, doc)
    assert phase_of(await kube.get(ref("profileruns", run_name))) == "Succeeded"
    assert len(await kube.list(ref("jobs"))) == 1
    assert_nothing_lost_or_repeated(outcome(operator.dsn), await fault_free(doc))


async def test_operator_restart_mid_round_duplicates_no_job_and_stores_what_a_fault_free_round_does(
    operator: Operator, kube: Kube, fault_free: FaultFree
) -> None:
    # Without early stopping every candidate is rolled out k times, so the expected count is exact.
    doc = frontier_document(
        saturation={"solverSaturatedFraction": 0.0, "maxRounds": 1},
        admission={"k": 2, "earlyStop": False},
    )
    await apply(kube, doc)
    profile, teach_name, admit_name, *verify_names = job_names(doc)
    await run_job(kube, await job(kube, profile), operator.dsn)
    teach = await job(kube, teach_name)
    await run_job(kube, teach, operator.dsn)
    admit = await job(kube, admit_name)
    await run_worker(admit, operator.dsn, 0)  # the candidate Job is running: its first shard done

    await operator.stop()
    await operator.start()

    async def resumed() -> dict[str, Any] | None:
        body = await kube.get(ref("mutationrounds", "shop-round-1"))
        return body if phase_of(body) not in (None, "Succeeded", "Failed") else None

    await eventually(resumed, what="MutationRound status after the restart")
    round_jobs = await kube.list(ref("jobs"), labels={"frontier.dev/frontier": "shop"})
    names = sorted(j["metadata"]["name"] for j in round_jobs)
    assert len(names) == len(set(names))
    by_name = {j["metadata"]["name"]: j for j in round_jobs}
    assert by_name[teach_name]["metadata"]["uid"] == teach["metadata"]["uid"]
    assert by_name[admit_name]["metadata"]["uid"] == admit["metadata"]["uid"]

    await run_job(kube, admit, operator.dsn, indexes=range(1, admit["spec"]["completions"]))
    for name in verify_names:
        await run_job(kube, await job(kube, name), operator.dsn)
    await settled(kube, doc)
    finished = await kube.get(ref("mutationrounds", "shop-round-1")) or {}
    assert (phase_of(finished), finished["status"]["sliceVersion"]) == ("Succeeded", 1)

    restarted = outcome(operator.dsn)
    assert restarted.candidates and restarted.slices, "the round decided nothing to compare"
    assert_nothing_lost_or_repeated(restarted, await fault_free(doc))
