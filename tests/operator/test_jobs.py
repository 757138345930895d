"""Worker Jobs the API refuses: the run says why, and creates the Job once the API allows it."""

from __future__ import annotations

from typing import Any

import kmock

from frontier.operator.kube import Kube
from frontier.operator.runtime import RECONCILE_SECONDS
from tests.operator.conftest import Operator, eventually, ref
from tests.operator.test_conditions import condition
from tests.operator.test_cycle import events_with
from tests.operator.test_profile import apply, base_run_name, frontier_document
from tests.support.kube import Cluster

QUOTA = (
    'jobs "shop-profile" is forbidden: exceeded quota: gpus, requested: '
    "requests.nvidia.com/gpu=1, used: requests.nvidia.com/gpu=8, limited: requests.nvidia.com/gpu=8"
)


async def test_a_refused_job_create_degrades_the_run_with_a_warning_and_the_timer_retries_it(
    operator: Operator, cluster: Cluster, kube: Kube
) -> None:
    """A quota or an admission webhook can refuse a Job for a while; the run's timer retries."""
    refusal = kmock.KubernetesError(status=403, reason="Forbidden", message=QUOTA)
    cluster.refuse_creates("batch/v1/jobs", refusal)
    doc = frontier_document()
    await apply(kube, doc)
    run_name = base_run_name(doc)

    async def degraded() -> dict[str, Any] | None:
        found = condition(await kube.get(ref("profileruns", run_name)), "Degraded")
        return found if found and found["status"] == "True" else None

    found = await eventually(degraded, what="Degraded=True")
    assert found["reason"] == "JobCreateFailed"
    assert f"cannot create Job {run_name}-profile: 403" in found["message"]
    assert "exceeded quota" in found["message"]
    run = await kube.get(ref("profileruns", run_name))
    assert run is not None and run["status"]["phase"] == "Pending"
    progressing = condition(run, "Progressing")
    assert progressing is not None and progressing["status"] == "True"
    warnings = await eventually(
        lambda: events_with(kube, "JobCreateFailed"), what="JobCreateFailed Event"
    )
    assert [(w["type"], w["regarding"]["kind"], w["regarding"]["name"]) for w in warnings] == [
        ("Warning", "ProfileRun", run_name)
    ]
    assert "exceeded quota" in warnings[0]["note"]
    assert await kube.get(ref("jobs", f"{run_name}-profile")) is None

    cluster.refuse_creates("batch/v1/jobs", None)
    await eventually(
        lambda: kube.get(ref("jobs", f"{run_name}-profile")),
        timeout=RECONCILE_SECONDS + 20,
        what="the Job, created by the run's next timer tick",
    )

    async def recovered() -> dict[str, Any] | None:
        found = condition(await kube.get(ref("profileruns", run_name)), "Degraded")
        return found if found and found["status"] == "False" else None

    assert (await eventually(recovered, what="Degraded=False"))["reason"] == "AsExpected"
    assert len(await events_with(kube, "JobCreateFailed")) == 1
