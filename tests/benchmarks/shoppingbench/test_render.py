"""The query renderer states every constraint, so the grounding check finds none missing."""

from __future__ import annotations

from frontier.benchmarks.shoppingbench.mentions import missing_mentions
from frontier.benchmarks.shoppingbench.models import ItemRequest, Voucher
from frontier.benchmarks.shoppingbench.render import description_of, render_query

ITEM = ItemRequest.from_native(
    {
        "product_id": "1",
        "title": ["Bottle"],
        "sku_options": [{"color": "red"}],
        "attributes": [{"material": ["steel"]}],
        "service": ["COD"],
        "price": [{"between": [100, 250.5]}],
    }
)
VOUCHER = Voucher(
    voucher_type="shop",
    threshold=300,
    discount_type="percentage",
    discount=0.15,
    cap=40,
    budget=500,
)


def test_a_rendered_query_states_every_constraint_and_the_voucher() -> None:
    query = render_query("Looking for a bottle.", [ITEM], VOUCHER)
    assert missing_mentions(query, [ITEM], VOUCHER) == []
    assert "color: red" in query and "material: steel" in query and "(COD)" in query
    assert "between 100 and 250.50 pesos" in query
    assert (
        "only applies to the products from the same shop" in query
        and "`15%` with a cap of `40`" in query
    )


def test_missing_mentions_names_each_unstated_constraint() -> None:
    assert missing_mentions("Looking for a bottle.", [ITEM], None) == [
        "item 1 color=red",
        "item 1 material=steel",
        "item 1 service COD",
        "item 1 price between 100 and 250.50 pesos",
    ]


def test_a_platform_voucher_must_not_say_same_shop() -> None:
    platform = VOUCHER.model_copy(update={"voucher_type": "platform"})
    query = render_query("x", [], VOUCHER)
    assert missing_mentions(query, [], platform) == ["voucher scope platform"]


def test_re_rendering_keeps_the_description_and_replaces_the_blocks() -> None:
    once = render_query("Looking for a bottle.", [ITEM], VOUCHER)
    assert description_of(once) == "Looking for a bottle."
    assert render_query(once, [ITEM], VOUCHER) == once
