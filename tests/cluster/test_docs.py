"""Every kubectl and helm command the README and docs/DEPLOY.md tell a user to type, sent to the
real API server, so the docs stay true: a write is a server-side dry run (a `helm install` is
rendered with the same flags and its objects dry-run at the server), a read runs as it is.

The whole loop behind these commands runs for real in test_cycle.py and test_install.py;
here the point is the commands themselves: flags, paths, values, kinds and names."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.cluster.conftest import ROOT
from tests.support.control_plane import ControlPlane

DOCS = [ROOT / "README.md", ROOT / "docs" / "DEPLOY.md"]
SKIPPED = ("port-forward", "rollout status")
"""Commands that wait on a live pod (the trial PostgreSQL's image does not run here)."""
READ_FAILURES_ALLOWED = ("NotFound", "not found")
"""A read of an object the dry-run writes never created is fine; a usage error is not."""


def documented_commands() -> list[tuple[str, str]]:
    """(doc, command) for each kubectl or helm line in a console block, continuations joined."""
    out: list[tuple[str, str]] = []
    for doc in DOCS:
        for block in re.findall(r"```console\n(.*?)```", doc.read_text(), re.S):
            for line in block.replace("\\\n", " ").splitlines():
                command = re.sub(r"\s+#.*$", "", line).strip().rstrip("&").strip()
                if command.startswith(("kubectl ", "helm ")):
                    out.append((doc.name, re.sub(r"\s+", " ", command)))
    return out


COMMANDS = documented_commands()
SENT = [(doc, command) for doc, command in COMMANDS if not any(w in command for w in SKIPPED)]


def test_the_docs_tell_the_whole_install() -> None:
    said = " ".join(command for _, command in COMMANDS)
    for step in ("helm install", "create secret generic llm-endpoint", "apply -f manifests/examples",
                 "get frontiers", "describe frontier", "apply -k manifests/base"):  # fmt: skip
        assert step in said, step


@pytest.fixture(scope="module")
def frontier_system(plane: ControlPlane) -> str:
    plane.kubectl("create", "namespace", "frontier-system", check=False)
    return "frontier-system"


def test_only_the_commands_that_wait_on_the_trial_database_are_left_out() -> None:
    left_out = [command for _, command in COMMANDS if (_, command) not in SENT]
    assert all("frontier-operator" in c or "postgresql" in c for c in left_out), left_out
    assert len(SENT) >= len(COMMANDS) - 2


@pytest.mark.parametrize(("doc", "command"), SENT, ids=[f"{d}: {c[:70]}" for d, c in SENT])
def test_the_documented_command_is_accepted_by_a_real_api_server(
    plane: ControlPlane, frontier_system: str, doc: str, command: str
) -> None:
    argv = shlex.split(command.replace("$OPENAI_API_KEY", "sk-test-not-a-key"))
    if argv[0] == "helm":
        assert argv[1] == "install", command
        rendered = plane.helm("template", *argv[2:], cwd=ROOT).stdout
        done = plane.kubectl("apply", "--dry-run=server", "-n", frontier_system, "-f", "-",
                             input=rendered, check=False)  # fmt: skip
        assert done.returncode == 0, f"{command}\n{done.stderr}"
        return
    verb = next(a for a in argv[1:] if not a.startswith("-") and a != frontier_system)
    writes = verb in ("apply", "create", "delete", "patch")
    if verb == "create" and argv[-1] == frontier_system:
        writes = False  # the namespace itself: created for real (the fixture made it)
    args = argv[1:] + (["--dry-run=server"] if writes else [])
    done = plane.kubectl(*args, check=False, cwd=ROOT)
    if done.returncode != 0 and not writes and any(w in done.stderr for w in READ_FAILURES_ALLOWED):
        return
    if done.returncode != 0 and "AlreadyExists" in done.stderr:
        return
    assert done.returncode == 0, f"{command}\n{done.stderr}"


def test_no_documented_path_is_missing() -> None:
    for _, command in COMMANDS:
        for word in shlex.split(command.replace("$OPENAI_API_KEY", "x")):
            if word.startswith(("charts/", "manifests/")):
                assert (ROOT / word).exists(), f"{command}: {word} does not exist"
    assert Path(ROOT / "charts" / "frontier-operator" / "Chart.yaml").exists()
