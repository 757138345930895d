"""The CRDs as the API server serves them: `kubectl explain` describes the fields."""

from __future__ import annotations

import pytest

from tests.support.control_plane import ControlPlane


@pytest.mark.parametrize(
    ("field", "said"),
    [
        ("frontier.spec.job.resources", "nvidia.com/gpu"),
        ("frontier.spec.job.labels", "kueue.x-k8s.io/queue-name"),
        ("frontier.spec.bands.saturatedAbove", "saturated"),
        ("profilerun.spec.suspend", "Suspend"),
    ],
)
def test_kubectl_explain_describes_the_field(plane: ControlPlane, field: str, said: str) -> None:
    explained = plane.kubectl("explain", field).stdout
    assert said in explained, explained
