"""The operator's RBAC grants what the operator calls, judged from the calls it makes.

The operator runs the whole loop against the emulator, with peering on as the chart
deploys it in cluster scope: a Frontier is profiled while its run's parallelism changes
(the Job is patched to follow), saturates, gets a MutationRound whose slice is verified,
and then an API error fails a handler (kopf reports that as a core Event). Each request
the operator sent becomes the (API group, resource, verb) that RBAC checks. The rules
must grant each of them, and each grant must have been used, or be listed in
UNUSED_GRANTS with the reason it stays. A table kept by hand would pass an over-grant.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import kmock
import kubernetes.client
import pytest_asyncio

from frontier.operator.kube import Kube, Ref
from tests.deploy.support import Grant, grants, peering_grants, rbac_rules
from tests.operator.conftest import NAMESPACE, Operator, eventually, ref, run_job
from tests.operator.test_conditions import fail_the_frontier_handler
from tests.operator.test_cycle import job
from tests.operator.test_profile import apply, base_run_name, frontier_document
from tests.support.kube import Cluster

HARNESS_TOKEN = "harness-token"
PEERING = "frontier-operator"

# Grants that no call below uses, each with the reason it stays. Empty: every grant is used.
# Prefer driving the operator into the call over adding a line here.
_OWNER_REFERENCES = (
    "checked by the API server on creates whose ownerReferences set blockOwnerDeletion "
    "(OwnerReferencesPermissionEnforcement); tests/cluster runs with that plugin on"
)
UNUSED_GRANTS: dict[Grant, str] = {
    **{
        ("frontier.dev", f"{kind}/finalizers", "update"): _OWNER_REFERENCES
        for kind in ("frontiers", "profileruns", "mutationrounds", "verificationruns")
    },
    ("batch", "jobs", "delete"): (
        "a Job a budget stop ended (its pods' exit code 4) is deleted when the budget is "
        "raised; the emulator runs no pods, so tests/cluster/test_faults.py drives it"
    ),
}

# Discovery (/api, /api/v1, /apis, /apis/GROUP/VERSION) is open to every authenticated
# user (the system:discovery ClusterRole); no rule of ours is involved.
DISCOVERY = re.compile(r"/api(/v1)?|/apis(/[^/]+/[^/]+)?")

VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}


@pytest_asyncio.fixture
async def kube(cluster: Cluster) -> AsyncIterator[Kube]:
    """The test's own client, under a token of its own, so that its calls are not the operator's."""
    configuration = kubernetes.client.Configuration(
        host=cluster.server_url,
        api_key={"BearerToken": HARNESS_TOKEN},
        api_key_prefix={"BearerToken": "Bearer"},
    )
    client = Kube(configuration)
    yield client
    client.close()


def by_operator(request: kmock.Request) -> bool:
    """kopf and the operator's own client (conftest's token) made it, not this test."""
    return request.headers.get("Authorization") != f"Bearer {HARNESS_TOKEN}"


def grant_of(request: kmock.Request) -> Grant | None:
    """The (group, resource[/subresource], verb) RBAC checks for a request; None for discovery."""
    resource = request.resource
    if resource is None or resource.plural is None:
        assert request.method == kmock.method.GET, f"{request.method} {request.url.path}"
        assert DISCOVERY.fullmatch(request.url.path), f"not discovery: {request.url.path}"
        return None
    if request.method == kmock.method.GET:
        verb = (
            "watch"
            if request.params.get("watch") in ("true", "1")
            else "get"
            if request.name
            else "list"
        )
    elif request.method == kmock.method.DELETE:
        verb = "delete" if request.name else "deletecollection"
    else:
        verb = VERBS[request.method.value]
    plural = resource.plural + (f"/{request.subresource}" if request.subresource else "")
    return (resource.group or "", plural, verb)


async def create_peering(cluster: Cluster) -> None:
    """The chart installs the ClusterKopfPeering object; kopf only joins it."""
    body = {
        "apiVersion": "kopf.dev/v1",
        "kind": "ClusterKopfPeering",
        "metadata": {"name": PEERING},
    }
    headers = {"Authorization": f"Bearer {HARNESS_TOKEN}"}
    async with (
        aiohttp.ClientSession(headers=headers) as http,
        http.post(f"{cluster.server_url}/apis/kopf.dev/v1/clusterkopfpeerings", json=body) as got,
    ):
        assert got.status == 201


async def whole_cycle(operator: Operator, kube: Kube) -> None:
    """Profile (with a parallelism change), saturation, a round, verification, a failed handler."""
    doc = frontier_document(saturation={"solverSaturatedFraction": 0.0, "maxRounds": 1})
    await apply(kube, doc)
    run_name = base_run_name(doc)
    await job(kube, f"{run_name}-profile")
    await kube.patch(
        Ref("frontier.dev/v1alpha1", "profileruns", NAMESPACE, run_name),
        {"spec": {"parallelism": 1}},
    )

    async def job_in_step() -> dict[str, Any] | None:
        body = await kube.get(ref("jobs", f"{run_name}-profile"))
        return body if body and body["spec"]["parallelism"] == 1 else None

    await run_job(kube, await eventually(job_in_step, what="Job parallelism 1"), operator.dsn)
    await run_job(kube, await job(kube, "shop-round-1-teach"), operator.dsn)
    await run_job(kube, await job(kube, "shop-round-1-candidates-admit"), operator.dsn)
    for model in [v["name"] for v in doc["spec"]["verifiers"]]:
        await run_job(kube, await job(kube, f"shop-verify-s1-{model}-verify"), operator.dsn)

    async def settled() -> dict[str, Any] | None:
        body = await kube.get(ref("frontiers", "shop"))
        status = (body or {}).get("status") or {}
        return body if status.get("sliceVersion") == 1 and status.get("phase") == "Ready" else None

    await eventually(settled, what="Frontier Ready with slice v1")

    await fail_the_frontier_handler(operator.cluster, kube, "shop")

    async def failure_posted() -> bool:
        return any(
            by_operator(r) and grant_of(r) == ("", "events", "create")
            for r in list(operator.cluster)
        )

    await eventually(failure_posted, what="kopf's core Event for the failed handler")


async def test_the_rules_grant_exactly_the_calls_the_operator_makes(
    cluster: Cluster, dsn: str, kube: Kube
) -> None:
    await create_peering(cluster)
    operator = Operator(cluster, dsn, peering=PEERING)
    await operator.start()
    try:
        await whole_cycle(operator, kube)
    finally:
        await operator.stop()

    called = {g for r in list(cluster) if by_operator(r) and (g := grant_of(r)) is not None}
    granted = grants(rbac_rules()) | peering_grants("cluster")
    assert not called - granted, f"called but not granted: {sorted(called - granted)}"
    unused = granted - called - UNUSED_GRANTS.keys()
    assert not unused, f"granted but never called (remove, reach, or justify): {sorted(unused)}"
    assert not UNUSED_GRANTS.keys() & called, "an UNUSED_GRANTS entry is used: drop it"
