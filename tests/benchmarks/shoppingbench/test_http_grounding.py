"""With catalog: http, candidates are grounded against the search server and mutations read it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from frontier.benchmarks.shoppingbench import ShoppingBench
from frontier.benchmarks.shoppingbench.catalog import EXTRA_ATTRIBUTES
from frontier.domain.tasks import Task
from tests.benchmarks.conftest import task_of
from tests.benchmarks.shoppingbench.fake_search_server import FakeServer, fake_search_server

BOTTLE = {"product_id": "111", "title": ["Steel Water Bottle"]}  # on the server: 150, COD, red


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with fake_search_server() as running:
        yield running


def http_bench(server: FakeServer) -> ShoppingBench:
    return ShoppingBench({"catalog": "http", "base_url": server.base_url})


def candidate(bench: ShoppingBench, parent: Task, query: str, **item: Any) -> Task:
    record = {"query": f"A steel water bottle. {query}", "reward": {**BOTTLE, **item}}
    return bench.parse_candidate(parent, record, "add_attribute", 1)


@pytest.fixture
def parent() -> Task:
    return task_of({"query": "A steel water bottle.", "reward": BOTTLE})


def test_a_candidate_the_servers_gold_satisfies_is_grounded(
    server: FakeServer, parent: Task
) -> None:
    bench = http_bench(server)
    child = candidate(
        bench,
        parent,
        "material: steel; color: red; COD; price between 100 and 200",
        attributes=[{"material": ["steel"]}],
        sku_options=[{"color": "red"}],
        service=["COD"],
        price=[{"between": [100, 200]}],
    )
    assert bench.check_grounding(child).grounded
    paths = [path for path, _ in server.requests]
    assert paths == ["/view_product_information", "/find_product"]


@pytest.mark.parametrize(
    ("query", "item", "unmet"),
    [
        ("material: plastic", {"attributes": [{"material": ["plastic"]}]}, "material=plastic"),
        ("color: blue", {"sku_options": [{"color": "blue"}]}, "color=blue"),
        ("flashsale", {"service": ["flashsale"]}, "service flashsale"),
        ("below 100", {"price": [{"less than": [None, 100]}]}, "price 150.0"),
    ],
)
def test_a_candidate_the_servers_gold_does_not_satisfy_is_not_grounded(
    server: FakeServer, parent: Task, query: str, item: dict[str, Any], unmet: str
) -> None:
    bench = http_bench(server)
    grounding = bench.check_grounding(candidate(bench, parent, query, **item))
    assert not grounding.grounded
    assert unmet in grounding.reason


def test_a_constraint_only_the_embedded_catalog_invented_is_not_grounded_with_http(
    server: FakeServer, parent: Task
) -> None:
    embedded, http = ShoppingBench(), http_bench(server)
    for bench in (embedded, http):
        bench.prepare([parent])
    invented = embedded.embedded.get("111")
    assert invented is not None
    key = next(k for k in invented.attributes if k in EXTRA_ATTRIBUTES)
    [value] = invented.attributes[key]
    query, item = f"{key}: {value}", {"attributes": [{key: [value]}]}
    assert embedded.check_grounding(candidate(embedded, parent, query, **item)).grounded
    grounding = http.check_grounding(candidate(http, parent, query, **item))
    assert not grounding.grounded
    assert f"{key}={value}" in grounding.reason


def test_a_gold_id_the_server_does_not_know_is_not_grounded(
    server: FakeServer, parent: Task
) -> None:
    bench = http_bench(server)
    grounding = bench.check_grounding(candidate(bench, parent, "", product_id="999"))
    assert (grounding.grounded, grounding.reason) == (
        False,
        "gold product 999 is not on the search server",
    )


def test_a_gold_no_search_for_its_title_finds_is_not_grounded(
    server: FakeServer, parent: Task
) -> None:
    bench = http_bench(server)
    # 222 exists, but searching "Steel Water Bottle" never returns it: its price is unknown
    grounding = bench.check_grounding(candidate(bench, parent, "", product_id="222"))
    assert not grounding.grounded
    assert grounding.reason.startswith("gold product 222: no search for its requested title")


@pytest.mark.parametrize(
    ("motif", "drawn"), [("add_attribute", "material=steel"), ("add_sku", "color=red")]
)
def test_http_mutations_draw_new_pairs_only_from_the_servers_record(
    server: FakeServer, parent: Task, motif: str, drawn: str
) -> None:
    bench = http_bench(server)
    notes = set()
    for seed in range(8):
        for proposal in bench.mutate(parent, motifs=[motif], rng=random.Random(seed), round=1):
            notes.add(proposal.note)
            assert bench.check_grounding(proposal.task).grounded
    # the embedded catalog would add one of EXTRA_ATTRIBUTES / EXTRA_SKU to this gold
    assert notes == {f"item 1: {drawn}"}
