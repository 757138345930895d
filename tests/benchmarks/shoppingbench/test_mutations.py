"""Procedural mutations stay grounded: the child's gold answer succeeds, its query states each
new constraint, and the same seed gives the same child."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from frontier.benchmarks.shoppingbench import ShoppingBench
from frontier.benchmarks.shoppingbench.catalog import EmbeddedCatalog
from frontier.benchmarks.shoppingbench.models import ShoppingRecord
from frontier.benchmarks.shoppingbench.mutations import MOTIFS, NotApplicable, make_voucher
from frontier.benchmarks.shoppingbench.websearch import question_of
from frontier.domain.tasks import Task


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}"


def new_constraints(parent: ShoppingRecord, child: ShoppingRecord) -> list[str]:
    """What the child asks that the parent did not, as text the child's query must contain."""
    out: list[str] = []
    for i, item in enumerate(child.items):
        old = parent.items[i] if i < len(parent.items) else None
        if old is None:
            out += item.title
        old_pairs = set() if old is None else {*old.sku_options, *old.attributes}
        out += [
            f"{k}: {v}" for k, v in [*item.sku_options, *item.attributes] if (k, v) not in old_pairs
        ]
        out += [s for s in item.service if old is None or s not in old.service]
        for bound in item.price:
            if old is None or bound not in old.price:
                out += [_n(end) for end in (bound.low, bound.high) if end is not None]
    v = child.voucher
    if v is not None and v != parent.voucher:
        out += [f"`{_n(v.budget)}`", f"`{_n(v.threshold)}`"]
        if v.discount_type == "fixed":
            out.append(f"fixed discount of `{_n(v.face_value or 0)}`")
        else:
            out.append(f"`{round((v.discount or 0) * 100)}%`")
            if v.cap is not None:
                out.append(f"cap of `{_n(v.cap)}`")
        out.append("same shop" if v.voucher_type == "shop" else "applies to all products")
    return out


@pytest.fixture(scope="module")
def mutable(dev_tasks: list[Task]) -> list[Task]:
    return [t for t in dev_tasks if t.family != "web"]


@pytest.fixture(scope="module")
def bench(dev_tasks: list[Task]) -> ShoppingBench:
    """A catalog of its own: grounding children adds their decoys, which other tests must not see."""
    fresh = ShoppingBench({"seed": 0})
    fresh.prepare(dev_tasks)
    return fresh


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), motif=st.sampled_from(MOTIFS), seed=st.integers(0, 2**32 - 1))
def test_a_mutated_task_is_grounded_and_its_query_states_every_new_constraint(
    bench: ShoppingBench, mutable: list[Task], data: st.DataObject, motif: str, seed: int
) -> None:
    parent = data.draw(st.sampled_from(mutable), label="parent")
    proposals = bench.mutate(parent, motifs=[motif], rng=random.Random(seed), round=1)
    event("applied" if proposals else "not applicable")
    for proposal in proposals:
        child = proposal.task
        note(child.query)
        assert proposal.motif == motif and child.lineage.parent_id == parent.id
        assert child.id != parent.id
        grounding = bench.check_grounding(child)
        assert grounding.grounded, grounding.reason
        assert bench.grade(child, bench.gold_answer(child)).success
        assert not bench.grade(child, bench.decoy_answer(child)).success
        if motif == "bind_web_fact":
            record = bench.record(child)
            assert record.family == "web" and record.knowledge is not None
            assert bench.offline_web.answer(child.query) == record.knowledge
            asked = child.query.replace(question_of(child.query), "")
            assert record.knowledge.lower() not in asked.lower()
            continue
        added = new_constraints(bench.record(parent), bench.record(child))
        assert added, "a mutation adds or changes at least one constraint"
        missing = [text for text in added if text.lower() not in child.query.lower()]
        assert missing == []


def test_every_motif_applies_to_some_dev_task(bench: ShoppingBench, mutable: list[Task]) -> None:
    applied: set[str] = set()
    for task in mutable:
        missing = [m for m in MOTIFS if m not in applied]
        if not missing:
            break
        applied |= {
            p.motif for p in bench.mutate(task, motifs=missing, rng=random.Random(1), round=1)
        }
    assert applied == set(MOTIFS)


def test_the_same_seed_gives_the_same_child(bench: ShoppingBench, mutable: list[Task]) -> None:
    parent = mutable[3]
    for motif in MOTIFS:
        a = bench.mutate(parent, motifs=[motif], rng=random.Random(9), round=1)
        b = bench.mutate(parent, motifs=[motif], rng=random.Random(9), round=1)
        assert [p.task for p in a] == [p.task for p in b]


def test_an_unknown_motif_is_refused_by_name(bench: ShoppingBench, mutable: list[Task]) -> None:
    with pytest.raises(ValueError, match="unknown motif 'teleport'"):
        bench.mutate(mutable[0], motifs=["teleport"], rng=random.Random(0), round=1)


@pytest.mark.parametrize("slack", ["hard", "medium", "easy"])
@pytest.mark.parametrize("discount_type", ["fixed", "percentage"])
def test_a_drawn_voucher_fits_its_basket_within_the_budget_slack(
    slack: str, discount_type: str
) -> None:
    bounds = {"hard": (0.0, 0.01), "medium": (0.01, 0.05), "easy": (0.05, 0.10)}[slack]
    for seed in range(30):
        rng = random.Random(seed)
        total = round(rng.uniform(50, 3000), 2)
        v = make_voucher(total, {"s"}, rng, discount_type=discount_type, slack=slack)
        payable = v.payable(total, {"s"})
        assert v.applies(total, {"s"}) and payable == pytest.approx(v.price_after_voucher, abs=0.01)
        assert v.implied_total() == pytest.approx(total, abs=0.02)
        assert int(total * 0.1) <= v.threshold <= int(total * 0.9)
        if discount_type == "percentage":
            assert v.cap is not None and v.discount is not None
            assert (
                v.threshold * v.discount < v.cap <= max(v.threshold, v.threshold * v.discount + 1)
            )
        else:
            assert v.threshold * 0.1 - 1 <= (v.face_value or 0) <= v.threshold * 0.5
        slack_share = (v.budget - payable) / payable
        assert bounds[0] - 0.01 <= slack_share <= bounds[1] + 0.01 + 1 / payable


def test_a_shop_voucher_needs_one_shop() -> None:
    with pytest.raises(NotApplicable):
        make_voucher(100.0, {"a", "b"}, random.Random(0), voucher_type="shop")


def test_web_tasks_refuse_the_motifs_that_need_structure(
    bench: ShoppingBench, dev_tasks: list[Task]
) -> None:
    from frontier.benchmarks.shoppingbench.mutations import mutate_record

    web = next(t for t in dev_tasks if t.family == "web")
    catalog: EmbeddedCatalog = bench.embedded
    for motif in ("add_shop_item", "to_voucher", "switch_voucher", "bind_web_fact"):
        with pytest.raises(NotApplicable):
            mutate_record(bench.record(web), motif, catalog, random.Random(0))


def _seiko_child(bench: ShoppingBench, mutable: list[Task]) -> Task:
    """The dev sample's shop task with a Seiko watch, bound to the web fact that names Seiko."""
    for task in mutable:
        for proposal in bench.mutate(task, motifs=["bind_web_fact"], rng=random.Random(0), round=1):
            if bench.record(proposal.task).knowledge == "Seiko":
                return proposal.task
    raise AssertionError("no dev task was bound to the Seiko fact")


def test_bind_web_fact_asks_the_question_whose_answer_the_gold_title_names(
    bench: ShoppingBench, mutable: list[Task]
) -> None:
    child = _seiko_child(bench, mutable)
    record = bench.record(child)
    assert child.family == "web" and child.lineage.motif == "bind_web_fact"
    assert child.query.startswith("Which watch company was responsible for creating")
    assert "named after the answer: (the answer) 5 " in child.query
    assert "seiko" not in child.query.lower()
    assert record.web_product is not None and "Seiko" in record.web_product.title
    hits = bench.web.search(question_of(child.query))
    assert hits and "Answer: Seiko." in hits[0]["snippet"]
    assert bench.check_grounding(child).grounded
    assert bench.grade(child, bench.gold_answer(child)).success


def test_a_web_child_whose_question_the_web_search_cannot_answer_is_not_grounded(
    bench: ShoppingBench, mutable: list[Task]
) -> None:
    child = _seiko_child(bench, mutable)
    payload = dict(child.payload)
    payload["query"] = payload["query"].replace(
        "Which watch company was responsible for", "Which firm is rumoured to be behind"
    )
    unknown = bench.parse_candidate(bench_parent(bench, child, mutable), payload, "x", 1)
    grounding = bench.check_grounding(unknown)
    assert not grounding.grounded
    assert grounding.reason == "the web search knows no answer to the task's question"


def test_a_web_child_whose_query_gives_the_answer_away_is_not_grounded(
    bench: ShoppingBench, mutable: list[Task]
) -> None:
    child = _seiko_child(bench, mutable)
    payload = dict(child.payload)
    payload["query"] = payload["query"].replace("(the answer)", "Seiko")
    leaky = bench.parse_candidate(bench_parent(bench, child, mutable), payload, "x", 1)
    grounding = bench.check_grounding(leaky)
    assert not grounding.grounded
    assert grounding.reason == "the query gives the web fact's answer away"


def bench_parent(bench: ShoppingBench, child: Task, mutable: list[Task]) -> Task:
    return next(t for t in mutable if t.id == child.lineage.parent_id)


def test_web_tasks_are_not_bound_to_another_fact(
    bench: ShoppingBench, dev_tasks: list[Task]
) -> None:
    web = next(t for t in dev_tasks if t.family == "web")
    assert bench.mutate(web, motifs=["bind_web_fact"], rng=random.Random(0), round=1) == []
