"""How the operator is started: `kopf run -m frontier.operator.main` and `frontier operator`."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import kopf
import pytest
import typer
from kopf.testing import KopfRunner
from typer.testing import CliRunner

from frontier.cli.operator import operator as operator_command
from frontier.operator.kube import Kube
from frontier.operator.main import configure
from tests.operator.conftest import eventually, ref
from tests.operator.test_profile import JOB, apply, base_run_name, frontier_document
from tests.support.kube import Cluster


async def test_kopf_run_of_the_module_builds_its_runtime_from_the_environment(
    cluster: Cluster, dsn: str, kube: Kube, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRONTIER_DB", dsn)
    monkeypatch.setenv("FRONTIER_DATABASE_SECRET", "team-db/url")
    monkeypatch.setenv("FRONTIER_WORKER_IMAGE", "registry.example/worker:7")
    runner = KopfRunner(["run", "-m", "frontier.operator.main", "--standalone", "-A"], timeout=30)
    runner.__enter__()
    try:
        job_spec = {k: v for k, v in JOB.items() if k not in ("databaseSecret", "image")}
        doc = frontier_document(job=job_spec)
        await apply(kube, doc)
        job: dict[str, Any] = await eventually(
            lambda: kube.get(ref("jobs", f"{base_run_name(doc)}-profile")), what="Job"
        )
    finally:
        await asyncio.to_thread(runner.__exit__, None, None, None)
    worker = job["spec"]["template"]["spec"]["containers"][0]
    assert worker["image"] == "registry.example/worker:7"
    dsn_env = next(e for e in worker["env"] if e["name"] == "FRONTIER_DB")
    assert dsn_env["valueFrom"]["secretKeyRef"] == {"name": "team-db", "key": "url"}


def test_kopf_keeps_its_progress_in_status_and_watches_only_its_own_jobs() -> None:
    settings = kopf.OperatorSettings()
    configure(settings)
    assert isinstance(settings.persistence.progress_storage, kopf.StatusProgressStorage)
    assert isinstance(settings.persistence.diffbase_storage, kopf.StatusDiffBaseStorage)
    selectors = settings.watching.label_selectors
    assert list(selectors.values()) == ["app.kubernetes.io/managed-by=frontier-operator"]


@pytest.mark.parametrize(
    "args",
    [[], ["--all-namespaces", "--namespace", "team"]],
    ids=["no scope", "both scopes"],
)
def test_operator_command_needs_exactly_one_scope(args: list[str]) -> None:
    app = typer.Typer()
    app.command()(operator_command)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "--all-namespaces" in result.output


async def test_frontier_operator_standalone_reconciles_without_peering_resources(
    cluster: Cluster, dsn: str, kube: Kube, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRONTIER_DB", dsn)
    real_run = kopf.run
    captured: dict[str, Any] = {}
    monkeypatch.setattr(kopf, "run", lambda **kwargs: captured.update(kwargs))
    # kopf.configure would attach a log handler to CliRunner's stream, closed after invoke
    monkeypatch.setattr(kopf, "configure", lambda **_: None)
    app = typer.Typer()
    app.command()(operator_command)
    result = CliRunner().invoke(app, ["--all-namespaces", "--standalone"])
    assert result.exit_code == 0, result.output
    assert captured["standalone"] is True and captured["peering_name"] is None

    # the same arguments, given to the real kopf.run: it reconciles (no peering resource exists)
    stop = threading.Event()
    thread = threading.Thread(target=lambda: real_run(**captured, stop_flag=stop), daemon=True)
    thread.start()
    try:
        doc = frontier_document()
        await apply(kube, doc)
        await eventually(lambda: kube.get(ref("jobs", f"{base_run_name(doc)}-profile")), what="Job")
    finally:
        stop.set()
        await asyncio.to_thread(thread.join, 30)


def test_configure_keeps_a_given_priority_else_the_environment_else_a_random_negative_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Replicas started alike must not tie: kopf would pause every one of them."""
    given = kopf.OperatorSettings()
    given.peering.priority = 100
    configure(given)
    assert given.peering.priority == 100

    monkeypatch.setenv("FRONTIER_PEERING_PRIORITY", "7")
    from_env = kopf.OperatorSettings()
    configure(from_env)
    assert from_env.peering.priority == 7

    monkeypatch.delenv("FRONTIER_PEERING_PRIORITY")
    drawn: set[int] = set()
    for _ in range(20):
        settings = kopf.OperatorSettings()
        configure(settings)
        drawn.add(settings.peering.priority)
    assert len(drawn) == 20 and all(p < 0 for p in drawn)
