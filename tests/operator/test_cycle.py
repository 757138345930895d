"""The whole loop in a cluster: profile, SaturationDetected, an automatic MutationRound, a slice, verification."""

from __future__ import annotations

from typing import Any

from frontier.operator.kube import Kube, Ref
from tests.operator.conftest import NAMESPACE, Operator, eventually, ref, run_job
from tests.operator.test_profile import apply, base_run_name, frontier_document


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

    async def frontier_settled() -> dict[str, Any] | None:
        body = await kube.get(ref("frontiers", "shop"))
        status = (body or {}).get("status") or {}
        return body if status.get("sliceVersion") == 1 and status.get("phase") == "Ready" else None

    settled = await eventually(frontier_settled, what="Frontier with slice v1")
    assert settled["status"]["rounds"] == 1
    # maxRounds: 1 holds the next round although the slice is still "saturated" at threshold 0.
    assert await kube.get(ref("mutationrounds", "shop-round-2")) is None


async def test_operator_restart_mid_run_adopts_the_job_instead_of_duplicating_it(
    operator: Operator, kube: Kube
) -> None:
    doc = frontier_document(saturation={"solverSaturatedFraction": 1.0, "maxRounds": 0})
    await apply(kube, doc)
    run_name = base_run_name(doc)
    first = await job(kube, f"{run_name}-profile")

    await operator.stop()
    await operator.start()

    async def resumed() -> dict[str, Any] | None:
        body = await kube.get(ref("profileruns", run_name))
        return body if phase_of(body) in ("Pending", "Running") else None

    await eventually(resumed, what="ProfileRun status after the restart")
    jobs = await kube.list(ref("jobs"), labels={"frontier.dev/run": run_name})
    assert [j["metadata"]["uid"] for j in jobs] == [first["metadata"]["uid"]]

    await run_job(kube, first, operator.dsn)

    async def succeeded() -> dict[str, Any] | None:
        body = await kube.get(ref("profileruns", run_name))
        return body if phase_of(body) == "Succeeded" else None

    await eventually(succeeded, what="ProfileRun Succeeded after the restart")
    assert len(await kube.list(ref("jobs"))) == 1


async def test_operator_restart_mid_round_duplicates_no_job_and_the_round_completes(
    operator: Operator, kube: Kube
) -> None:
    doc = frontier_document(saturation={"solverSaturatedFraction": 0.0, "maxRounds": 1})
    await apply(kube, doc)
    await run_job(kube, await job(kube, f"{base_run_name(doc)}-profile"), operator.dsn)
    teach = await job(kube, "shop-round-1-teach")
    await run_job(kube, teach, operator.dsn)
    admit = await job(kube, "shop-round-1-candidates-admit")

    await operator.stop()  # the round is between its candidate Job's creation and completion
    await operator.start()

    async def resumed() -> dict[str, Any] | None:
        body = await kube.get(ref("mutationrounds", "shop-round-1"))
        return body if phase_of(body) not in (None, "Succeeded", "Failed") else None

    await eventually(resumed, what="MutationRound status after the restart")
    round_jobs = await kube.list(ref("jobs"), labels={"frontier.dev/frontier": "shop"})
    names = sorted(j["metadata"]["name"] for j in round_jobs)
    assert len(names) == len(set(names))
    by_name = {j["metadata"]["name"]: j for j in round_jobs}
    assert by_name["shop-round-1-teach"]["metadata"]["uid"] == teach["metadata"]["uid"]
    assert by_name["shop-round-1-candidates-admit"]["metadata"]["uid"] == admit["metadata"]["uid"]

    await run_job(kube, admit, operator.dsn)
    for model in [v["name"] for v in doc["spec"]["verifiers"]]:
        await run_job(kube, await job(kube, f"shop-verify-s1-{model}-verify"), operator.dsn)

    async def round_done() -> dict[str, Any] | None:
        body = await kube.get(ref("mutationrounds", "shop-round-1"))
        return body if phase_of(body) == "Succeeded" else None

    finished = await eventually(round_done, what="round Succeeded after the restart")
    assert finished["status"]["sliceVersion"] == 1
