"""The Argo CD health checks (Lua), run in a real Lua interpreter against status shapes the
operator writes (frontier.domain.status)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import lupa
import pytest

from frontier.domain.status import Condition, FrontierStatus, RunStatus, set_condition
from tests.deploy.support import MANIFESTS, kustomize

HEALTH = MANIFESTS / "argocd" / "health"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
RUN_KINDS = ("ProfileRun", "MutationRound", "VerificationRun")


def health(script: str, obj: dict[str, Any]) -> tuple[str, str]:
    """(status, message) of an Argo CD health script, run as Argo CD runs it (`obj` global)."""
    lua = lupa.LuaRuntime(unpack_returned_tuples=True)
    lua.globals().obj = lua.table_from(obj, recursive=True)
    result = lua.execute(script)
    assert result is not None, "a health script must return its table"
    status, message = result["status"], result["message"]
    assert status in {"Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"}
    return str(status), str(message)


def frontier(status: FrontierStatus | None, generation: int = 1) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "frontier.dev/v1alpha1",
        "kind": "Frontier",
        "metadata": {"name": "f", "generation": generation},
    }
    if status is not None:
        body["status"] = status.to_wire()
    return body


def run(status: RunStatus | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "frontier.dev/v1alpha1",
        "kind": "ProfileRun",
        "metadata": {"name": "r"},
    }
    if status is not None:
        body["status"] = status.to_wire()
    return body


def conditions(*entries: tuple[str, str, str, str]) -> list[Condition]:
    out: list[Condition] = []
    for type_, status, reason, message in entries:
        out = set_condition(out, type=type_, status=status, reason=reason, message=message, now=NOW)  # type: ignore[arg-type]
    return out


FRONTIER = (HEALTH / "frontier.lua").read_text()
RUN = (HEALTH / "run.lua").read_text()


def test_new_frontier_without_status_is_progressing() -> None:
    assert health(FRONTIER, frontier(None))[0] == "Progressing"


def test_ready_frontier_is_healthy_with_the_ready_message() -> None:
    status = FrontierStatus(
        phase="Ready",
        observed_generation=1,
        conditions=conditions(("Ready", "True", "SliceVerified", "slice 2 verified")),
    )
    assert health(FRONTIER, frontier(status)) == ("Healthy", "slice 2 verified")


def test_frontier_mutating_after_a_published_slice_stays_healthy() -> None:
    status = FrontierStatus(
        phase="Mutating",
        observed_generation=1,
        conditions=conditions(("Ready", "True", "SlicePublished", "")),
    )
    assert health(FRONTIER, frontier(status))[0] == "Healthy"


def test_first_profiling_is_progressing() -> None:
    status = FrontierStatus(
        phase="Profiling",
        observed_generation=1,
        conditions=conditions(
            ("Ready", "False", "Profiling", ""), ("Progressing", "True", "Profiling", "120/3600")
        ),
    )
    assert health(FRONTIER, frontier(status)) == ("Progressing", "120/3600")


def test_invalid_frontier_is_degraded_with_the_field_error() -> None:
    message = "spec.bands: unreachableAtMost (0.8) must be below saturatedAbove (0.7)"
    status = FrontierStatus(
        phase="Invalid",
        observed_generation=1,
        conditions=conditions(("SpecValid", "False", "InvalidSpec", message)),
    )
    assert health(FRONTIER, frontier(status)) == ("Degraded", message)


def test_degraded_condition_wins_over_ready() -> None:
    status = FrontierStatus(
        phase="Verifying",
        observed_generation=1,
        conditions=conditions(
            ("Ready", "True", "SliceVerified", ""),
            ("Degraded", "True", "ShardsFailed", "2 shards failed"),
        ),
    )
    assert health(FRONTIER, frontier(status)) == ("Degraded", "2 shards failed")


def test_a_spec_change_not_yet_observed_is_progressing() -> None:
    status = FrontierStatus(
        phase="Ready", observed_generation=1, conditions=conditions(("Ready", "True", "Ok", ""))
    )
    assert health(FRONTIER, frontier(status, generation=2))[0] == "Progressing"


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        ("Pending", "Progressing"),
        ("Running", "Progressing"),
        ("Succeeded", "Healthy"),
        ("Failed", "Degraded"),
        ("Suspended", "Suspended"),
    ],
)
def test_run_health_follows_its_phase(phase: str, expected: str) -> None:
    status = RunStatus(phase=phase, progress="10/40", rollouts_done=10, rollouts_total=40)  # type: ignore[arg-type]
    assert health(RUN, run(status))[0] == expected


def test_running_run_reports_its_progress() -> None:
    status = RunStatus(phase="Running", progress="120/3600", rollouts_done=120, rollouts_total=3600)
    assert health(RUN, run(status)) == ("Progressing", "Running: 120/3600 rollouts")


def test_failed_run_reports_the_degraded_message() -> None:
    status = RunStatus(
        phase="Failed",
        conditions=conditions(("Degraded", "True", "ShardFailed", "shard 3: exit 3")),
    )
    assert health(RUN, run(status)) == ("Degraded", "shard 3: exit 3")


def test_run_without_status_is_progressing() -> None:
    assert health(RUN, run(None))[0] == "Progressing"


def test_argocd_config_maps_each_kind_to_its_script() -> None:
    (config,) = kustomize(MANIFESTS / "argocd")
    assert config["kind"] == "ConfigMap" and config["metadata"]["name"] == "argocd-cm"
    data = config["data"]
    assert data["resource.customizations.health.frontier.dev_Frontier"] == FRONTIER
    for kind in RUN_KINDS:
        assert data[f"resource.customizations.health.frontier.dev_{kind}"] == RUN
