"""A planted API key never leaves the process that uses it.

One whole `frontier run` (a subprocess, logging at DEBUG on stderr) plays an
openai-provider solver and verifier against the scripted server. The solver's
key comes from the environment variable its `apiKeyEnv` names, the verifier's
from a mounted key file (`apiKeyFile`). The server is hostile with them: it
echoes the Authorization header in HTTP 500 messages, in 200 replies that are
not completions, and in the search query the "model" sends. The keys must then
appear nowhere else: not on the run's stdout or stderr, not in the log records
of `frontier status --json`, `frontier export` and `frontier report`, not in
their output, the store's Events, or the database file and its SQL dump.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from frontier.agents import Endpoint, HarnessError
from frontier.cli.main import app
from frontier.store import Store, scrub
from tests.support.faults import ShoppingSolver, leaks, planted_key
from tests.support.frontiers import scripted_model, small_document
from tests.support.openai_server import (
    Raw,
    RecordedRequest,
    ScriptedOpenAIServer,
    ScriptItem,
    Status,
    tool_call,
)

FRONTIER = "default/shoppingbench-dev"
KEY_ENV = "FRONTIER_RELIABILITY_SOLVER_KEY"
RUN_WITH_DEBUG_LOGS = (
    "import logging, sys; logging.basicConfig(level=logging.DEBUG, stream=sys.stderr); "
    "from frontier.cli.main import app; app()"
)


class EchoesKeys:
    """The ShoppingBench solver on a server that repeats the caller's credentials back."""

    def __init__(self) -> None:
        self.solver = ShoppingSolver()
        self.echoed = 0

    def __call__(self, request: RecordedRequest) -> ScriptItem:
        auth = request.headers.get("Authorization", "")
        query = next(m["content"] for m in request.messages if m.get("role") == "user")
        if hashlib.sha256(query.encode()).digest()[0] % 5 == 0:
            # Some tasks never get an answer: their error rollouts stay in the store.
            self.echoed += 1
            return Raw(f"<html>proxy: no access for {auth}</html>", content_type="text/html")
        turn = request.index % 11
        if turn == 4:
            self.echoed += 1
            return Status(500, {"retry-after-ms": "10"}, f"upstream rejected {auth}")
        if turn == 7:
            self.echoed += 1
            return Raw(f"<html>proxy: bad credentials {auth}</html>", content_type="text/html")
        if turn == 9 and not any(m.get("role") == "tool" for m in request.messages):
            self.echoed += 1
            return tool_call("find_product", {"q": f"{query} {auth}", "page": 1})
        return self.solver(request)


def manifest(tmp_path: Path, url: str, key_file: Path) -> Path:
    doc = small_document(per_family=3, stop={"maxRounds": 1})
    spec = doc["spec"]
    spec["solver"] = scripted_model(url, "solver-scripted", apiKeyEnv=KEY_ENV)
    spec["verifiers"] = [scripted_model(url, "verifier-scripted", apiKeyFile=str(key_file))]
    spec["profile"]["k"] = spec["admission"]["k"] = spec["verification"]["k"] = 2
    spec["mutation"]["parentsPerRound"] = 4
    path = tmp_path / "frontier.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def report_command() -> tuple[typer.Typer, list[str]]:
    """`frontier report`, registered or not (src/frontier/cli/main.py may not list it yet)."""
    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    if "report" in names:
        return app, ["report"]
    from frontier.cli import report

    single = typer.Typer()
    single.command()(report.report)
    single.command("noop")(lambda: None)
    return single, ["report"]


def database_dump(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return "\n".join(conn.iterdump())


def database_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_a_planted_api_key_appears_in_no_log_output_status_event_export_report_or_database(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env_key, file_key = planted_key(), planted_key()
    key_file = tmp_path / "secret" / "api-key"
    key_file.parent.mkdir()
    key_file.write_text(file_key + "\n")
    db_path = tmp_path / "frontier.db"
    db = f"sqlite:///{db_path}"
    hostile = EchoesKeys()

    with ScriptedOpenAIServer(handler=hostile) as server:
        path = manifest(tmp_path, server.url, key_file)
        done = subprocess.run(
            [sys.executable, "-c", RUN_WITH_DEBUG_LOGS, "run", "-f", str(path), "--db", db],
            env={**os.environ, KEY_ENV: env_key},
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        sent = {r.headers.get("Authorization") for r in server.requests}

    # The keys were used and thrown back at the client, so the checks below prove something.
    assert {f"Bearer {env_key}", f"Bearer {file_key}"} <= sent
    assert hostile.echoed >= 5
    assert "DEBUG" in done.stderr and "retry" in done.stderr
    store = Store.connect(db)
    assert store.slice_versions(FRONTIER), "the run published no slice, so nothing was verified"
    verification = [r for r in store.runs(FRONTIER) if r.model_name == "verifier-scripted"]
    assert verification and store.count_rollouts(verification[0].name) > 0
    errors = [
        r for run in store.runs(FRONTIER) for r in store.rollouts_for(run.name, status="error")
    ]
    assert errors, "no error rollout stayed in the store, so none was checked"
    events = "\n".join(str(e) for e in store.events(FRONTIER))
    store.close()

    runner = CliRunner()
    caplog.set_level(logging.DEBUG)
    status = runner.invoke(app, ["status", "--db", db, "--json"])
    exported = runner.invoke(app, ["export", "--db", db])
    report_app, report_args = report_command()
    report_file = tmp_path / "report.html"
    report = runner.invoke(report_app, [*report_args, "--db", db, "-o", str(report_file)])
    for result in (status, exported, report):
        assert result.exit_code == 0, result.output
    assert exported.stdout.count("\n") > 0, "the export is empty, so it proves nothing"

    places: dict[str, str | bytes] = {
        "run stdout": done.stdout,
        "run stderr (DEBUG logs)": done.stderr,
        "log records": caplog.text,
        "status --json": status.stdout + status.stderr,
        "export": exported.stdout + exported.stderr,
        "report output": report.stdout + report.stderr,
        "report file": report_file.read_text(encoding="utf-8"),
        "store events": events,
        "stored error rollouts": "\n".join(f"{r.error} {r.trace}" for r in errors),
        "database dump": database_dump(db_path),
        "database files": database_bytes(db_path),
    }
    # What the echoed credentials became: redacted where they were kept.
    assert leaks(file_key, key_file=key_file.read_text()) == ["key_file"]  # the probe works
    assert leaks(env_key, **places) == []
    assert leaks(file_key, **places) == []


@pytest.mark.parametrize(
    ("reply", "cut_at"),
    [
        (lambda key: Raw(f"<html>{'.' * 48}{key}</html>", content_type="text/html"), 80),
        (lambda key: Status(400, message=f"{'.' * 250}{key}"), 300),
    ],
    ids=["a 200 that is not a completion", "an HTTP error"],
)
async def test_a_key_cut_short_in_an_error_message_is_still_redacted(
    reply: Any, cut_at: int
) -> None:
    key = f"local-{planted_key().rsplit('-', 1)[-1]}"  # not shaped like a provider's key
    assert cut_at < len(str(reply(key))), "the reply must be longer than the cut"
    with ScriptedOpenAIServer([reply(key)]) as server:
        endpoint = Endpoint(server.url, key)
        try:
            with pytest.raises(HarnessError) as info:
                await endpoint.chat({"model": "m", "messages": []}, timeout=5, max_retries=0)
        finally:
            await endpoint.aclose()
    # What a rollout would hold (the cause), and what the store would write (scrubbed).
    stored = scrub.redact_text(str(info.value))
    assert leaks(f"x-{key}", error=str(info.value), stored=stored) == []


class EchoesMaskedKeys:
    """The ShoppingBench solver on a server that refuses one task (the first it sees) with
    OpenAI's own 401 message, which echoes the key masked as its first 8 and last 4
    characters. One task only, so the run's errored share stays small."""

    def __init__(self) -> None:
        self.solver = ShoppingSolver()
        self.refused = 0
        self.victim: str | None = None

    def __call__(self, request: RecordedRequest) -> ScriptItem:
        key = request.headers.get("Authorization", "").removeprefix("Bearer ")
        query = next(m["content"] for m in request.messages if m.get("role") == "user")
        self.victim = self.victim or query
        if query == self.victim:
            self.refused += 1
            masked = f"{key[:8]}{'*' * 24}{key[-4:]}"
            return Status(401, message=f"Incorrect API key provided: {masked}. You can find it")
        return self.solver(request)


def test_a_key_in_a_base_url_query_or_echoed_masked_leaves_nothing_in_store_status_report_or_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some providers take the key as `?key=...`; OpenAI echoes a wrong key as sk-abcd****wxyz.
    Neither the query key nor the head or tail of the echoed key may be kept anywhere."""
    api_key = f"sk-Q{secrets.token_hex(12)}Zq9W"
    query_key = f"AIzaQUERY{secrets.token_hex(8)}"
    monkeypatch.setenv(KEY_ENV, api_key)
    caplog.set_level(logging.DEBUG)
    db_path = tmp_path / "frontier.db"
    db = f"sqlite:///{db_path}"
    hostile = EchoesMaskedKeys()
    runner = CliRunner()
    with ScriptedOpenAIServer(handler=hostile) as server:
        doc = small_document(per_family=3, stop={"maxRounds": 1})
        spec = doc["spec"]
        spec["solver"] = scripted_model(server.url, "solver-scripted", apiKeyEnv=KEY_ENV)
        spec["verifiers"] = [
            scripted_model(f"{server.url}?alt=json&key={query_key}", "verifier-scripted")
        ]
        spec["profile"]["k"] = spec["admission"]["k"] = spec["verification"]["k"] = 1
        # every call with the query-string key is refused (404); let the run finish anyway
        spec["failure"] = {"maxErroredShare": 1.0}
        path = tmp_path / "frontier.yaml"
        path.write_text(yaml.safe_dump(doc))
        done = runner.invoke(app, ["run", "-f", str(path), "--db", db])
    assert done.exit_code == 0, done.output

    assert hostile.refused > 0, "no key was echoed, so the test proves nothing"
    status = runner.invoke(app, ["status", "--db", db, "--json"])
    report_app, report_args = report_command()
    report_file = tmp_path / "report.html"
    report = runner.invoke(report_app, [*report_args, "--db", db, "-o", str(report_file)])
    assert status.exit_code == 0 and report.exit_code == 0, status.output + report.output
    store = Store.connect(db)
    errors = [r.error or "" for run in store.runs(FRONTIER) for r in store.rollouts_for(run.name)]
    stored_spec = store.get_frontier(FRONTIER)
    called = [r for r in store.runs(FRONTIER) if r.model_name == "verifier-scripted"]
    store.close()
    assert called, "the model with the query-string key was never played"
    assert any("Incorrect API key provided: <redacted>" in e for e in errors), errors
    assert stored_spec is not None and "key=<redacted>" in str(stored_spec.spec)
    places = {
        "run output": done.output,
        "log records": caplog.text,
        "status --json": status.output,
        "report": report.output + report_file.read_text(encoding="utf-8"),
        "stored errors": "\n".join(errors),
        "database dump": database_dump(db_path),
    }
    fragments = (query_key, query_key[4:], api_key[:8], api_key[-4:])
    assert [name for name, text in places.items() if any(f in text for f in fragments)] == []
