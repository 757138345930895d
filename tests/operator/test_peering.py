"""Several replicas: kopf peering keeps one active, the one with the highest priority."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import kmock
import pytest

from frontier.operator.kube import Kube
from tests.operator.conftest import Operator, eventually
from tests.support.kube import Cluster

PEERING = "frontier-operator"


async def test_a_running_replica_pauses_when_one_of_higher_priority_joins(
    cluster: Cluster, dsn: str, kube: Kube, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kopf")
    url = f"{cluster.server_url}/apis/kopf.dev/v1/clusterkopfpeerings"
    async with aiohttp.ClientSession() as http:
        body = {
            "apiVersion": "kopf.dev/v1",
            "kind": "ClusterKopfPeering",
            "metadata": {"name": PEERING},
        }
        async with http.post(url, json=body) as response:
            assert response.status == 201
    standby = Operator(cluster, dsn, peering=PEERING, priority=0)
    active = Operator(cluster, dsn, peering=PEERING, priority=100)
    await standby.start()
    try:

        async def standby_watches_the_peering() -> bool:
            return any(
                r.action == kmock.action.WATCH and r.resource.plural == "clusterkopfpeerings"
                for r in list(cluster)
                if r.resource is not None
            )

        # kopf decides on peers from watch events, not from its initial listing.
        await eventually(standby_watches_the_peering, what="the standby's peering watch")
        await active.start()
        try:

            async def paused() -> bool:
                return any("Pausing operations in favour of" in r.message for r in caplog.records)

            await eventually(paused, what="the running replica to pause for the new one")

            async def both_peers() -> dict[str, Any] | None:
                async with aiohttp.ClientSession() as http, http.get(f"{url}/{PEERING}") as got:
                    peers: dict[str, Any] = (await got.json()).get("status") or {}
                return peers if len(peers) == 2 else None

            peers = await eventually(both_peers, what="both replicas in the peering status")
            assert sorted(p["priority"] for p in peers.values()) == [0, 100]
        finally:
            await active.stop()
    finally:
        await standby.stop()
