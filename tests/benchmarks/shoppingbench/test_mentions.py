"""A query states a constraint by meaning: the benchmark's own queries all pass, and a query
that leaves one constraint out fails, whatever its kind."""

from __future__ import annotations

import random

import pytest

from frontier.benchmarks.shoppingbench import ShoppingBench
from frontier.benchmarks.shoppingbench.mentions import (
    QueryText,
    missing_mentions,
    states_bound,
    states_pair,
    states_service,
)
from frontier.benchmarks.shoppingbench.models import ItemRequest, PriceBound
from frontier.benchmarks.shoppingbench.mutations import NotApplicable, mutate_record
from frontier.domain.tasks import Task

SOCKS = (
    "Find shops offering a swimming pool water toy balloon, a writing notebook with 80 pages "
    "priced above 16 PHP, and a set of baby socks with food-themed designs, weighing up to 5kg, "
    "available with free shipping and costing between 1 and 68 PHP."
)
SOCKS_ITEM = ItemRequest.from_native(
    {
        "product_id": "4788518975",
        "title": ["baby socks"],
        "attributes": [
            {"thematic_graphic_design": ["food & confectionery"]},
            {"weight": ["0-5kg"]},
        ],
        "service": ["freeShipping"],
        "price": [{"between": [1, 68]}],
    }
)


def test_every_dev_task_states_its_own_constraints(dev_tasks: list[Task]) -> None:
    bench = ShoppingBench()
    unstated = {}
    for task in dev_tasks:
        record = bench.record(task)
        missing = missing_mentions(task.query, record.items, record.voucher)
        if missing:
            unstated[task.id] = missing
    assert len(dev_tasks) == 360 and unstated == {}


def test_the_issue_example_states_its_values_in_other_words() -> None:
    assert missing_mentions(SOCKS, [SOCKS_ITEM], None) == []


@pytest.mark.parametrize(
    ("left_out", "missing"),
    [
        ("with food-themed designs, ", "item 1 thematic_graphic_design=food & confectionery"),
        ("weighing up to 5kg, ", "item 1 weight=0-5kg"),
        ("available with free shipping and ", "item 1 service freeShipping"),
        ("and costing between 1 and 68 PHP", "item 1 price between 1 and 68 pesos"),
    ],
)
def test_a_query_that_leaves_out_one_constraint_fails(left_out: str, missing: str) -> None:
    assert left_out in SOCKS
    assert missing_mentions(SOCKS.replace(left_out, ""), [SOCKS_ITEM], None) == [missing]


@pytest.mark.parametrize(
    ("key", "value", "query"),
    [
        ("recommended_gender", "male", "a black men's digital watch"),
        ("size", "int:m", "cotton t-shirts for women in medium size"),
        ("size", "xxxxl", "ladies shirts in size 4XL"),
        ("case_function", "anti-fall", "phone cases that have anti-drop features"),
        ("recommended_age", "kids", "neck cream for children"),
        ("main_stone", "no stone", "hair clips without any gemstones"),
        ("light_fixture_width", "10 to 14 inch", "fixture width between 10 and 14 inches"),
        ("power_consumption", "5000 and up", "power usage of at least 5000"),
        ("color_family", "flame orange/navy blue", "in flame orange and navy blue"),
        ("body_benefits", "anti-bacterial", "bar soap with antibacterial benefits"),
        ("bluetooth", "yes", "a speaker with bluetooth support"),
        ("model", "none", "a baby romper"),
    ],
)
def test_a_pair_is_stated_in_the_benchmarks_own_phrasings(key: str, value: str, query: str) -> None:
    assert states_pair(QueryText.of(query), key, value)


@pytest.mark.parametrize(
    ("key", "value", "query"),
    [
        ("recommended_gender", "male", "a black women's digital watch"),
        ("size", "int:m", "cotton t-shirts in large size"),
        ("weight", "0-5kg", "baby socks weighing up to 8kg"),
        ("main_stone", "no stone", "plain hair clips"),
        ("bluetooth", "yes", "a wired speaker"),
        ("color_family", "flame orange/navy blue", "in black"),
    ],
)
def test_a_pair_is_not_stated_by_a_query_that_says_otherwise(
    key: str, value: str, query: str
) -> None:
    assert not states_pair(QueryText.of(query), key, value)


@pytest.mark.parametrize(
    ("service", "query"),
    [
        ("freeShipping", "with complimentary shipping"),
        ("COD", "vegetable choppers that support pay on delivery"),
        ("official", "available with LazMall perks"),
        ("flashsale", "waterproof shavers with LazFlash deals"),
    ],
)
def test_each_service_is_read_from_its_phrasings(service: str, query: str) -> None:
    others = {"freeShipping", "COD", "official", "flashsale"} - {service}
    read = QueryText.of(query)
    assert states_service(read, service)
    assert not any(states_service(read, other) for other in others)


def test_a_price_bound_is_read_as_numbers_not_digits() -> None:
    bound = PriceBound(mode="greater than", low=17)
    assert states_bound(QueryText.of("priced over 17 PHP"), bound)
    assert not states_bound(QueryText.of("priced over 176 PHP"), bound)


def test_a_child_that_keeps_its_parents_wording_is_mostly_caught(
    dev_tasks: list[Task], dev_bench: ShoppingBench
) -> None:
    """A new constraint the parent's query never stated: the old query fails (bar a few
    constraints the parent's wording happens to state already)."""
    caught = total = 0
    for task in dev_tasks:
        if task.family == "web":
            continue
        parent = dev_bench.record(task)
        for motif in ("add_attribute", "add_sku", "require_service", "price_shift"):
            try:
                native, _ = mutate_record(parent, motif, dev_bench.embedded, random.Random(0))
            except NotApplicable:
                continue
            child = dev_bench.record(Task.create("shoppingbench", task.family, "q", native))
            total += 1
            caught += bool(missing_mentions(task.query, child.items, child.voucher))
    assert total > 500 and caught / total >= 0.9
