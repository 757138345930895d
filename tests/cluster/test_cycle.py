"""A whole cycle on a real control plane: the example Frontier applied with kubectl, Indexed Jobs
run by the real Job controller on pods the real scheduler placed, bands, SaturationDetected,
a MutationRound, a slice and its VerificationRun, all under the chart's Role."""

from __future__ import annotations

from typing import Any

import pytest

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
    import json

    return json.loads(found.stdout).get("status", {}).get("phase")


@pytest.mark.slow
def test_the_example_frontier_runs_a_whole_cycle_on_a_real_control_plane(
    installed: Install,
) -> None:
    release = installed
    release.apply(example())
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
    release.wait(lambda: phase(release, "mutationround", "shoppingbench-dev-round-1") == "Succeeded",
                 timeout=300, what="round 1 to succeed")  # fmt: skip
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
