"""Faults on purpose, for the reliability tests: a flaky model endpoint, a Postgres that goes away.

Why a module of its own: the fault tests compare a run under faults with a
fault-free run of the same work, so the faults must be injected from outside
the code under test (an HTTP server that misbehaves, a database server whose
connections are killed or that is restarted) and must be the same every time.

- `ShoppingSolver` is a deterministic ShoppingBench "model" behind the scripted
  OpenAI server: search with the request's text, recommend one of the first hits.
  Which hit depends on how many answers that request already got, so the k
  attempts of a task differ, while the rewards a task collects are the same
  multiset in every run that answers each attempt once.
- `FlakyEndpoint` wraps a handler with a fixed plan of HTTP 500s, hangs (the
  client times out) and a 429 storm, chosen by request number, and counts what
  it served.
- `PostgresAdmin` creates and drops scratch databases on the shared test server
  and terminates a database's backends; `PrivatePostgres` is a throwaway cluster
  of its own (initdb in a temporary folder), so a test can stop and restart a
  server without disturbing anyone else's tests on the shared one.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from tests.support.openai_server import (
    Hang,
    RecordedRequest,
    ScriptItem,
    Status,
    tool_call,
)

# --- a flaky model endpoint -----------------------------------------------------------


class ShoppingSolver:
    """A two-step ShoppingBench policy: find_product with the request, recommend a top hit.

    The n-th recommendation for the same request picks hit n mod 3, so rewards
    vary across attempts. Only answers actually sent count, so a run whose
    requests fail and are retried collects the same rewards per task as one
    without faults (as long as each attempt ends with one recommendation).
    """

    def __init__(self, spread: int = 3) -> None:
        self.spread = spread
        self.recommended: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> ScriptItem:
        messages = request.messages
        query = next(str(m.get("content") or "") for m in messages if m.get("role") == "user")
        results = [m for m in messages if m.get("role") == "tool"]
        if not results:
            return tool_call("find_product", {"q": query, "page": 1})
        try:
            hits = json.loads(str(results[-1].get("content") or ""))
        except json.JSONDecodeError:
            hits = []
        if not isinstance(hits, list) or not hits:
            return tool_call("terminate")
        with self._lock:
            n = self.recommended[query]
            self.recommended[query] += 1
        pick = hits[n % min(self.spread, len(hits))]
        return tool_call("recommend_product", {"product_ids": str(pick["product_id"])})


@dataclass(frozen=True)
class FaultPlan:
    """Which requests fail, by their number at the server (0, 1, 2, ...)."""

    error_every: int = 20
    """One request in this many answers HTTP 500 (5%)."""
    error_offset: int = 7
    hang_every: int = 60
    """One request in this many is not answered before the client's timeout."""
    hang_offset: int = 23
    hang_seconds: float = 30.0
    storm: range = range(30, 80)
    """Every request in this range answers 429 with a short Retry-After."""
    retry_after_ms: int = 20


@dataclass
class FlakyEndpoint:
    """A handler that answers per `plan` and otherwise delegates to `inner`."""

    inner: ShoppingSolver
    plan: FaultPlan = field(default_factory=FaultPlan)
    served: Counter[str] = field(default_factory=Counter)

    def __call__(self, request: RecordedRequest) -> ScriptItem:
        i, plan = request.index, self.plan
        if i in plan.storm:
            self.served["rate_limited"] += 1
            return Status(
                429,
                headers={"retry-after-ms": str(plan.retry_after_ms)},
                message="rate limit reached (scripted storm)",
            )
        if i % plan.hang_every == plan.hang_offset:
            self.served["timeout"] += 1
            return Hang(plan.hang_seconds)
        if i % plan.error_every == plan.error_offset:
            self.served["server_error"] += 1
            return Status(500, message="scripted internal error")
        self.served["ok"] += 1
        return self.inner(request)

    def faults_by_kind(self) -> Counter[str]:
        """What was served other than answers: rate_limited, server_error, timeout."""
        return Counter({kind: n for kind, n in self.served.items() if kind != "ok"})


# --- PostgreSQL ---------------------------------------------------------------------

DEFAULT_PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pg_admin_url() -> URL | None:
    """The shared test server's maintenance DSN (FRONTIER_TEST_POSTGRES), None when skipped."""
    setting = os.environ.get("FRONTIER_TEST_POSTGRES", "")
    if setting == "skip":
        return None
    return make_url(setting or DEFAULT_PG_ADMIN)


class PostgresAdmin:
    """Scratch databases on a server, and killing the connections to one of them."""

    def __init__(self, admin: URL) -> None:
        self.admin = admin
        self.engine = create_engine(admin, isolation_level="AUTOCOMMIT", pool_pre_ping=True)

    def reachable(self) -> str | None:
        """None when the server answers, else why not (its first line)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return None

    @contextmanager
    def scratch_database(self, prefix: str = "frontier_reliability") -> Iterator[str]:
        """A new empty database with a random name (its DSN), dropped afterwards."""
        name = f"{prefix}_{secrets.token_hex(6)}"
        with self.engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield self.admin.set(database=name).render_as_string(hide_password=False)
        finally:
            with self.engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def terminate_backends(
        self, database: str, *, idle_only: bool = False, application: str | None = None
    ) -> int:
        """pg_terminate_backend the connections to `database` (all, the idle ones, those of
        one application_name); how many."""
        where = "datname = :db AND pid <> pg_backend_pid()"
        if idle_only:
            where += " AND state = 'idle'"
        if application is not None:
            where += " AND application_name = :app"
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {where}"),
                {"db": database, "app": application},
            ).all()
        return sum(1 for (killed,) in rows if killed)

    def terminate_pid(self, pid: int, wait: float = 10.0) -> None:
        """pg_terminate_backend one backend and wait until it is gone (so the kill has landed)."""
        deadline = time.monotonic() + wait
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            while conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar_one():
                if time.monotonic() > deadline:
                    raise TimeoutError(f"backend {pid} still alive after {wait} s")
                time.sleep(0.01)

    def close(self) -> None:
        self.engine.dispose()


def _postgres_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidate = Path(found.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return versions[0].parent if versions else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Unavailable(RuntimeError):
    """This machine cannot run a private PostgreSQL cluster (no binaries, no way to drop root)."""


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own, on a free port, that it may stop and restart.

    As root, the server runs as the `postgres` user (it refuses to run as root).
    """

    def __init__(self) -> None:
        bindir = _postgres_bindir()
        if bindir is None:
            raise Unavailable("no PostgreSQL server binaries (initdb) on this machine")
        self._as: list[str] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise Unavailable("running as root without runuser: cannot start postgres")
            self._as = [runuser, "-u", "postgres", "--"]
        self.bindir = bindir
        # Not under pytest's tmp_path: as root that is a 0700 folder the postgres user cannot enter.
        self.root = Path(tempfile.mkdtemp(prefix="frontier-pg-"))
        if self._as:
            shutil.chown(self.root, user="postgres")
        self.data = self.root / "data"
        self.port = free_port()

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr.strip()[-500:]}")

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-m",
            "fast",
            action,
            *extra,
        )

    def init(self) -> PrivatePostgres:
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        )
        return self

    def start(self) -> None:
        self._ctl("start")

    def destroy(self) -> None:
        """Stop the server if it runs, and remove its files."""
        if (self.data / "postmaster.pid").exists():
            self._ctl("stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def stop(self) -> None:
        self._ctl("stop")

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        engine = create_engine(self.dsn(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.dsn(name)


# --- secrets ----------------------------------------------------------------------


def planted_key() -> str:
    """A fresh API key shaped like a provider's, unique to one test."""
    return f"sk-reliability-{secrets.token_hex(16)}"


def leaks(key: str, **places: str | bytes) -> list[str]:
    """The names of the places whose text holds `key`, or the head or tail of its random part.

    Head and tail, since a message cut to a length may hold a key cut short; and with line
    breaks removed too, since rich folds long words at the console width.
    """
    secret = key.rsplit("-", 1)[-1]
    needles = {key, secret[:12], secret[-12:]}
    found: list[str] = []
    for name, content in places.items():
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
        haystack = text + "\0" + text.replace("\n", "")
        if any(n in haystack for n in needles):
            found.append(name)
    return found
