"""The embedded catalog: BM25 search with the server's filters, sorts and pages; built per seed."""

from __future__ import annotations

import pytest

from frontier.benchmarks.shoppingbench.catalog import (
    INFO_FIELDS,
    SEARCH_FIELDS,
    EmbeddedCatalog,
    SearchRequest,
)
from frontier.benchmarks.shoppingbench.grader import item_relevance
from frontier.benchmarks.shoppingbench.models import Product, parse_record
from tests.benchmarks.conftest import product_record, task_of


@pytest.fixture
def catalog() -> EmbeddedCatalog:
    cat = EmbeddedCatalog(seed=0)
    for i in range(23):
        cat.add_product(
            Product(
                product_id=f"k{i:02d}",
                shop_id="shop-a" if i % 2 else "shop-b",
                title=f"electric kettle model {i}",
                price=float(10 + i * 5),
                service=["COD", "freeShipping"] if i % 3 == 0 else ["COD"],
                sold_count=(i * 37) % 100,
            )
        )
    cat.add_product(Product(product_id="m1", title="ceramic mug", price=5.0))
    cat.add_product(
        Product(
            product_id="m2",
            title="kettle kettle kettle",
            price=7.0,
            attributes={"material": ["steel"]},
        )
    )
    return cat


def ids(hits: list[dict[str, object]]) -> list[str]:
    return [str(h["product_id"]) for h in hits]


def find(cat: EmbeddedCatalog, q: str = "kettle", **kw: object) -> list[str]:
    return ids(cat.find(SearchRequest(q=q, **kw)))  # type: ignore[arg-type]


def test_search_matches_words_and_ranks_the_best_match_first(catalog: EmbeddedCatalog) -> None:
    assert find(catalog, "mug") == ["m1"]
    assert find(catalog)[0] == "m2"  # three times "kettle" in a short title
    assert find(catalog, "teapot") == [] and find(catalog, "!!!") == []


def test_hits_carry_only_the_search_fields_and_at_most_ten(catalog: EmbeddedCatalog) -> None:
    hits = catalog.find(SearchRequest(q="kettle"))
    assert len(hits) == 10 and all(tuple(h) == SEARCH_FIELDS for h in hits)


def test_pages_are_disjoint_and_end_with_the_matches(catalog: EmbeddedCatalog) -> None:
    pages = [find(catalog, page=p) for p in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [10, 10, 4, 0]
    assert len({i for p in pages for i in p}) == 24


def test_price_filter_ends_are_inclusive_and_may_be_open(catalog: EmbeddedCatalog) -> None:
    between = find(catalog, price_low=20.0, price_high=30.0)
    assert sorted(between) == ["k02", "k03", "k04"]
    assert sorted(find(catalog, price_high=15.0)) == ["k00", "k01", "m2"]
    assert sorted(find(catalog, price_low=120.0)) == ["k22"]


def test_shop_and_service_filters_require_every_value(catalog: EmbeddedCatalog) -> None:
    in_a = find(catalog, shop_id="shop-a", page=1) + find(catalog, shop_id="shop-a", page=2)
    assert sorted(in_a) == [f"k{i:02d}" for i in range(1, 23, 2)]
    both = find(catalog, service=("COD", "freeShipping"), page=1)
    assert sorted(both) == [f"k{i:02d}" for i in range(0, 23, 3)]


@pytest.mark.parametrize(
    ("sort", "key"),
    [("priceasc", "price"), ("pricedesc", "-price"), ("order", "-sold_count")],
)
def test_sorts_order_the_matches(catalog: EmbeddedCatalog, sort: str, key: str) -> None:
    hits = catalog.find(SearchRequest(q="kettle", sort=sort))
    field = key.lstrip("-")
    values = [float(h[field]) for h in hits]  # type: ignore[arg-type]
    assert values == sorted(values, reverse=key.startswith("-"))
    assert len(hits) == 10


def test_view_returns_details_and_skips_unknown_ids(catalog: EmbeddedCatalog) -> None:
    infos = catalog.view(["m2", "nope"])
    assert [tuple(i) for i in infos] == [INFO_FIELDS]
    assert infos[0]["attributes"] == {"material": ["steel"]}


RECORD = product_record(
    sku_options=[{"color": "red"}],
    attributes=[{"material": ["steel"]}],
    service=["COD"],
    price=[{"between": [100, 200]}],
)


def build(seed: int) -> tuple[EmbeddedCatalog, str]:
    task = task_of(RECORD)
    cat = EmbeddedCatalog(seed=seed)
    assert cat.add_record(task.id, parse_record(RECORD)) is None
    return cat, task.id


def dump(cat: EmbeddedCatalog) -> list[str]:
    return sorted(p.model_dump_json() for p in cat.products(list(cat.roles)).values())


def test_the_gold_product_is_reconstructed_to_satisfy_every_constraint() -> None:
    cat, _ = build(0)
    gold = cat.get("1000000001")
    assert gold is not None and 100 <= gold.price <= 200
    probe = gold.model_copy(update={"product_id": "probe"})
    assert item_relevance(probe, parse_record(RECORD).items[0])[0] == 1.0


def test_each_decoy_breaks_exactly_one_constraint() -> None:
    cat, task_id = build(0)
    [decoy_id] = cat.decoys[task_id]
    decoy = cat.get(decoy_id)
    _, checks = item_relevance(decoy, parse_record(RECORD).items[0])
    assert len([c for c in checks if not c.passed]) == 1


def test_the_same_seed_builds_the_same_catalog_and_another_seed_a_different_one() -> None:
    assert dump(build(0)[0]) == dump(build(0)[0])
    assert dump(build(0)[0]) != dump(build(1)[0])


def test_a_shop_task_puts_its_items_and_a_shop_mate_in_one_shop() -> None:
    record = {
        "query": "q",
        "reward": [
            {"product_id": "s1", "title": ["Red Kettle"]},
            {"product_id": "s2", "title": ["Blue Mug"]},
        ],
    }
    cat = EmbeddedCatalog(seed=0)
    cat.add_record(task_of(record).id, parse_record(record))
    s1, s2 = cat.get("s1"), cat.get("s2")
    assert s1 is not None and s2 is not None and s1.shop_id == s2.shop_id
    mates = [p for p in cat.shop_products(s1.shop_id) if cat.roles[p.product_id] == "distractor"]
    assert mates


def test_a_voucher_task_gets_prices_that_sum_to_the_total_its_voucher_implies() -> None:
    record = {
        "query": "q",
        "reward": [{"product_id": "v1", "title": ["Pen"]}, {"product_id": "v2", "title": ["Ink"]}],
        "voucher": {
            "voucher_type": "platform",
            "threshold": 170,
            "discount_type": "fixed",
            "face_value": 34,
            "price_after_voucher": 419.0,
            "budget": 425,
        },
    }
    cat = EmbeddedCatalog(seed=0)
    assert cat.add_record(task_of(record).id, parse_record(record)) is None
    assert sum(p.price for p in cat.products(["v1", "v2"]).values()) == pytest.approx(453.0)


def test_a_voucher_whose_arithmetic_cannot_hold_is_a_conflict() -> None:
    record = {
        "query": "q",
        "reward": [{"product_id": "v1", "title": ["Pen"]}],
        "voucher": {
            "voucher_type": "platform",
            "threshold": 500,
            "discount_type": "fixed",
            "face_value": 10,
            "price_after_voucher": 100.0,
            "budget": 200,
        },
    }
    problem = EmbeddedCatalog(seed=0).add_record(task_of(record).id, parse_record(record))
    assert problem is not None and problem.startswith("voucher arithmetic")
