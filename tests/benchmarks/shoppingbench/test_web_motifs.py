"""Web tasks have grounded motifs of their own: a constraint from the gold record on top of the
question. The answer still names a product in the catalog, the search still answers the
question, the query never gives the answer away, and a query that drops the constraint fails."""

from __future__ import annotations

import random

import pytest

from frontier.benchmarks.shoppingbench import ShoppingBench
from frontier.benchmarks.shoppingbench.grader import grade_record
from frontier.benchmarks.shoppingbench.mutations import WEB_MOTIFS
from frontier.benchmarks.shoppingbench.render import description_of
from frontier.benchmarks.shoppingbench.websearch import question_of
from frontier.domain.interfaces import MutationProposal
from frontier.domain.tasks import Task

LEAKY_PARENT = "the query gives the web fact's answer away"
"""Six dev web queries name their own answer ("a protective film for the second generation")."""


@pytest.fixture(scope="module")
def bench(dev_tasks: list[Task]) -> ShoppingBench:
    fresh = ShoppingBench({"seed": 0})
    fresh.prepare(dev_tasks)
    return fresh


@pytest.fixture(scope="module")
def web_children(bench: ShoppingBench, dev_tasks: list[Task]) -> list[MutationProposal]:
    out = []
    for parent in (t for t in dev_tasks if t.family == "web"):
        for motif in WEB_MOTIFS:
            out += bench.mutate(parent, motifs=[motif], rng=random.Random(0), round=1)
    return out


def test_every_web_motif_applies_to_most_dev_web_tasks(
    web_children: list[MutationProposal],
) -> None:
    for motif in WEB_MOTIFS:
        assert sum(p.motif == motif for p in web_children) >= 30, motif


def test_a_web_child_is_grounded_by_construction(
    bench: ShoppingBench, web_children: list[MutationProposal]
) -> None:
    grounded = 0
    for proposal in web_children:
        child = proposal.task
        record = bench.record(child)
        assert child.family == "web" and record.knowledge is not None
        assert record.web_product is not None
        gold = bench.embedded.get(record.web_product.product_id)
        answer = record.knowledge.lower()
        assert gold is not None and answer in f"{gold.title} {gold.description}".lower()
        assert bench.offline_web.answer(child.query) == record.knowledge
        grounding = bench.check_grounding(child)
        parent_asks = description_of(child.query).replace(question_of(child.query), "")
        if not grounding.grounded:
            assert grounding.reason == LEAKY_PARENT and answer in parent_asks.lower()
            continue
        grounded += 1
        assert answer not in child.query.replace(question_of(child.query), "").lower()
        assert bench.grade(child, bench.gold_answer(child)).success
        assert not bench.grade(child, bench.decoy_answer(child)).success
    assert grounded >= 0.8 * len(web_children)


@pytest.mark.parametrize("motif", WEB_MOTIFS)
def test_a_web_query_that_drops_its_constraint_is_not_grounded(
    bench: ShoppingBench, web_children: list[MutationProposal], dev_tasks: list[Task], motif: str
) -> None:
    child = next(
        p.task for p in web_children if p.motif == motif and bench.check_grounding(p.task).grounded
    )
    parent = next(t for t in dev_tasks if t.id == child.lineage.parent_id)
    payload = {**child.payload, "query": description_of(child.query)}
    dropped = bench.parse_candidate(parent, payload, motif, 1)
    grounding = bench.check_grounding(dropped)
    assert not grounding.grounded
    assert grounding.reason.startswith("the query does not state: item 1 ")


def test_a_web_constraint_that_names_the_answer_is_not_grounded(
    bench: ShoppingBench, dev_tasks: list[Task]
) -> None:
    parent = next(t for t in dev_tasks if bench.record(t).knowledge == "Violin")
    record = bench.record(parent)
    assert record.web_product is not None
    query = f"{parent.query}\n\nRequirements:\n- the product: model: violin bow"
    payload = {
        **parent.payload,
        "query": query,
        "constraints": {"attributes": [{"model": ["violin bow"]}]},
    }
    leaky = bench.parse_candidate(parent, payload, "add_attribute", 1)
    grounding = bench.check_grounding(leaky)
    assert not grounding.grounded and grounding.reason == LEAKY_PARENT


def test_a_product_that_breaks_the_web_constraint_loses_the_task(
    bench: ShoppingBench, web_children: list[MutationProposal]
) -> None:
    child = next(
        p.task
        for p in web_children
        if p.motif == "price_shift" and bench.check_grounding(p.task).grounded
    )
    record = bench.record(child)
    assert record.web_product is not None
    low, high = record.items[0].price_interval()
    outside = low - 1 if low is not None else (high or 0) + 1
    twin = record.web_product.model_copy(update={"product_id": "twin", "price": outside})
    grade = grade_record(record, ["twin"], {"twin": twin})
    failed = [c.name for c in grade.checks if not c.passed]
    assert not grade.success and failed == ["price"] and grade.reward == pytest.approx(2 / 3)
