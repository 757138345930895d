"""Task models accept every variation of the public format and name the field that is wrong."""

from __future__ import annotations

import pytest

from frontier.benchmarks.shoppingbench.models import PriceBound, Voucher, parse_record


def test_optional_fields_may_be_absent() -> None:
    rec = parse_record({"query": "q", "reward": {"product_id": "1"}})
    [it] = rec.items
    assert (rec.family, it.title, it.price, it.service, it.sku_options) == (
        "product",
        [],
        [],
        [],
        [],
    )


def test_sku_options_as_one_object_and_attribute_values_as_strings_are_read() -> None:
    rec = parse_record(
        {
            "query": "q",
            "reward": {
                "product_id": 42,
                "title": "One Title",
                "sku_options": {"color": "red", "size": 9},
                "attributes": {"material": "steel", "use": ["home", "office"]},
                "service": "COD",
                "price": {"between": [10, None]},
            },
        }
    )
    [it] = rec.items
    assert it.product_id == "42" and it.title == ["One Title"]
    assert it.sku_options == [("color", "red"), ("size", "9")]
    assert it.attributes == [("material", "steel"), ("use", "home"), ("use", "office")]
    assert it.service == ["COD"]
    assert it.price == [PriceBound(mode="between", low=10, high=None)]


@pytest.mark.parametrize(
    ("raw", "interval"),
    [
        ({"greater than": [98, None]}, (98, None)),
        ({"less than": [None, 40]}, (None, 40)),
        ({"between": [10, 20]}, (10, 20)),
        ({"between": [None, 20]}, (None, 20)),
        ({"between": [10, None]}, (10, None)),
    ],
)
def test_each_price_bound_kind_gives_its_interval(
    raw: dict[str, list[float | None]], interval: tuple[float | None, float | None]
) -> None:
    [bound] = PriceBound.from_native(raw)
    assert (bound.lower(), bound.upper()) == interval
    assert PriceBound.from_native(bound.to_native()) == [bound]


def test_several_bounds_on_one_item_intersect() -> None:
    rec = parse_record(
        {
            "query": "q",
            "reward": {
                "product_id": "1",
                "price": [{"greater than": [10, None]}, {"less than": [None, 30]}],
            },
        }
    )
    assert rec.items[0].price_interval() == (10, 30)


def test_an_integer_knowledge_attribute_and_a_full_web_record_are_read() -> None:
    rec = parse_record(
        {
            "query": "In which year? A mug.",
            "Knowledge_Attribute": 1974,
            "reward": {
                "product_id": 5,
                "shop_id": 7,
                "title": "Mug 1974",
                "price": "86.5",
                "sold_count": "",
                "sku_options": {"1": {"size": "L"}},
                "attributes": {"material": "ceramic"},
                "service": None,
            },
        }
    )
    assert rec.family == "web" and rec.knowledge == "1974"
    assert rec.web_product is not None
    assert (rec.web_product.product_id, rec.web_product.shop_id, rec.web_product.price) == (
        "5",
        "7",
        86.5,
    )
    assert rec.web_product.attributes == {"material": ["ceramic"]}


def test_a_voucher_record_is_read_with_its_arithmetic() -> None:
    rec = parse_record(
        {
            "query": "q",
            "reward": [{"product_id": "1"}],
            "voucher": {
                "voucher_type": "platform",
                "threshold": 170,
                "discount_type": "fixed",
                "face_value": 34,
                "discount": None,
                "cap": None,
                "price_after_voucher": 419.0,
                "budget": 425,
            },
        }
    )
    assert rec.family == "voucher" and rec.voucher is not None
    assert rec.voucher.implied_total() == 453.0


def test_a_percentage_voucher_implies_its_total_through_the_cap_when_it_binds() -> None:
    v = Voucher(
        voucher_type="shop",
        threshold=100,
        discount_type="percentage",
        discount=0.2,
        cap=30,
        price_after_voucher=170,
        budget=175,
    )
    assert v.implied_total() == 200.0  # 200 * 0.2 = 40 > cap 30
    free = v.model_copy(update={"price_after_voucher": 96.0})
    assert free.implied_total() == 120.0  # 120 * 0.2 = 24 < cap


def test_a_discount_given_as_a_percentage_number_is_refused() -> None:
    with pytest.raises(ValueError, match="discount must be a rate in"):
        Voucher(
            voucher_type="platform", threshold=1, discount_type="percentage", discount=14, budget=5
        )


def test_a_record_whose_family_cannot_be_told_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot tell the family"):
        parse_record({"query": "q", "reward": "x"})
