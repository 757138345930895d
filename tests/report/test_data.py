"""What the report reads: a chosen slice version, the state before the first round, and redaction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from frontier.domain import naming
from frontier.domain.bands import band_of, summarize
from frontier.domain.sampling import Prior, decided_band
from frontier.domain.tasks import Rollout
from frontier.pipeline.context import stored_context
from frontier.report import build_report
from frontier.report.data import collect, trace_view
from frontier.report.html import render_html
from frontier.store import NotFoundError
from tests.report.conftest import FRONTIER, PLANTED_KEY, EmbeddedRun, run_embedded
from tests.report.pages import table


def test_a_report_of_slice_1_covers_exactly_that_version(embedded: EmbeddedRun) -> None:
    assert embedded.store.slice_versions(FRONTIER)[-1] > 1, "the run should publish v2 too"
    v1 = embedded.store.get_slice(FRONTIER, 1)
    assert v1 is not None
    data = collect(embedded.ctx, 1)
    assert data.scope == "slice v1"
    assert data.task_count == v1.size
    assert all(m.bands.total == v1.size for m in data.models)
    assert {c.task_id for c in data.canaries} <= set(v1.task_ids)


def test_an_unknown_slice_version_names_the_versions_there_are(embedded: EmbeddedRun) -> None:
    known = ", ".join(f"v{v}" for v in embedded.store.slice_versions(FRONTIER))
    with pytest.raises(NotFoundError) as raised:
        collect(embedded.ctx, 9)
    assert str(raised.value) == f"{FRONTIER} has no slice version 9 ({known})"


def test_before_the_first_round_the_report_shows_the_base_tasks_and_says_what_is_missing(
    tmp_path: Path,
) -> None:
    store, _ = run_embedded(tmp_path, max_rounds=0)
    report = build_report(stored_context(store, FRONTIER))
    assert report.data.scope == "base tasks"
    assert [m.role for m in report.data.models] == ["solver"]
    assert report.data.models[0].bands.total == 16
    assert [f.slug for f in report.figures] == [
        "bands",
        "band-history",
        "pass-metrics",
        "rounds",
        "lineage",
        "bank",
    ]
    assert all(f.png.startswith(b"\x89PNG") for f in report.figures)
    assert report.data.bank is None  # one model: nothing to calibrate yet
    html = report.html()
    assert "No mutation round has run yet." in html
    assert "No task is below" not in html and "The slice has not been verified yet." in html


def test_a_frontier_without_verifiers_reports_the_solver_and_says_so(tmp_path: Path) -> None:
    store, _ = run_embedded(tmp_path, max_rounds=1, verifiers=[])
    report = build_report(stored_context(store, FRONTIER))
    assert report.data.scope == "slice v1"
    assert [m.role for m in report.data.models] == ["solver"]
    assert report.data.canaries == []
    assert report.html().count("The spec names no verifier models.") == 2


def test_a_trace_with_a_key_in_it_is_embedded_without_the_key() -> None:
    raw = Rollout(
        task_id="t1",
        attempt=0,
        reward=0.0,
        success=False,
        trace={
            "messages": [{"role": "user", "content": f"use {PLANTED_KEY} please"}],
            "headers": {"Authorization": f"Bearer {PLANTED_KEY}"},
            "api_key": PLANTED_KEY,
            "failed_checks": ["title"],
        },
    )
    view = trace_view("verifier", raw)
    assert PLANTED_KEY not in json.dumps(view.trace)
    assert view.failed_checks == ["title"]
    assert view.anchor == "trace-t1-verifier-0"


def test_the_bands_table_shows_each_model_once_solver_first(embedded: EmbeddedRun) -> None:
    report = embedded.report
    rows = table(
        BeautifulSoup(render_html(report.data, report.figures), "html.parser"), "bands-table"
    )
    spec = embedded.ctx.spec
    assert rows[0]["model"] == spec.solver.name
    assert sorted(r["model"] for r in rows[1:]) == sorted(v.name for v in spec.verifiers)


def test_a_posterior_rule_profile_shows_the_bands_the_store_decides(tmp_path: Path) -> None:
    """profile.adaptive.decide: posterior: the report's bands are the domain's rule under the
    prior stored with the base profile, as the store aggregates them."""
    store, _ = run_embedded(
        tmp_path, max_rounds=0, profile={"adaptive": {"enabled": True, "decide": "posterior"}}
    )
    ctx = stored_context(store, FRONTIER)
    base = ctx.run_key(naming.base_profile_run_of(ctx.name, ctx.spec))
    run = store.require_run(base)
    assert run.prior is not None
    prior = Prior.from_wire(run.prior)
    expected = summarize(
        decided_band(n, s, ctx.spec.bands, prior) for n, s in store.task_sums(base).values()
    )
    by_mean = summarize(band_of(s / n, ctx.spec.bands) for n, s in store.task_sums(base).values())
    assert expected != by_mean, "the rules should disagree on this run, or the test shows nothing"
    report = build_report(ctx)
    assert report.data.models[0].bands == expected == store.band_counts(base, ctx.spec.bands)
    assert report.data.band_history[0].bands == expected
    (row,) = table(BeautifulSoup(report.html(), "html.parser"), "bands-table")
    for band in ("saturated", "hillclimbable", "unreachable"):
        assert row[band] == str(getattr(expected, band)), band
