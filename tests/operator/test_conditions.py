"""What the operator says when things go wrong: a bad spec, a stuck Job, a suspended run,
a handler that fails."""

from __future__ import annotations

from typing import Any

import kmock

from frontier.operator.kube import Kube, Ref
from tests.operator.conftest import NAMESPACE, Operator, eventually, ref
from tests.operator.test_cycle import events_with, job
from tests.operator.test_profile import apply, base_run_name, frontier_document
from tests.support.kube import Cluster


def condition(body: dict[str, Any] | None, type_: str) -> dict[str, Any] | None:
    for c in ((body or {}).get("status") or {}).get("conditions") or []:
        if c["type"] == type_:
            return c  # type: ignore[no-any-return]
    return None


async def test_spec_the_schema_lets_through_gets_spec_valid_false_and_an_event_then_recovers(
    operator: Operator, kube: Kube
) -> None:
    doc = frontier_document()
    doc["spec"]["solver"] = {"name": "solver", "provider": "heuristic", "baseUrl": "http://x/v1"}
    await apply(kube, doc)

    async def invalid() -> dict[str, Any] | None:
        body = await kube.get(ref("frontiers", "shop"))
        found = condition(body, "SpecValid")
        return body if found and found["status"] == "False" else None

    body = await eventually(invalid, what="SpecValid=False")
    assert body["status"]["phase"] == "Invalid"
    spec_valid = condition(body, "SpecValid")
    assert spec_valid is not None
    assert spec_valid["reason"] == "InvalidSpec"
    assert spec_valid["message"].startswith("spec.solver")
    assert "baseUrl" in spec_valid["message"]
    warning = await eventually(lambda: events_with(kube, "InvalidSpec"), what="InvalidSpec Event")
    assert warning[0]["type"] == "Warning"
    assert await kube.list(ref("profileruns")) == []

    await kube.patch(
        Ref("frontier.dev/v1alpha1", "frontiers", NAMESPACE, "shop"),
        {"spec": {"solver": {"name": "solver", "provider": "heuristic", "baseUrl": None}}},
    )
    fixed = dict(doc)
    fixed["spec"] = {**doc["spec"], "solver": {"name": "solver", "provider": "heuristic"}}
    await eventually(
        lambda: kube.get(ref("profileruns", base_run_name(fixed))), what="ProfileRun once fixed"
    )

    async def valid() -> bool:
        found = condition(await kube.get(ref("frontiers", "shop")), "SpecValid")
        return bool(found and found["status"] == "True")

    await eventually(valid, what="SpecValid=True")


async def test_unschedulable_pod_sets_a_condition_and_posts_a_warning(
    operator: Operator, kube: Kube
) -> None:
    doc = frontier_document()
    await apply(kube, doc)
    run_name = base_run_name(doc)
    worker_job = await job(kube, f"{run_name}-profile")
    await kube.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"{run_name}-profile-0-abcde",
                "namespace": NAMESPACE,
                "labels": {"job-name": worker_job["metadata"]["name"]},
            },
            "spec": {"containers": [{"name": "worker", "image": "x"}]},
        }
    )
    await kube.patch_status(
        Ref("v1", "pods", NAMESPACE, f"{run_name}-profile-0-abcde"),
        {
            "phase": "Pending",
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",
                }
            ],
        },
    )
    # The Job's controller would now report the pod as active: that change wakes the operator.
    await kube.patch_status(
        Ref("batch/v1", "jobs", NAMESPACE, worker_job["metadata"]["name"]),
        {"active": 1, "startTime": "2026-01-01T00:00:00Z"},
    )

    async def degraded() -> dict[str, Any] | None:
        found = condition(await kube.get(ref("profileruns", run_name)), "Degraded")
        return found if found and found["status"] == "True" else None

    found = await eventually(degraded, what="Degraded=True")
    assert found["reason"] == "Unschedulable"
    assert "Insufficient nvidia.com/gpu" in found["message"]
    warning = await eventually(lambda: events_with(kube, "Unschedulable"), what="Event")
    assert warning[0]["regarding"]["kind"] == "ProfileRun"


async def test_suspending_a_run_suspends_its_job(operator: Operator, kube: Kube) -> None:
    doc = frontier_document()
    await apply(kube, doc)
    run_name = base_run_name(doc)
    first = await job(kube, f"{run_name}-profile")
    assert first["spec"]["suspend"] is False

    await kube.patch(
        Ref("frontier.dev/v1alpha1", "profileruns", NAMESPACE, run_name),
        {"spec": {"suspend": True, "parallelism": 1}},
    )

    async def suspended() -> dict[str, Any] | None:
        body = await kube.get(ref("jobs", f"{run_name}-profile"))
        return body if body and body["spec"]["suspend"] is True else None

    body = await eventually(suspended, what="suspended Job")
    assert body["spec"]["parallelism"] == 1
    assert body["metadata"]["uid"] == first["metadata"]["uid"]


async def fail_the_frontier_handler(cluster: Cluster, kube: Kube, name: str) -> None:
    """Change a Frontier's spec while the API server fails every read of a ProfileRun.

    The update handler creates the base ProfileRun, meets 409 (it exists) and reads it
    back: that read fails, and so does the handler, which kopf retries a minute later.
    """
    profileruns = kmock.resource("frontier.dev", "v1alpha1", "profileruns")
    cluster[kmock.action.FETCH, profileruns] << 503
    await kube.patch(ref("frontiers", name), {"spec": {"saturation": {"maxRounds": 2}}})


async def test_a_failing_handler_is_reported_as_an_error_event_on_its_object(
    operator: Operator, kube: Kube
) -> None:
    """kopf >= 1.44 posts its log messages as Events only when asked; the operator asks."""
    doc = frontier_document(saturation={"solverSaturatedFraction": 1.0, "maxRounds": 0})
    frontier = await apply(kube, doc)
    await job(kube, f"{base_run_name(doc)}-profile")
    await fail_the_frontier_handler(operator.cluster, kube, "shop")

    async def error_events() -> list[dict[str, Any]]:
        found = await kube.list(Ref("v1", "events", NAMESPACE))
        return [e for e in found if e.get("type") == "Error"]

    posted = await eventually(error_events, what="kopf's Error Event")
    assert posted[0]["involvedObject"]["uid"] == frontier["metadata"]["uid"]
    assert "frontier_changed" in posted[0]["message"]
    assert "503" in posted[0]["message"]
