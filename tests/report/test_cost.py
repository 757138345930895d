"""The report's cost section: tokens and dollars per stage and model, as the store holds them."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup, Tag

from frontier.pipeline.context import open_context
from frontier.report import build_report
from frontier.store import Store
from tests.pipeline.test_cost import spent
from tests.report.conftest import EmbeddedRun
from tests.report.pages import table
from tests.support.frontiers import small_spec


def page(tmp_path: Path) -> BeautifulSoup:
    with Store.connect(f"sqlite:///{tmp_path / 'frontier.db'}", auto_upgrade=True) as store:
        ctx = open_context(store, "shop", small_spec(budget={"maxCostUsd": 1.0}))
        spent(ctx)
        return BeautifulSoup(build_report(ctx).html(), "html.parser")


def test_the_cost_section_shows_tokens_and_dollars_per_stage_and_model(tmp_path: Path) -> None:
    soup = page(tmp_path)
    assert isinstance(soup.find("section", id="cost"), Tag)
    rows = {(r["stage"], r["model"]): r for r in table(soup, "cost-table")}
    profile = rows[("profile", "solver")]
    assert (profile["tokens in"], profile["tokens out"], profile["cost"]) == (
        "400",
        "40",
        "$0.0400",
    )
    assert (profile["cost per rollout"], profile["cost per success"]) == ("$0.0100", "$0.0200")
    assert profile["accuracy per dollar"] == "50.0"
    assert rows[("teacher", "teacher")]["cost"] == "$0.0500"
    assert rows[("teacher", "teacher")]["cost per rollout"] == "n/a"
    assert rows[("verification", "strong")]["cost"] == "$0.2000"
    assert rows[("candidates", "all models")]["cost"] == "$0.0400"
    (round_cost,) = table(soup, "round-cost-table")
    assert (round_cost["round cost"], round_cost["cost per admitted task"]) == (
        "$0.0900",
        "$0.0900",
    )


def test_the_header_shows_total_spend_budget_and_spend_since_the_last_slice(
    tmp_path: Path,
) -> None:
    soup = page(tmp_path)
    spend = soup.find(id="spend")
    assert isinstance(spend, Tag)
    text = spend.get_text(" ", strip=True)
    assert "Spend $0.3300 of a $1.0000 budget" in text
    assert "since the start $0.3300" in text


def test_free_models_show_no_accuracy_per_dollar(embedded: EmbeddedRun) -> None:
    rows = table(embedded.soup(), "cost-table")
    assert rows and all(r["accuracy per dollar"] == "n/a" for r in rows)
    assert all(r["cost"] == "$0.0000" for r in rows)
