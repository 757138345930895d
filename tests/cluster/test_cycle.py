"""A whole cycle on a real control plane: the example Frontier applied with kubectl, Indexed Jobs
run by the real Job controller on pods the real scheduler placed, bands, SaturationDetected,
a MutationRound, a slice and its VerificationRun, all under the chart's Role."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import yaml

from frontier.operator.jobstate import count_indexes
from tests.cluster.conftest import Install
from tests.support.frontiers import small_document

GPU_TEMPLATE = {
    "nodeSelector": {"nvidia.com/gpu.present": "true"},
    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    "resources": {"limits": {"nvidia.com/gpu": 1}, "requests": {"cpu": "500m", "memory": "256Mi"}},
}


def example(name: str = "shoppingbench-dev", **overrides: Any) -> dict[str, Any]:
    """examples/shoppingbench.yaml with the task files where this machine has them, a few
    tasks per family, two shards on the GPU node, and `overrides` on the spec."""
    document = small_document(per_family=3, **overrides)
    document["metadata"]["name"] = name
    spec = document["spec"]
    spec["profile"] = {**spec["profile"], "shards": 2}
    spec["stop"] = {"maxRounds": 1}
    spec["saturation"] = {**spec["saturation"], "maxRounds": 1}
    spec.setdefault("job", {}).update(GPU_TEMPLATE)
    return document


def phase(release: Install, kind: str, name: str) -> str | None:
    found = release.kubectl("get", kind, name, "-o", "json", check=False)
    if found.returncode != 0:
        return None
    return json.loads(found.stdout).get("status", {}).get("phase")


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_example_frontier_runs_a_whole_cycle_on_a_real_control_plane(
    installed: Install,
) -> None:
    release = installed
    document = example()
    release.apply(document)
    first = release.wait(lambda: release.get("frontier", "shoppingbench-dev").get("status"),
                         what="the Frontier's first status")  # fmt: skip
    ready = next(c for c in first["conditions"] if c["type"] == "Ready")
    assert "0 of 0" not in ready["message"], ready  # "profiling the base tasks" instead
    profile = release.wait(
        lambda: next(iter(release.get("profileruns")["items"]), None), what="the base ProfileRun"
    )
    name = profile["metadata"]["name"]
    release.wait(lambda: phase(release, "profilerun", name) == "Succeeded", timeout=180,
                 what="the base profile to succeed")  # fmt: skip
    run = release.get("profilerun", name)
    assert run["status"]["shardsSucceeded"] == 2
    job = release.get("job", run["status"]["jobName"])
    assert job["spec"]["completionMode"] == "Indexed"
    assert count_indexes(job["status"]["completedIndexes"]) == 2  # the server writes "0,1"
    pods = [
        p for p in release.get("pods")["items"]
        if p["metadata"].get("labels", {}).get("job-name") == job["metadata"]["name"]
    ]  # fmt: skip
    assert pods and all(p["spec"]["nodeName"] == "gpu-node" for p in pods)

    frontier = release.wait(
        lambda: (f := release.get("frontier", "shoppingbench-dev")).get("status", {}).get("bands") and f,
        what="bands in the Frontier's status",
    )  # fmt: skip
    bands = frontier["status"]["bands"]
    assert bands["saturated"] + bands["hillclimbable"] + bands["unreachable"] == bands["total"] > 0

    release.wait(
        lambda: any(e["reason"] == "SaturationDetected" for e in release.events("shoppingbench-dev")),
        what="a SaturationDetected Event",
    )  # fmt: skip
    seen: list[tuple[str, str, str]] = []  # the round's (phase, stage, progress) as polled

    def round_done() -> bool:
        status = release.get("mutationrounds")["items"]
        state = status[0].get("status", {}) if status else {}
        if state.get("phase"):
            seen.append((state["phase"], state.get("stage", ""), state.get("progress", "")))
        return state.get("phase") == "Succeeded"

    release.wait(round_done, timeout=300, what="round 1 to succeed")
    phases = [p for p, *_ in seen]
    assert "Running" in phases, seen
    assert "Pending" not in phases[phases.index("Running") :], seen
    assert all(
        not progress.startswith("0/0") for _, stage, progress in seen if stage == "Verifying"
    ), seen
    release.wait(
        lambda: any(phase(release, "verificationrun", v["metadata"]["name"]) == "Succeeded"
                    for v in release.get("verificationruns")["items"]),
        timeout=300, what="the slice's verification",
    )  # fmt: skip
    frontier = release.wait(
        lambda: (f := release.get("frontier", "shoppingbench-dev"))["status"].get("phase") == "Ready" and f,
        what="the Frontier to settle Ready",
    )  # fmt: skip
    assert frontier["status"]["sliceVersion"] == 1
    saturations = [
        e for e in release.events("shoppingbench-dev") if e["reason"] == "SaturationDetected"
    ]
    assert len(saturations) == 1, [e["note"] for e in saturations]
    assert "forbidden" not in release.operator_logs().lower()  # no verb the Role lacks

    # What a user reads: the printer columns and kubectl describe.
    table = release.kubectl("get", "frontiers").stdout
    assert table.split()[:8] == ["NAME", "SOLVER", "SATURATED", "HILLCLIMBABLE", "UNREACHABLE",
                                 "SLICE", "PHASE", "AGE"], table  # fmt: skip
    assert "shoppingbench-dev" in table and "Ready" in table
    described = release.kubectl("describe", "frontier", "shoppingbench-dev").stdout
    assert "Conditions:" in described and "SaturationDetected" in described, described

    # A GitOps tool re-applies the same document (server-side, as Argo CD and Flux do):
    # nothing the operator owns changes, and there is no drift to report.
    generation = frontier["metadata"]["generation"]
    release.apply(document, server_side=True)
    again = release.get("frontier", "shoppingbench-dev")
    assert again["metadata"]["generation"] == generation
    diff = release.kubectl("diff", "--server-side", "-f", "-", input=yaml.safe_dump(document),
                           check=False)  # fmt: skip
    assert diff.returncode == 0, diff.stdout + diff.stderr

    # The operator restarted (its pod deleted, the Deployment makes another) starts no Job
    # twice and keeps what finished runs reported.
    jobs_before = sorted(j["metadata"]["uid"] for j in release.get("jobs")["items"])
    runs_before = {r["metadata"]["name"]: r["status"] for r in release.get("profileruns")["items"]}
    old = [p["metadata"]["name"] for p in release.get("pods")["items"]
           if p["metadata"]["labels"].get("app.kubernetes.io/component") == "operator"]  # fmt: skip
    release.kubectl("delete", "pod", *old, "--wait=false")
    release.wait(
        lambda: any(p["metadata"]["name"] not in old and "running" in
                    ((p.get("status", {}).get("containerStatuses") or [{}])[0].get("state") or {})
                    for p in release.get("pods")["items"]
                    if p["metadata"]["labels"].get("app.kubernetes.io/component") == "operator"),
        what="a new operator pod",
    )  # fmt: skip
    release.wait(
        lambda: "Resuming" in release.operator_logs() or "resum" in release.operator_logs().lower(),
        timeout=60, what="the new operator to resume its objects",
    )  # fmt: skip
    time.sleep(6)  # three reconcile ticks (FRONTIER_RECONCILE_SECONDS=2)
    assert sorted(j["metadata"]["uid"] for j in release.get("jobs")["items"]) == jobs_before
    for run in release.get("profileruns")["items"]:
        before = runs_before[run["metadata"]["name"]]
        assert run["status"]["shardsSucceeded"] == before["shardsSucceeded"], run["status"]
        assert run["status"]["phase"] == before["phase"]

    # A new model is placed on the slice's item bank: a VerificationRun with `placement` runs
    # one single-shard Job that asks a few tasks, and reports θ ± SE and the forecast per
    # slice version (the verification above refitted the bank on solver and verifiers).
    release.apply(
        {
            "apiVersion": "frontier.dev/v1alpha1",
            "kind": "VerificationRun",
            "metadata": {"name": "place-newcomer"},
            "spec": {
                "frontier": "shoppingbench-dev",
                "sliceVersion": 1,
                "models": [{"name": "newcomer", "provider": "heuristic", "skill": 0.5}],
                "k": 2,
                "placement": {"maxItems": 4},
            },
        }
    )
    placed = release.wait(
        lambda: (s := release.get("verificationrun", "place-newcomer").get("status", {}))
        .get("phase") == "Succeeded" and s,
        timeout=240, what="the newcomer to be placed",
    )  # fmt: skip
    [where] = placed["placements"]
    assert where["model"] == "newcomer" and where["calibration"] == placed["calibration"]
    assert 1 <= where["itemsAsked"] <= 4 and where["trials"] == 2 * where["itemsAsked"]
    assert [s["version"] for s in where["slices"]] == [1] and where["se"] > 0
    assert (
        placed["rolloutsDone"] == where["trials"]
        and "newcomer: θ" in placed["conditions"][0]["message"]
    )
    job = release.get("job", placed["jobName"])
    assert job["spec"]["completions"] == 1
    assert [e for e in release.events("place-newcomer") if e["reason"] == "ModelPlaced"]
