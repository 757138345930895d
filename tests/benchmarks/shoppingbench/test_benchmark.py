"""ShoppingBench as a plugin, on the whole dev sample: gold answers pass, decoys fail."""

from __future__ import annotations

import random

import pytest

from frontier.benchmarks.shoppingbench import ShoppingBench
from frontier.benchmarks.shoppingbench.grader import item_relevance
from frontier.benchmarks.shoppingbench.mutations import WEB_MOTIFS
from frontier.domain.interfaces import Benchmark
from frontier.domain.tasks import FinalAnswer, Task
from tests.benchmarks.conftest import product_record, task_of


def test_shoppingbench_implements_the_benchmark_protocol() -> None:
    assert isinstance(ShoppingBench(), Benchmark)


def test_every_dev_task_gold_answer_succeeds_and_its_decoy_fails(
    dev_bench: ShoppingBench, dev_tasks: list[Task]
) -> None:
    gold_fails = [
        t.id for t in dev_tasks if not dev_bench.grade(t, dev_bench.gold_answer(t)).success
    ]
    decoy_passes = [
        t.id for t in dev_tasks if dev_bench.grade(t, dev_bench.decoy_answer(t)).success
    ]
    assert (gold_fails, decoy_passes) == ([], [])


def test_every_dev_task_is_grounded(dev_bench: ShoppingBench, dev_tasks: list[Task]) -> None:
    ungrounded = {t.id: r for t in dev_tasks if not (r := dev_bench.check_grounding(t)).grounded}
    assert ungrounded == {}


def test_each_dev_decoy_breaks_at_most_one_check_of_its_item(
    dev_bench: ShoppingBench, dev_tasks: list[Task]
) -> None:
    too_many = []
    for task in dev_tasks:
        rec = dev_bench.record(task)
        if rec.family == "web":
            continue
        for item, decoy_id in zip(rec.items, dev_bench.embedded.decoys[task.id], strict=True):
            _, checks = item_relevance(dev_bench.embedded.get(decoy_id), item)
            # a pair asked for both as a sku option and an attribute is one constraint
            if len({c.detail for c in checks if not c.passed}) > 1:
                too_many.append((task.id, decoy_id))
    assert too_many == []


def test_the_catalog_does_not_depend_on_the_order_tasks_are_prepared_in(
    dev_tasks: list[Task],
) -> None:
    sample = dev_tasks[::7]
    forward, backward = ShoppingBench({"seed": 2}), ShoppingBench({"seed": 2})
    forward.prepare(sample)
    backward.prepare(list(reversed(sample)))
    assert forward.embedded.decoys == backward.embedded.decoys
    ids = sorted(forward.embedded.roles)
    assert forward.embedded.products(ids) == backward.embedded.products(ids)


def test_answers_may_be_a_comma_separated_string() -> None:
    bench = ShoppingBench()
    task = task_of(product_record())
    bench.prepare([task])
    assert bench.grade(task, FinalAnswer(content={"product_ids": " 1000000001 , "})).success
    assert not bench.grade(task, None).success


def test_a_candidate_is_parsed_into_a_child_task_with_llm_lineage() -> None:
    bench = ShoppingBench()
    parent = task_of(product_record())
    child = bench.parse_candidate(parent, product_record(service=["COD"]), "require_service", 2)
    assert (
        child.lineage.origin,
        child.lineage.parent_id,
        child.lineage.motif,
        child.lineage.round,
    ) == ("llm", parent.id, "require_service", 2)
    with pytest.raises(ValueError, match=r"reward\.service: unknown service"):
        bench.parse_candidate(parent, product_record(service=["teleport"]), "require_service", 2)


def test_a_candidate_the_gold_product_does_not_satisfy_is_not_grounded_and_the_catalog_is_untouched() -> (
    None
):
    bench = ShoppingBench()
    parent = task_of(product_record())
    bench.prepare([parent])
    gold = bench.embedded.get("1000000001")
    assert gold is not None
    lacking = next(
        s for s in ("COD", "official", "freeShipping", "flashsale") if s not in gold.service
    )
    record = product_record(service=[lacking])
    record["query"] += f" It must offer {lacking}."
    grounding = bench.check_grounding(bench.parse_candidate(parent, record, "require_service", 1))
    assert not grounding.grounded
    assert grounding.reason == f"item 1: the gold product does not satisfy ['service {lacking}']"
    assert bench.embedded.get("1000000001") == gold


def test_a_candidate_whose_query_does_not_state_a_constraint_is_not_grounded() -> None:
    bench = ShoppingBench()
    parent = task_of(product_record())
    bench.prepare([parent])
    gold = bench.embedded.get("1000000001")
    assert gold is not None and gold.attributes  # a reconstructed gold has one extra attribute
    key, [value] = next(iter(gold.attributes.items()))
    silent = product_record(attributes=[{key: [value]}])
    grounding = bench.check_grounding(bench.parse_candidate(parent, silent, "add_attribute", 1))
    assert not grounding.grounded
    assert grounding.reason == f"the query does not state: item 1 {key}={value}"
    stated = product_record(attributes=[{key: [value]}])
    stated["query"] += f" {key}: {value}"
    assert bench.check_grounding(bench.parse_candidate(parent, stated, "add_attribute", 1)).grounded


def test_a_candidate_naming_a_product_the_catalog_lacks_is_not_grounded() -> None:
    bench = ShoppingBench()
    parent = task_of(product_record())
    bench.prepare([parent])
    invented = product_record(product_id="9999999999")
    grounding = bench.check_grounding(bench.parse_candidate(parent, invented, "price_shift", 1))
    assert (grounding.grounded, grounding.reason) == (
        False,
        "gold product 9999999999 is not in the catalog",
    )


def test_a_voucher_whose_gold_basket_exceeds_the_budget_is_not_grounded() -> None:
    record = {
        "query": "q",
        "reward": [{"product_id": "v1", "title": ["Pen"]}],
        "voucher": {
            "voucher_type": "platform",
            "threshold": 10,
            "discount_type": "fixed",
            "face_value": 5,
            "price_after_voucher": 100.0,
            "budget": 50,
        },
    }
    grounding = ShoppingBench().check_grounding(task_of(record))
    assert not grounding.grounded and "more than the budget" in grounding.reason


def test_failed_checks_suggest_the_motifs_that_target_them() -> None:
    bench = ShoppingBench()
    task = task_of(product_record())
    assert bench.suggest_motifs(task, ["price", "service", "price"]) == [
        "price_shift",
        "require_service",
    ]
    assert bench.suggest_motifs(task, []) == ["price_shift", "require_service", "to_voucher"]


def test_mutation_is_deterministic_for_a_seed(dev_tasks: list[Task]) -> None:
    dev_bench = ShoppingBench({"seed": 0})
    dev_bench.prepare(dev_tasks)
    parent = next(t for t in dev_tasks if t.family == "shop")

    def children(seed: int) -> list[str]:
        props = dev_bench.mutate(
            parent, motifs=dev_bench.motifs(), rng=random.Random(seed), round=1
        )
        return [p.task.id for p in props]

    assert children(5) == children(5)
    assert children(5) != children(6)


def test_a_web_task_is_offered_only_the_motifs_that_fit_it(
    dev_bench: ShoppingBench, dev_tasks: list[Task]
) -> None:
    web = next(t for t in dev_tasks if t.family == "web")
    made = dev_bench.mutate(web, motifs=dev_bench.motifs(), rng=random.Random(0), round=1)
    assert made and {p.motif for p in made} <= set(WEB_MOTIFS)
    assert dev_bench.suggest_motifs(web, ["knowledge"]) == ["add_attribute", "add_sku"]
    assert dev_bench.suggest_motifs(web, ["shop"]) == ["require_service", "price_shift"]
