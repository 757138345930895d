"""The run-level verdict on a worker Job's status, including the failure budget."""

from __future__ import annotations

from typing import Any

import pytest

from frontier.operator.jobstate import count_indexes, job_state, unschedulable


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
