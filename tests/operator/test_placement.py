"""A VerificationRun with placement applied before the frontier has an item bank waits,
saying why in its status, instead of failing or placing on nothing."""

from __future__ import annotations

from typing import Any

from frontier.operator.kube import Kube
from tests.operator.conftest import NAMESPACE, Operator, eventually, ref
from tests.operator.test_profile import apply, base_run_name, frontier_document


async def test_a_placement_before_any_calibration_waits_and_says_what_it_needs(
    operator: Operator, kube: Kube
) -> None:
    doc = frontier_document()
    await apply(kube, doc)
    # the Frontier is in the store once its base ProfileRun exists
    await eventually(lambda: kube.get(ref("profileruns", base_run_name(doc))), what="ProfileRun")
    await apply(
        kube,
        {
            "apiVersion": "frontier.dev/v1alpha1",
            "kind": "VerificationRun",
            "metadata": {"name": "place-early", "namespace": NAMESPACE},
            "spec": {
                "frontier": "shop",
                "sliceVersion": 1,
                "models": [{"name": "newcomer", "provider": "heuristic", "skill": 0.5}],
                "placement": {"maxItems": 3},
            },
        },
    )

    async def waiting() -> dict[str, Any] | None:
        body = await kube.get(ref("verificationruns", "place-early"))
        status = (body or {}).get("status") or {}
        ready = next((c for c in status.get("conditions", []) if c["type"] == "Ready"), {})
        return status if ready.get("reason") == "NoCalibration" else None

    status = await eventually(waiting, what="the placement to wait for a calibration")
    assert status["phase"] == "Pending"
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert "no calibration yet: placement needs a fitted item bank" in ready["message"]
    assert await kube.get(ref("jobs", "shop-place-s1-c1-newcomer-place")) is None
