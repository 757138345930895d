"""What a worker Job's status says about its run: pure, so every edge case is a unit test.

Why not just `status.succeeded`: an Indexed Job with `backoffLimitPerIndex` ends
`Failed` (reason FailedIndexes) as soon as any index fails for good, even when the
run's failure budget (`maxFailedIndexes` from spec.job) tolerates that many lost
shards. The budget is the run's, so the verdict is made here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from frontier.domain.exits import BUDGET_STOP

JobPhase = Literal["Pending", "Running", "Suspended", "Succeeded", "Failed"]


def count_indexes(text: str | None) -> int:
    """How many indexes a Job status list such as "1,3-5" names (0 for empty or None)."""
    if not text:
        return 0
    total = 0
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        low, _, high = part.partition("-")
        total += (int(high) - int(low) + 1) if high else 1
    return total


def _condition(status: Mapping[str, Any], type: str) -> Mapping[str, Any] | None:
    for condition in status.get("conditions") or []:
        if condition.get("type") == type and condition.get("status") == "True":
            return condition  # type: ignore[no-any-return]
    return None


@dataclass(frozen=True)
class JobState:
    phase: JobPhase
    completions: int
    succeeded: int
    failed_indexes: int
    active: int
    reason: str
    message: str

    @property
    def finished(self) -> bool:
        return self.phase in ("Succeeded", "Failed")


def job_state(job: Mapping[str, Any], failure_budget: int = 0) -> JobState:
    """The run-level verdict on one Job; up to `failure_budget` failed shards still succeed."""
    spec = job.get("spec") or {}
    status = job.get("status") or {}
    completions = int(spec.get("completions") or 1)
    succeeded = int(status.get("succeeded") or 0)
    active = int(status.get("active") or 0)
    failed_indexes = count_indexes(status.get("failedIndexes"))
    done = succeeded + failed_indexes

    def state(phase: JobPhase, reason: str, message: str) -> JobState:
        return JobState(phase, completions, succeeded, failed_indexes, active, reason, message)

    if _condition(status, "Complete") or (
        _condition(status, "SuccessCriteriaMet") and succeeded >= completions
    ):
        return state("Succeeded", "JobComplete", f"{succeeded}/{completions} shards succeeded")
    failed = _condition(status, "Failed")
    if failed is not None:
        if done >= completions and 0 < failed_indexes <= failure_budget:
            return state(
                "Succeeded",
                "WithinFailureBudget",
                f"{failed_indexes} of {completions} shards failed, within the budget of "
                f"{failure_budget}",
            )
        return state(
            "Failed",
            str(failed.get("reason") or "JobFailed"),
            str(failed.get("message") or f"{failed_indexes} of {completions} shards failed"),
        )
    if succeeded >= completions:
        return state("Succeeded", "JobComplete", f"{succeeded}/{completions} shards succeeded")
    if spec.get("suspend") or _condition(status, "Suspended"):
        return state("Suspended", "JobSuspended", "the Job is suspended")
    if active or succeeded or failed_indexes or status.get("startTime"):
        return state(
            "Running", "JobRunning", f"{succeeded}/{completions} shards done, {active} active"
        )
    return state("Pending", "JobPending", "waiting for the Job's pods to start")


def unschedulable(pods: Sequence[Mapping[str, Any]]) -> str | None:
    """Why the Job's pods cannot run, if the scheduler or the image pull says so."""
    for pod in pods:
        status = pod.get("status") or {}
        for condition in status.get("conditions") or []:
            if (
                condition.get("type") == "PodScheduled"
                and condition.get("status") == "False"
                and condition.get("reason") == "Unschedulable"
            ):
                name = (pod.get("metadata") or {}).get("name", "a pod")
                return f"{name}: {condition.get('message') or 'unschedulable'}"
        for container in status.get("containerStatuses") or []:
            waiting = (container.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in ("ImagePullBackOff", "ErrImagePull", "InvalidImageName"):
                name = (pod.get("metadata") or {}).get("name", "a pod")
                return f"{name}: {waiting['reason']}: {waiting.get('message') or ''}".rstrip(": ")
    return None


INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"


def _latest_failures(pods: Sequence[Mapping[str, Any]]) -> dict[str, tuple[str, int, str]]:
    """Per shard, its latest failed pod's (finishedAt, exit code, last log line)."""
    latest: dict[str, tuple[str, int, str]] = {}
    for pod in pods:
        status = pod.get("status") or {}
        if status.get("phase") != "Failed":
            continue
        meta = pod.get("metadata") or {}
        shard = str((meta.get("annotations") or {}).get(INDEX_ANNOTATION, "?"))
        for container in status.get("containerStatuses") or []:
            terminated = (container.get("state") or {}).get("terminated") or {}
            if "exitCode" not in terminated or terminated["exitCode"] == 0:
                continue
            finished = str(terminated.get("finishedAt") or "")
            lines = [ln.strip() for ln in str(terminated.get("message") or "").splitlines()]
            last = next((ln for ln in reversed(lines) if ln), "")
            if shard not in latest or finished >= latest[shard][0]:
                latest[shard] = (finished, int(terminated["exitCode"]), last[:300])
    return latest


def budget_stop(pods: Sequence[Mapping[str, Any]]) -> str | None:
    """The worker's last line if a shard stopped at the budget (exit 4), else None."""
    for _, code, line in _latest_failures(pods).values():
        if code == BUDGET_STOP:
            return line or "stopped by spec.budget"
    return None


def shard_failures(pods: Sequence[Mapping[str, Any]], limit: int = 3) -> str | None:
    """Why shards failed, from their pods: "shard 1 exited 3: <last error line>; ...".

    The worker's container keeps the tail of its log as its termination message
    (`terminationMessagePolicy: FallbackToLogsOnError`), so the last line says what went
    wrong; the Job's own Failed condition only counts failed indexes. The latest failed
    pod of each shard speaks for it; at most `limit` shards are named.
    """
    latest = _latest_failures(pods)
    if not latest:
        return None
    parts = [
        f"shard {shard} exited {code}" + (f": {line}" if line else "")
        for shard, (_, code, line) in sorted(
            latest.items(),
            key=lambda item: (
                not item[0].isdigit(),
                int(item[0]) if item[0].isdigit() else 0,
                item[0],
            ),
        )[:limit]
    ]
    more = len(latest) - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
