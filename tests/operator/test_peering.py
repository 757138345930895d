"""Several replicas: kopf peering keeps one active, the one with the highest priority."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import kmock
import pytest

from frontier.operator.kube import Kube
from tests.operator.conftest import Operator, eventually, ref
from tests.operator.test_profile import apply, base_run_name, frontier_document
from tests.support.kube import Cluster

PEERING = "frontier-operator"


async def create_peering(cluster: Cluster) -> str:
    """The ClusterKopfPeering the chart creates with operator.peering.enabled; its URL."""
    url = f"{cluster.server_url}/apis/kopf.dev/v1/clusterkopfpeerings"
    body = {
        "apiVersion": "kopf.dev/v1",
        "kind": "ClusterKopfPeering",
        "metadata": {"name": PEERING},
    }
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as response:
        assert response.status == 201
    return f"{url}/{PEERING}"


def active_by_replica(caplog: pytest.LogCaptureFixture) -> dict[str, bool]:
    """Whether each replica (by thread) last resumed (True) or paused (False).

    With a peering name kopf starts paused and says "Resuming" once it sees no live
    peer above it, so a replica that never said so has never been active.
    """
    active: dict[str, bool] = {}
    for record in caplog.records:
        message = record.getMessage()
        if message.startswith("Resuming operations"):
            active[record.threadName or ""] = True
        elif message.startswith(("Pausing operations", "Pausing all operators")):
            active[record.threadName or ""] = False
    return active


def handled_by(caplog: pytest.LogCaptureFixture, name: str) -> set[str]:
    """The replicas (threads) whose `frontier_changed` handler succeeded on Frontier `name`."""
    return {
        record.threadName or ""
        for record in caplog.records
        if record.getMessage() == "Handler 'frontier_changed' succeeded."
        and getattr(record, "k8s_ref", {}).get("name") == name
    }


def run_creates(cluster: Cluster, name: str) -> int:
    """How many times any replica asked the API to create ProfileRun `name`."""
    return sum(
        1
        for r in list(cluster)
        if r.action == kmock.action.CREATE
        and r.resource is not None
        and r.resource.plural == "profileruns"
        and isinstance(r.data, dict)
        and r.data.get("metadata", {}).get("name") == name
    )


async def test_two_replicas_with_default_settings_handle_a_frontier_once_and_take_over(
    cluster: Cluster, dsn: str, kube: Kube, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kopf")
    await create_peering(cluster)
    first, second = Operator(cluster, dsn, peering=PEERING), Operator(cluster, dsn, peering=PEERING)
    await first.start()
    try:

        async def first_alone_is_active() -> bool:
            return active_by_replica(caplog).get(first.identity) is True

        await eventually(first_alone_is_active, what="the only replica to be active")
        await second.start()
        try:
            priorities = {op.identity: op.settings.peering.priority for op in (first, second)}
            assert len(set(priorities.values())) == 2, priorities
            assert all(p < 0 for p in priorities.values()), priorities
            active, standby = sorted(
                (first, second), key=lambda op: op.settings.peering.priority, reverse=True
            )

            async def settled() -> bool:
                now = active_by_replica(caplog)
                return now.get(active.identity) is True and now.get(standby.identity) is not True

            await eventually(settled, what="the higher priority active, the other paused")

            shop = frontier_document("shop")
            await apply(kube, shop)
            await eventually(lambda: kube.get(ref("jobs", f"{base_run_name(shop)}-profile")))
            assert handled_by(caplog, "shop") == {active.identity}
            assert run_creates(cluster, base_run_name(shop)) == 1

            await active.stop()  # its peering record leaves with it

            async def standby_took_over() -> bool:
                return active_by_replica(caplog).get(standby.identity) is True

            await eventually(standby_took_over, what="the standby to resume")
            mall = frontier_document("mall")
            await apply(kube, mall)
            await eventually(lambda: kube.get(ref("jobs", f"{base_run_name(mall)}-profile")))
            assert handled_by(caplog, "mall") == {standby.identity}
            assert run_creates(cluster, base_run_name(mall)) == 1
        finally:
            await second.stop()
    finally:
        await first.stop()


async def test_a_running_replica_pauses_when_an_operator_of_positive_priority_joins(
    cluster: Cluster, dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Replicas draw negative priorities, so e.g. a developer's `kopf run --dev` (666) wins."""
    caplog.set_level(logging.INFO, logger="kopf")
    url = await create_peering(cluster)
    replica = Operator(cluster, dsn, peering=PEERING)
    developer = Operator(cluster, dsn, peering=PEERING, priority=666)
    await replica.start()
    try:

        async def replica_watches_the_peering() -> bool:
            return any(
                r.action == kmock.action.WATCH and r.resource.plural == "clusterkopfpeerings"
                for r in list(cluster)
                if r.resource is not None
            )

        # kopf decides on peers from watch events, not from its initial listing.
        await eventually(replica_watches_the_peering, what="the replica's peering watch")
        await developer.start()
        try:

            async def paused() -> bool:
                return active_by_replica(caplog).get(replica.identity) is False

            await eventually(paused, what="the running replica to pause for the new one")

            async def both_peers() -> dict[str, Any] | None:
                async with aiohttp.ClientSession() as http, http.get(url) as got:
                    peers: dict[str, Any] = (await got.json()).get("status") or {}
                return peers if len(peers) == 2 else None

            peers = await eventually(both_peers, what="both operators in the peering status")
            assert peers[developer.identity]["priority"] == 666
            assert peers[replica.identity]["priority"] == replica.settings.peering.priority < 0
        finally:
            await developer.stop()
    finally:
        await replica.stop()
