"""The run-level verdict on a worker Job's status, including the failure budget."""

from __future__ import annotations

from typing import Any

import pytest

from frontier.operator.jobstate import (
    budget_stop,
    count_indexes,
    job_state,
    shard_failures,
    unschedulable,
)


def job(completions: int = 4, suspend: bool = False, **status: Any) -> dict[str, Any]:
    return {"spec": {"completions": completions, "suspend": suspend}, "status": status}


@pytest.mark.parametrize(("text", "count"), [(None, 0), ("", 0), ("3", 1), ("0,2-4,7", 5)])
def test_index_lists_count_every_named_index(text: str | None, count: int) -> None:
    assert count_indexes(text) == count


def test_job_with_complete_condition_succeeded() -> None:
    state = job_state(job(succeeded=4, conditions=[{"type": "Complete", "status": "True"}]))
    assert (state.phase, state.reason) == ("Succeeded", "JobComplete")


def test_failed_job_within_the_failure_budget_still_succeeds() -> None:
    failed = job(
        succeeded=3,
        failedIndexes="2",
        conditions=[{"type": "Failed", "status": "True", "reason": "FailedIndexes"}],
    )
    assert job_state(failed, failure_budget=1).phase == "Succeeded"
    assert job_state(failed, failure_budget=1).reason == "WithinFailureBudget"
    assert job_state(failed, failure_budget=0).phase == "Failed"
    assert job_state(failed, failure_budget=0).reason == "FailedIndexes"


def test_suspended_and_unstarted_jobs_are_told_apart() -> None:
    assert job_state(job(suspend=True)).phase == "Suspended"
    assert job_state(job()).phase == "Pending"
    assert job_state(job(active=2, succeeded=1)).phase == "Running"


def test_unschedulable_pod_says_why() -> None:
    pod = {
        "metadata": {"name": "p-0"},
        "status": {
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/3 nodes have nvidia.com/gpu",
                }
            ]
        },
    }
    assert unschedulable([pod]) == "p-0: 0/3 nodes have nvidia.com/gpu"
    assert unschedulable([{"metadata": {"name": "ok"}, "status": {"phase": "Running"}}]) is None


def test_image_pull_backoff_counts_as_stuck() -> None:
    pod = {
        "metadata": {"name": "p-1"},
        "status": {
            "containerStatuses": [
                {"state": {"waiting": {"reason": "ImagePullBackOff", "message": "not found"}}}
            ]
        },
    }
    assert unschedulable([pod]) == "p-1: ImagePullBackOff: not found"


def failed_pod(index: str, code: int, message: str, finished: str = "2026-01-01T00:00:00Z") -> Any:
    return {
        "metadata": {"annotations": {"batch.kubernetes.io/job-completion-index": index}},
        "status": {
            "phase": "Failed",
            "containerStatuses": [
                {"state": {"terminated": {"exitCode": code, "message": message,
                                          "finishedAt": finished}}}
            ],
        },
    }  # fmt: skip


def test_failed_shards_are_named_with_exit_code_and_last_log_line() -> None:
    pods = [
        failed_pod("0", 1, "retrying\nerror: cannot reach database", "2026-01-01T00:00:00Z"),
        failed_pod("0", 1, "error: cannot reach database again\n", "2026-01-01T00:01:00Z"),
        failed_pod("2", 3, "error: 'x/*.jsonl' matches no file"),
        {"metadata": {}, "status": {"phase": "Succeeded"}},
    ]
    assert shard_failures(pods) == (
        "shard 0 exited 1: error: cannot reach database again; "
        "shard 2 exited 3: error: 'x/*.jsonl' matches no file"
    )
    assert shard_failures([]) is None
    tenth = [failed_pod("10", 1, "x"), failed_pod("2", 1, "y")]
    assert shard_failures(tenth) == "shard 2 exited 1: y; shard 10 exited 1: x"  # by number
    assert shard_failures(pods, limit=1).endswith("; and 1 more")


def test_a_finished_run_reconciled_without_its_job_keeps_its_shard_counts() -> None:
    from frontier.operator.jobs import run_status

    body = {"metadata": {"generation": 1}, "status": {"shardsSucceeded": 2, "shardsFailed": 1}}
    status = run_status(body, None, phase="Succeeded", reason="Succeeded", message="done")
    assert (status["shardsSucceeded"], status["shardsFailed"]) == (2, 1)


def test_a_shard_stopped_by_the_budget_is_told_from_a_failed_one() -> None:
    line = "error: budget.maxCostUsd (0.1500 USD) would be crossed; raise it to resume"
    stopped = [failed_pod("0", 1, "error: cannot reach database"), failed_pod("1", 4, line)]
    assert budget_stop(stopped) == line
    assert budget_stop([failed_pod("0", 3, "error: no frontier")]) is None
    assert budget_stop([]) is None
