"""A Frontier applied to the cluster becomes a ProfileRun and one Indexed Job; completion yields bands."""

from __future__ import annotations

from typing import Any

from frontier.domain import naming
from frontier.domain.specs import GROUP_VERSION, FrontierSpec
from frontier.operator.kube import Kube, Ref
from frontier.store import Store
from tests.operator.conftest import NAMESPACE, Operator, eventually, ref, run_job
from tests.support.frontiers import small_document

JOB = {
    "image": "registry.example/frontier:test",
    "serviceAccountName": "frontier-worker",
    "resources": {"limits": {"nvidia.com/gpu": "1", "memory": "2Gi"}},
    "nodeSelector": {"nvidia.com/gpu.present": "true"},
    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    "databaseSecret": {"name": "frontier-db", "key": "dsn"},
}


def frontier_document(name: str = "shop", **overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "profile": {"k": 2, "shards": 2},
        "admission": {"k": 2},
        "verification": {"k": 2},
        "mutation": {"parentsPerRound": 3, "candidatesPerParent": 2},
        "job": JOB,
    }
    doc = small_document(per_family=2, **{**settings, **overrides})
    doc["metadata"] = {"name": name, "namespace": NAMESPACE}
    return doc


async def apply(kube: Kube, doc: dict[str, Any]) -> dict[str, Any]:
    body, created = await kube.create(doc)
    assert created
    return body


def base_run_name(doc: dict[str, Any]) -> str:
    spec = FrontierSpec.model_validate(doc["spec"])
    return naming.base_profile_run(doc["metadata"]["name"], naming.profile_fingerprint(spec))


async def test_frontier_gets_a_profile_run_and_an_indexed_job_built_from_its_spec(
    operator: Operator, kube: Kube
) -> None:
    doc = frontier_document()
    frontier = await apply(kube, doc)
    run_name = base_run_name(doc)

    run = await eventually(lambda: kube.get(ref("profileruns", run_name)), what="ProfileRun")
    assert run["metadata"]["ownerReferences"][0]["uid"] == frontier["metadata"]["uid"]
    assert run["spec"]["model"]["name"] == doc["spec"]["solver"]["name"]
    assert run["spec"]["shards"] == 2

    job = await eventually(lambda: kube.get(ref("jobs", f"{run_name}-profile")), what="Job")
    assert job["metadata"]["ownerReferences"][0]["uid"] == run["metadata"]["uid"]
    assert job["metadata"]["ownerReferences"][0]["kind"] == "ProfileRun"
    spec = job["spec"]
    assert (spec["completionMode"], spec["completions"]) == ("Indexed", 2)
    pod = spec["template"]["spec"]
    worker = pod["containers"][0]
    assert worker["image"] == JOB["image"]
    assert worker["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert pod["nodeSelector"] == JOB["nodeSelector"]
    assert pod["tolerations"][0]["key"] == "nvidia.com/gpu"
    assert pod["serviceAccountName"] == "frontier-worker"
    dsn_env = next(e for e in worker["env"] if e["name"] == "FRONTIER_DB")
    assert dsn_env == {
        "name": "FRONTIER_DB",
        "valueFrom": {"secretKeyRef": {"name": "frontier-db", "key": "dsn"}},
    }
    assert all("value" not in e or "secret" not in e["name"].lower() for e in worker["env"])
    assert worker["securityContext"]["runAsNonRoot"] is True
    assert worker["command"][:3] == ["frontier", "worker", "rollouts"]


async def test_completed_profile_job_puts_bands_into_run_and_frontier_status(
    operator: Operator, kube: Kube
) -> None:
    doc = frontier_document(saturation={"solverSaturatedFraction": 1.0, "maxRounds": 0})
    await apply(kube, doc)
    run_name = base_run_name(doc)
    job = await eventually(lambda: kube.get(ref("jobs", f"{run_name}-profile")), what="Job")

    await run_job(kube, job, operator.dsn)

    async def run_succeeded() -> dict[str, Any] | None:
        run = await kube.get(ref("profileruns", run_name))
        return run if run and (run.get("status") or {}).get("phase") == "Succeeded" else None

    run = await eventually(run_succeeded, what="ProfileRun Succeeded")
    status = run["status"]
    assert status["bands"]["total"] == 8
    assert status["rolloutsDone"] == status["rolloutsTotal"] == 16
    assert status["progress"] == "16/16"
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True"

    async def frontier_ready() -> dict[str, Any] | None:
        body = await kube.get(ref("frontiers", "shop"))
        return body if body and (body.get("status") or {}).get("bands") else None

    frontier = await eventually(frontier_ready, what="Frontier bands")
    assert frontier["status"]["bands"] == status["bands"]
    assert frontier["status"]["phase"] == "Ready"


async def test_a_new_solver_gets_a_new_base_profile_run_and_the_old_one_stays(
    operator: Operator, kube: Kube
) -> None:
    doc = frontier_document()
    await apply(kube, doc)
    first = base_run_name(doc)
    await eventually(lambda: kube.get(ref("profileruns", first)), what="first ProfileRun")

    solver = {**doc["spec"]["solver"], "profile": "careful"}
    await kube.patch(
        Ref(GROUP_VERSION, "frontiers", NAMESPACE, "shop"), {"spec": {"solver": solver}}
    )
    changed = {**doc, "spec": {**doc["spec"], "solver": solver}}
    second = base_run_name(changed)
    assert second != first

    run = await eventually(lambda: kube.get(ref("profileruns", second)), what="second ProfileRun")
    assert run["spec"]["model"]["profile"] == "careful"
    assert await kube.get(ref("profileruns", first)) is not None

    async def observed() -> bool:
        body = await kube.get(ref("frontiers", "shop"))
        status = (body or {}).get("status") or {}
        return status.get("observedGeneration") == 2 and status.get("phase") == "Profiling"

    await eventually(observed, what="status of generation 2")


async def test_finished_profiles_of_solver_and_panel_refit_the_item_bank(
    operator: Operator, kube: Kube
) -> None:
    panel = [
        {"name": "ladder-low", "provider": "heuristic", "skill": 0.1},
        {"name": "ladder-high", "provider": "heuristic", "skill": 0.9},
    ]
    doc = frontier_document(
        calibration={"panel": panel}, saturation={"solverSaturatedFraction": 1.0, "maxRounds": 0}
    )
    await apply(kube, doc)
    spec = FrontierSpec.model_validate(doc["spec"])
    names = [base_run_name(doc)] + [
        naming.panel_profile_run_of("shop", spec, model) for model in spec.calibration.panel
    ]
    for name in names:
        job = await eventually(lambda n=name: kube.get(ref("jobs", f"{n}-profile")), what=name)
        await run_job(kube, job, operator.dsn)
    store = Store.connect(operator.dsn)

    async def calibrated() -> Any:
        found = store.calibrations(f"{NAMESPACE}/shop")
        return found if found and len(found[-1].calibration.abilities) == 3 else None

    versions = await eventually(calibrated, what="a calibration of the three models")
    latest = versions[-1]
    assert {a.model for a in latest.calibration.abilities} == {
        spec.solver.name,
        "ladder-low",
        "ladder-high",
    }
    assert latest.trigger in {f"{NAMESPACE}/{n}" for n in names}
    full = store.calibration(f"{NAMESPACE}/shop", latest.version)
    assert full is not None and len(full.calibration.items) == 8
