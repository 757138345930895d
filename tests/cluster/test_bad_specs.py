"""The bad-spec table of tests/reliability sent to the real API server: every document the CRD can
reject is rejected by the server itself (its structural schema and compiled CEL rules, unknown
fields refused as `kubectl apply --validate=strict` does), naming the field."""

from __future__ import annotations

import pytest
import yaml

from tests.reliability.test_bad_specs import CASES, Case, document
from tests.support.control_plane import ControlPlane


@pytest.fixture(scope="module")
def team_a(plane: ControlPlane) -> str:
    """The namespace the table's documents name."""
    plane.kubectl("create", "namespace", "team-a", check=False)
    return "team-a"


def server_dry_run(plane: ControlPlane, case: Case) -> tuple[int, str]:
    done = plane.kubectl("apply", "--dry-run=server", "--validate=strict", "-f", "-",
                         input=yaml.safe_dump(document(case)), check=False)  # fmt: skip
    return done.returncode, done.stderr


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.catch in ("schema", "cel")], ids=lambda c: c.name
)
def test_the_api_server_rejects_the_document_naming_the_field(
    plane: ControlPlane, team_a: str, case: Case
) -> None:
    code, stderr = server_dry_run(plane, case)
    assert code != 0, f"the server accepted {case.name}"
    field = case.field
    parent, _, leaf = field.rpartition(".")
    named = (
        f"{field}:" in stderr  # spec.bands.saturatedAbove: Invalid value ...
        or f'unknown field "{field}"' in stderr  # --validate=strict
        or (f"{parent}:" in stderr and leaf in stderr)  # Required value on the parent
    )
    assert named, stderr


@pytest.mark.parametrize("case", [c for c in CASES if c.catch == "operator"], ids=lambda c: c.name)
def test_what_only_the_operator_can_judge_passes_the_server(
    plane: ControlPlane, team_a: str, case: Case
) -> None:
    code, stderr = server_dry_run(plane, case)
    assert code == 0, stderr


@pytest.mark.parametrize("case", [c for c in CASES if c.catch == "none"], ids=lambda c: c.name)
def test_a_document_no_crd_serves_is_refused(plane: ControlPlane, team_a: str, case: Case) -> None:
    code, stderr = server_dry_run(plane, case)
    assert code != 0 and stderr
