"""Faults with the real Job controller's semantics: retries per index, podFailurePolicy, failed
indexes, a GPU Job no node can hold, suspend and resume, a budget stop and its resume, and the
garbage collector."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from frontier.store import Store
from tests.cluster.conftest import Install, install, operator_running, secret
from tests.cluster.test_cycle import example
from tests.support.control_plane import ControlPlane
from tests.support.frontiers import scripted_model
from tests.support.kubelet import Kubelet
from tests.support.openai_server import ScriptedOpenAIServer, text


@pytest.fixture(scope="module")
def release(
    plane: ControlPlane, kubelet: Kubelet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Install]:
    """One install shared by the fault scenarios (each uses Frontiers of its own)."""
    with install(plane, kubelet, tmp_path_factory.mktemp("faults")) as installed:
        installed.wait(lambda: operator_running(installed), timeout=90, what="the operator pod")
        yield installed


def status(release: Install, kind: str, name: str) -> dict[str, Any]:
    found = release.kubectl("get", kind, name, "-o", "json", check=False)
    return json.loads(found.stdout).get("status", {}) if found.returncode == 0 else {}


def condition(found: dict[str, Any], kind: str) -> dict[str, Any]:
    return next((c for c in found.get("conditions") or [] if c["type"] == kind), {})


def base_run(release: Install, frontier: str) -> str:
    def named() -> str | None:
        for run in release.get("profileruns")["items"]:
            if run["spec"]["frontier"] == frontier:
                return str(run["metadata"]["name"])
        return None

    return str(release.wait(named, what=f"{frontier}'s base ProfileRun"))


def pods_of(release: Install, job: str) -> list[dict[str, Any]]:
    return [
        p
        for p in release.get("pods")["items"]
        if p["metadata"].get("labels", {}).get("job-name") == job
    ]


def restart_operator(release: Install) -> str:
    """Delete the operator's pod (as a node drain or a crash would) and wait for the next one."""

    def operator_pods() -> list[str]:
        return [
            p["metadata"]["name"]
            for p in release.get("pods")["items"]
            if p["metadata"]["labels"].get("app.kubernetes.io/component") == "operator"
        ]

    old = operator_pods()
    release.kubectl("delete", "pod", *old, "--grace-period=1")
    release.wait(lambda: set(operator_pods()) - set(old) and operator_running(release),
                 what="the next operator pod")  # fmt: skip
    return next(iter(set(operator_pods()) - set(old)))


def worker_database(release: Install, name: str, dsn: str) -> dict[str, Any]:
    """A Secret the workers of one Frontier read their DSN from (spec.job.databaseSecret)."""
    release.kubectl(
        "apply", "-f", "-", input=yaml.safe_dump(secret(release.namespace, name, {"dsn": dsn}))
    )
    return {"name": name, "key": "dsn"}


def one_shard(name: str, **job: Any) -> dict[str, Any]:
    document = example(name)
    document["spec"]["profile"]["shards"] = 1
    document["spec"]["job"].update(job)
    return document


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_shards_are_retried_per_index_or_failed_at_once_and_the_run_says_why(
    release: Install, tmp_path: Path
) -> None:
    # Exit 1 (the database is unreachable: may pass later) is retried per index; exit 3 (the
    # workers' database holds no such frontier: cannot pass) fails the index at once.
    unreachable = worker_database(
        release, "unreachable-db", "postgresql+psycopg://postgres:s3cret-pw@127.0.0.1:1/x"
    )
    empty_dsn = f"sqlite:///{tmp_path / 'empty.db'}"
    Store.connect(empty_dsn, auto_upgrade=True).close()
    empty = worker_database(release, "empty-db", empty_dsn)
    release.apply(one_shard("retried", databaseSecret=unreachable, backoffLimitPerIndex=1))
    release.apply(one_shard("permanent", databaseSecret=empty, backoffLimitPerIndex=1))
    # a solver endpoint that is down fails the run (never Succeeded with empty bands), and
    # may come back, so the index is retried like an unreachable database
    down = one_shard("solver-down", backoffLimitPerIndex=1)
    down["spec"]["solver"] = {
        "name": "solver-down",
        "provider": "openai",
        "baseUrl": "http://127.0.0.1:9/v1",
        "model": "any",
        "maxRetries": 0,
        "timeoutSeconds": 5,
    }
    down["spec"]["verifiers"] = []
    release.apply(down)

    for frontier, code, line, pods in [
        ("retried", 1, "cannot reach database", 2),
        ("permanent", 3, "no frontier", 1),
        ("solver-down", 1, "maxErroredShare", 2),
    ]:
        run = base_run(release, frontier)
        found = release.wait(
            lambda run=run: (s := status(release, "profilerun", run)).get("phase") == "Failed" and s,
            timeout=150, what=f"{run} to fail",
        )  # fmt: skip
        message = condition(found, "Ready")["message"]
        assert f"shard 0 exited {code}" in message and line in message, message
        assert len(pods_of(release, found["jobName"])) == pods  # one try per allowed attempt
        notes = [e["note"] for e in release.events(run) if e["reason"] == "RunFailed"]
        assert notes and all(f"exited {code}" in note for note in notes)
        frontier_status = status(release, "frontier", frontier)
        assert frontier_status.get("phase") == "Failed"
        assert not frontier_status.get("sliceVersion")
    # The worker's last line names the database, never its password.
    said = json.dumps(release.events()) + json.dumps(release.get("profileruns"))
    assert "cannot reach database" in said and "s3cret-pw" not in said


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_gpu_job_no_node_can_hold_waits_says_why_and_suspends_and_resumes(
    release: Install,
) -> None:
    document = one_shard(
        "too-big",
        resources={"limits": {"nvidia.com/gpu": 8}},
        labels={"kueue.x-k8s.io/queue-name": "gpu"},
    )
    release.apply(document)
    run = base_run(release, "too-big")
    found = release.wait(
        lambda: (s := status(release, "profilerun", run)).get("conditions") and
        condition(s, "Progressing").get("reason") == "Unschedulable" and s,
        timeout=90, what=f"{run} to report Unschedulable",
    )  # fmt: skip
    assert "Insufficient nvidia.com/gpu" in condition(found, "Progressing")["message"]
    assert found["phase"] == "Pending"
    job = release.get("job", found["jobName"])
    assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "gpu"
    assert job["spec"]["template"]["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "gpu"

    release.kubectl("patch", "profilerun", run, "--type=merge", "-p", '{"spec":{"suspend":true}}')
    release.wait(lambda: status(release, "profilerun", run).get("phase") == "Suspended",
                 what=f"{run} suspended")  # fmt: skip
    assert release.get("job", found["jobName"])["spec"]["suspend"] is True
    release.wait(
        lambda: not pods_of(release, found["jobName"]), what="the suspended Job's pods to go"
    )
    release.kubectl("patch", "profilerun", run, "--type=merge", "-p", '{"spec":{"suspend":false}}')
    release.wait(lambda: status(release, "profilerun", run).get("phase") == "Pending",
                 what=f"{run} resumed")  # fmt: skip
    job = release.get("job", found["jobName"])
    assert job["spec"]["suspend"] is False

    # The operator killed mid-run: its successor adopts the Job and starts none twice.
    before = sorted(j["metadata"]["uid"] for j in release.get("jobs")["items"])
    assert job["metadata"]["uid"] in before
    new_pod = restart_operator(release)
    release.wait(
        lambda: f"[{release.namespace}/{run}] Handler" in release.kubelet.logs(release.namespace, new_pod),
        timeout=60, what=f"the new operator to reconcile {run}",
    )  # fmt: skip
    time.sleep(6)  # three more reconcile ticks (FRONTIER_RECONCILE_SECONDS=2)
    assert sorted(j["metadata"]["uid"] for j in release.get("jobs")["items"]) == before
    assert condition(status(release, "profilerun", run), "Progressing")["reason"] == "Unschedulable"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_deleting_a_frontier_lets_the_garbage_collector_remove_its_runs_jobs_and_pods(
    release: Install,
) -> None:
    release.apply(one_shard("deleted", resources={"limits": {"nvidia.com/gpu": 8}}))
    run = base_run(release, "deleted")
    job = release.wait(lambda: status(release, "profilerun", run).get("jobName"), what="its Job")
    release.wait(lambda: pods_of(release, job), what="its pod")
    # The operator's finalizer goes within seconds (kopf polled a running timer every 60 s).
    release.kubectl("delete", "frontier", "deleted", "--timeout=20s", timeout=30)
    release.wait(
        lambda: release.kubectl("get", "profilerun", run, check=False).returncode != 0
        and release.kubectl("get", "job", job, check=False).returncode != 0
        and not pods_of(release, job),
        timeout=60, what="the garbage collector to remove the run, its Job and its pods",
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_round_the_budget_stops_midway_waits_says_why_and_resumes_when_it_is_raised(
    release: Install,
) -> None:
    # Each teacher call is billed 1,000 prompt tokens at 100 USD per million: 0.10 USD. The
    # first call runs (nothing measured yet); the second would cross 0.15 USD, so the
    # teacher's worker exits 4 with its first parent mutated and the rest not.
    answer = text("no candidates today", prompt_tokens=1000, completion_tokens=0)
    with ScriptedOpenAIServer(handler=lambda _: answer) as server:
        document = one_shard("capped")
        spec = document["spec"]
        spec["verifiers"] = []
        spec["mutation"] = {**spec.get("mutation", {}), "parentsPerRound": 3}
        spec["teacher"] = {
            "kind": "llm",
            "model": scripted_model(
                server.url, "teacher", maxRetries=0, pricing={"inputPerMillion": 100.0}
            ),
        }
        spec["budget"] = {"maxCostUsd": 0.15}
        release.apply(document)
        held = release.wait(
            lambda: next((r for r in release.get("mutationrounds")["items"]
                          if r["spec"]["frontier"] == "capped"
                          and r.get("status", {}).get("phase") == "Suspended"), None),
            timeout=240, what="the capped round to be held by its budget",
        )  # fmt: skip
        name = held["metadata"]["name"]
        ready = condition(held["status"], "Ready")
        assert ready["reason"] == "BudgetExceeded", ready
        assert "budget.maxCostUsd (0.1500 USD) would be crossed" in ready["message"]
        assert server.request_count == 1
        notes = [e["note"] for e in release.events(name) if e["reason"] == "BudgetExceeded"]
        assert len(notes) == 1 and "raise it to resume" in notes[0]
        # The Frontier reads the stop on its own next reconcile, a tick after the round's.
        budget = release.wait(
            lambda: (c := condition(status(release, "frontier", "capped"), "BudgetExceeded"))
            and c["status"] == "True" and c,
            what="the Frontier's BudgetExceeded condition to turn True",
        )  # fmt: skip
        assert budget["reason"] == "BudgetReached", budget
        time.sleep(3)  # held means held: no new Job, no further teacher call
        assert server.request_count == 1
        assert status(release, "mutationround", name).get("phase") == "Suspended"

        spec["budget"] = {"maxCostUsd": 100.0}
        release.apply(document)
        done = release.wait(
            lambda: (s := status(release, "mutationround", name)).get("phase") == "Succeeded" and s,
            timeout=300, what="the round to resume and finish once the budget is raised",
        )  # fmt: skip
        assert server.request_count == 3  # each parent asked once: the first was not redone
        assert [e for e in release.events(name) if e["reason"] == "BudgetRaised"]
        budget = release.wait(
            lambda: (c := condition(status(release, "frontier", "capped"), "BudgetExceeded"))
            and c["status"] == "False" and c,
            what="the Frontier's BudgetExceeded condition to turn False",
        )  # fmt: skip
        assert budget["reason"] == "WithinBudget", budget
        assert done["stage"] == "Succeeded"
