"""One small embedded run per test session, over task text a hostile dataset could hold.

Every query of the copied ShoppingBench sample carries markup that would run
script if a page rendered it as HTML, and an API key that must never reach a
report. The run itself is the real loop (heuristic solver, procedural teacher,
two heuristic verifiers), so every number the report shows comes from the store.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from frontier.local.runner import load_manifest, run_loop
from frontier.pipeline.context import Context, stored_context
from frontier.report import Report, build_report, write_report
from frontier.store import Store
from tests.support.frontiers import SHARED_DATA, small_document

FRONTIER = "default/shoppingbench-dev"
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
PLANTED_KEY = "sk-live-A1b2C3d4E5f6G7h8I9j0K1l2M3n4"


def hostile_copy(folder: Path) -> Path:
    """The dev sample with the hostile text and the key leading every query (mutations keep it)."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in SHARED_DATA.glob("*.dev.jsonl"):
        lines = []
        for line in source.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                lines.append(line)  # the sample's truncated lines stay as they are
                continue
            record["query"] = f"{HOSTILE} token {PLANTED_KEY} {record['query']}"
            lines.append(json.dumps(record, ensure_ascii=False))
        (folder / source.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def manifest(folder: Path, data: Path, **overrides: object) -> Path:
    doc = small_document(
        per_family=4,
        stop={"maxRounds": 2},
        # High enough that the small slice has overlap-hard canaries to show.
        verification={"k": 4, "overlapHardBelow": 0.8},
        **overrides,
    )
    doc["spec"]["benchmark"]["source"]["paths"] = [str(data / "*.dev.jsonl")]
    path = folder / "frontier.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@dataclass(frozen=True)
class EmbeddedRun:
    store: Store
    ctx: Context
    db: str
    report: Report
    html_path: Path

    @property
    def html(self) -> str:
        return self.html_path.read_text(encoding="utf-8")

    def soup(self) -> BeautifulSoup:
        return BeautifulSoup(self.html, "html.parser")


def run_embedded(
    folder: Path, max_rounds: int | None = None, **overrides: object
) -> tuple[Store, str]:
    data = hostile_copy(folder / "data")
    db = f"sqlite:///{folder / 'frontier.db'}"
    store = Store.connect(db, auto_upgrade=True)
    resource = load_manifest(manifest(folder, data, **overrides))
    asyncio.run(run_loop(store, resource, base_dir=folder, max_rounds=max_rounds))
    return store, db


@pytest.fixture(scope="session")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedRun:
    folder = tmp_path_factory.mktemp("embedded")
    store, db = run_embedded(folder)
    ctx = stored_context(store, FRONTIER)
    report = build_report(ctx)
    html_path = folder / "report.html"
    write_report(report, html_path)
    return EmbeddedRun(store, ctx, db, report, html_path)
