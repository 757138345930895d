"""The commands the manifests run exist in the `frontier` CLI with the options they pass.

The image's entry point is `frontier`; the Deployment passes `operator ...` and, in its
init container, `db upgrade`. Each is parsed by the real CLI with `--help` appended, so
an unknown command or option fails here instead of in a CrashLoopBackOff.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from frontier.cli.main import app
from tests.deploy.support import MANIFESTS, kustomize


def container_args() -> dict[str, list[str]]:
    deployment = next(d for d in kustomize(MANIFESTS / "base") if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    return {c["name"]: list(c["args"]) for c in pod["containers"] + pod.get("initContainers", [])}


ARGS = container_args()


@pytest.mark.parametrize("container", sorted(ARGS))
def test_container_command_parses_in_the_cli(container: str) -> None:
    args = [a.replace("$(FRONTIER_NAMESPACE)", "frontier-system") for a in ARGS[container]]
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output


def test_an_unknown_option_does_fail_to_parse() -> None:
    """The check above is not a rubber stamp: the CLI rejects options it does not have."""
    result = CliRunner().invoke(app, ["version", "--no-such-option", "--help"])
    assert result.exit_code != 0
