"""ShoppingBench's grading rules on hand-computed cases, family by family."""

from __future__ import annotations

from typing import Any

import pytest

from frontier.benchmarks.shoppingbench.grader import grade_record, item_relevance
from frontier.benchmarks.shoppingbench.models import ItemRequest, Product, parse_record

TITLE = "Steel Water Bottle"


def product(pid: str, price: float = 100.0, shop: str = "7", **fields: Any) -> Product:
    return Product(
        product_id=pid, shop_id=shop, title=fields.pop("title", TITLE), price=price, **fields
    )


def item(**fields: Any) -> ItemRequest:
    return ItemRequest.from_native({"product_id": "gold", "title": [TITLE], **fields})


def relevance(p: Product, it: ItemRequest) -> float:
    return item_relevance(p, it)[0]


# ---- product family: per-product relevance -------------------------------------------


def test_the_exact_gold_id_scores_1_whatever_the_record_says() -> None:
    it = item(price=[{"less than": [None, 10]}], service=["COD"])
    assert relevance(product("gold", price=999.0, title="something else"), it) == 1.0


@pytest.mark.parametrize(
    ("bound", "price", "ok"),
    [
        ({"greater than": [100, None]}, 100.0, True),
        ({"greater than": [100, None]}, 99.99, False),
        ({"less than": [None, 50]}, 50.0, True),
        ({"less than": [None, 50]}, 50.01, False),
        ({"between": [10, 20]}, 10.0, True),
        ({"between": [10, 20]}, 20.0, True),
        ({"between": [10, 20]}, 20.01, False),
        ({"between": [10, 20]}, 9.99, False),
        ({"between": [None, 20]}, 0.5, True),
        ({"between": [None, 20]}, 21.0, False),
        ({"between": [10, None]}, 5000.0, True),
        ({"between": [10, None]}, 9.0, False),
    ],
)
def test_each_price_bound_kind_is_inclusive_and_a_null_end_is_open(
    bound: dict[str, list[float | None]], price: float, ok: bool
) -> None:
    # title passes, so relevance is 1 with the price and 1/2 without it
    assert relevance(product("other", price=price), item(price=[bound])) == (1.0 if ok else 0.5)


def test_title_similarity_exactly_at_the_threshold_passes() -> None:
    it = ItemRequest(product_id="gold", title=["steel water bottle"])
    at = product("x", title="steel water bottle blue large 1l")  # 3 shared / 6 = 0.5
    below = product("y", title="steel water bottle blue large 1l pack")  # 3 / 7
    assert (relevance(at, it), relevance(below, it)) == (1.0, 0.0)


def test_relevance_is_the_share_of_satisfied_checks() -> None:
    it = item(
        price=[{"between": [50, 150]}],
        service=["freeShipping", "COD"],
        attributes=[{"material": ["steel"]}],
    )
    # title ok, price ok, freeShipping ok, COD missing, material wrong: 3 of 5
    p = product("x", price=120.0, service=["freeShipping"], attributes={"material": ["plastic"]})
    score, checks = item_relevance(p, it)
    assert score == pytest.approx(3 / 5)
    assert [c.name for c in checks if not c.passed] == ["service", "attribute"]


def test_sku_pairs_must_hold_in_one_variant_and_may_come_from_attributes() -> None:
    it = item(sku_options=[{"color": "red", "size": "L"}], attributes=[{"capacity": ["1l"]}])
    split = product(
        "x",
        sku_options={"1": {"color": "red", "size": "M"}, "2": {"color": "blue", "size": "L"}},
        attributes={"capacity": ["1L"]},
    )
    together = product(
        "y", sku_options={"1": {"color": "red", "size": "L"}}, attributes={"capacity": ["1l"]}
    )
    from_attributes = product("z", attributes={"color": ["red"], "size": ["L"], "capacity": ["1l"]})
    # split: title, one of the two sku pairs, capacity = 3 of 4
    assert relevance(split, it) == pytest.approx(3 / 4)
    assert relevance(together, it) == 1.0
    assert relevance(from_attributes, it) == 1.0


def test_a_product_task_succeeds_only_at_relevance_1() -> None:
    rec = parse_record(
        {"query": "q", "reward": {"product_id": "gold", "title": [TITLE], "service": ["COD"]}}
    )
    good = product("a", service=["COD"])
    half = product("b", service=[])
    assert grade_record(rec, ["a"], {"a": good}).success
    graded = grade_record(rec, ["b"], {"b": half})
    assert (graded.reward, graded.success) == (0.5, False)


def test_no_recommendation_and_unknown_ids_score_0_with_a_reason() -> None:
    rec = parse_record({"query": "q", "reward": {"product_id": "gold", "title": [TITLE]}})
    empty = grade_record(rec, [], {})
    unknown = grade_record(rec, ["nope"], {})
    assert (empty.reward, empty.success) == (0.0, False)
    assert (unknown.reward, unknown.success) == (0.0, False)
    assert any("unknown product ids: nope" in c.detail for c in unknown.checks)


# ---- shop family -------------------------------------------------------------------------


def shop_record() -> Any:
    return parse_record(
        {
            "query": "q",
            "reward": [
                {"product_id": "g1", "title": ["Red Kettle"]},
                {"product_id": "g2", "title": ["Blue Mug"]},
            ],
        }
    )


def test_a_shop_task_succeeds_with_every_item_from_one_shop_in_any_order() -> None:
    products = {
        "a": product("a", title="Red Kettle", shop="5"),
        "b": product("b", title="Blue Mug", shop="5"),
    }
    graded = grade_record(shop_record(), ["b", "a"], products)
    assert (graded.reward, graded.success) == (1.0, True)


def test_relevant_items_from_two_shops_earn_full_reward_but_no_success() -> None:
    products = {
        "a": product("a", title="Red Kettle", shop="5"),
        "b": product("b", title="Blue Mug", shop="6"),
    }
    graded = grade_record(shop_record(), ["a", "b"], products)
    assert (graded.reward, graded.success) == (1.0, False)
    assert [c.name for c in graded.checks if not c.passed] == ["shop"]


def test_one_product_cannot_stand_in_for_two_items() -> None:
    products = {"a": product("a", title="Red Kettle Blue Mug", shop="5")}
    # "red kettle blue mug" vs "red kettle": 2/4 = 0.5, a title match for either item, not both
    graded = grade_record(shop_record(), ["a"], products)
    assert (graded.reward, graded.success) == (0.5, False)


# ---- voucher family ----------------------------------------------------------------------


def voucher_record(voucher: dict[str, Any], n_items: int = 2) -> Any:
    items = [{"product_id": f"g{i}", "title": [f"Item {i}"]} for i in range(n_items)]
    return parse_record({"query": "q", "reward": items, "voucher": voucher})


def basket(prices: list[float], shops: list[str] | None = None) -> dict[str, Product]:
    shops = shops or ["5"] * len(prices)
    return {
        f"g{i}": product(f"g{i}", price=p, shop=s, title=f"Item {i}")
        for i, (p, s) in enumerate(zip(prices, shops, strict=True))
    }


def grade_basket(
    voucher: dict[str, Any], prices: list[float], shops: list[str] | None = None
) -> Any:
    rec = voucher_record(voucher, len(prices))
    return grade_record(rec, [f"g{i}" for i in range(len(prices))], basket(prices, shops))


FIXED = {
    "voucher_type": "platform",
    "threshold": 100,
    "discount_type": "fixed",
    "face_value": 20,
    "budget": 80,
}


def test_a_voucher_applies_when_the_total_is_exactly_at_the_threshold() -> None:
    graded = grade_basket(FIXED, [60.0, 40.0])  # 100 - 20 = 80 = budget
    assert (
        graded.success and graded.details["voucher_applies"] and graded.details["payable"] == 80.0
    )


def test_a_voucher_does_not_apply_one_centavo_below_the_threshold() -> None:
    graded = grade_basket({**FIXED, "budget": 90}, [60.0, 39.99])  # no discount: 99.99 > 90
    assert not graded.success and not graded.details["voucher_applies"]
    assert graded.reward == 1.0  # every item is relevant; only the budget fails


def test_a_basket_within_budget_fits_without_the_voucher() -> None:
    assert grade_basket({**FIXED, "budget": 85}, [50.0, 30.0]).success  # 80, under the threshold


def test_the_budget_one_peso_short_fails() -> None:
    fixed = {**FIXED, "threshold": 100, "face_value": 30}
    assert grade_basket({**fixed, "budget": 120}, [100.0, 50.0]).success  # 150 - 30 = 120
    assert not grade_basket({**fixed, "budget": 119}, [100.0, 50.0]).success


PERCENT = {
    "voucher_type": "platform",
    "threshold": 100,
    "discount_type": "percentage",
    "discount": 0.2,
    "cap": 30,
}


def test_a_percentage_discount_binds_at_its_cap() -> None:
    # 200 * 20% = 40, capped at 30: payable 170
    assert grade_basket({**PERCENT, "budget": 170}, [120.0, 80.0]).details["payable"] == 170.0
    assert grade_basket({**PERCENT, "budget": 170}, [120.0, 80.0]).success
    assert not grade_basket({**PERCENT, "budget": 169}, [120.0, 80.0]).success


def test_a_percentage_discount_under_its_cap_takes_the_full_rate() -> None:
    graded = grade_basket({**PERCENT, "budget": 100}, [70.0, 50.0])  # 120 - 24 = 96
    assert graded.details["payable"] == 96.0 and graded.success


SHOP_VOUCHER = {
    "voucher_type": "shop",
    "threshold": 50,
    "discount_type": "fixed",
    "face_value": 20,
    "budget": 80,
}


def test_a_shop_voucher_applies_to_a_basket_from_one_shop() -> None:
    assert grade_basket(SHOP_VOUCHER, [60.0, 40.0], ["5", "5"]).success  # 100 - 20


def test_a_shop_voucher_does_not_apply_across_two_shops() -> None:
    graded = grade_basket(SHOP_VOUCHER, [60.0, 40.0], ["5", "6"])
    assert not graded.details["voucher_applies"] and graded.details["payable"] == 100.0
    assert not graded.success


def test_a_voucher_task_needs_every_item_relevant() -> None:
    rec = voucher_record({**FIXED, "budget": 1000})
    products = basket([60.0, 40.0])
    products["g1"] = product("x", price=40.0, title="Completely Different")
    graded = grade_record(rec, ["g0", "x"], {"g0": products["g0"], "x": products["g1"]})
    assert (graded.reward, graded.success) == (0.5, False)


# ---- web family ----------------------------------------------------------------------------


def web_record() -> Any:
    gold = {
        "product_id": "w1",
        "title": "Metal Milan Magnetic Strap for Xiaomi Band 7",
        "price": 86.68,
        "description": "A milanese loop strap.",
    }
    return parse_record(
        {"query": "Which city? A strap.", "Knowledge_Attribute": "Milan", "reward": gold}
    )


def test_the_web_gold_id_scores_1() -> None:
    rec = web_record()
    assert rec.web_product is not None
    graded = grade_record(rec, ["w1"], {"w1": rec.web_product})
    assert (graded.reward, graded.success) == (1.0, True)


def test_a_web_answer_needs_the_knowledge_attribute_and_a_close_title() -> None:
    rec = web_record()
    same = product("a", title="Metal Milan Magnetic Strap for Xiaomi Band 7 8")  # 8/9 >= 0.8
    no_fact = product("b", title="Metal Magnetic Strap for Xiaomi Band 7")  # 7/8, no "milan"
    graded = grade_record(rec, ["a"], {"a": same})
    assert (graded.reward, graded.success) == (1.0, True)
    graded = grade_record(rec, ["b"], {"b": no_fact})
    assert (graded.reward, graded.success) == (0.5, False)
    assert [c.name for c in graded.checks if not c.passed] == ["knowledge"]
