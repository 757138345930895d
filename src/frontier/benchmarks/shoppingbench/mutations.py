"""Procedural mutations, grounded by construction: each moves one decision boundary.

Every mutation reads the parent's gold products from the catalog and derives the
new constraint from them, so the gold answer still satisfies the child; the
child's query is re-rendered to state every constraint (render.py).

Motifs: price_shift (tighten a price bound around the gold price), add_attribute
and add_sku (a pair taken from the gold record), require_service (a service the
gold offers), add_shop_item (another product of the same shop), to_voucher (a
product or shop task becomes a voucher task; threshold, discount and budget are
drawn the way ShoppingBench's generator draws them: threshold 10-90% of the basket,
face value 10-50% of the threshold or a 10-50% rate with a cap above threshold x
rate, budget = ceil(price after voucher) + up to 10%, that 0-10% slack split into
hard 0-1% / medium 1-5% / easy 5-10%), switch_voucher (fixed <-> percentage
with cap, platform <-> shop), bind_web_fact (a product task whose gold title contains
the answer to a known web fact becomes a web task: the query asks that question instead
of naming the answer, as ShoppingBench's own web tasks do, so the agent must look the
fact up before it can search).

Gold products come from the benchmark's catalog (GoldCatalog): the embedded one,
or the search server with `catalog: http`, so new attribute and sku constraints
are drawn from the record the server returns.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from frontier.benchmarks.shoppingbench.models import (
    ItemRequest,
    PriceBound,
    Product,
    ShoppingRecord,
    Voucher,
)
from frontier.benchmarks.shoppingbench.render import description_of, render_query

MOTIFS = (
    "price_shift",
    "add_attribute",
    "add_sku",
    "require_service",
    "add_shop_item",
    "to_voucher",
    "switch_voucher",
    "bind_web_fact",
)
WEB_MOTIFS = ("price_shift", "add_attribute", "add_sku", "require_service")
"""Motifs that also apply to a web task: a constraint from the gold record on top of its question."""
MIN_FACT_LENGTH = 3
"""Shorter answers ("7", "Up") match too many titles by accident to stand for a fact."""
SLACK = {"hard": (0.0, 0.01), "medium": (0.01, 0.05), "easy": (0.05, 0.10)}


class GoldCatalog(Protocol):
    """Where mutations read gold products and their shop mates."""

    @property
    def roles(self) -> Mapping[str, str]: ...

    def get(self, product_id: str) -> Product | None: ...

    def shop_products(self, shop_id: str) -> list[Product]: ...


class NotApplicable(Exception):
    """The motif cannot be applied to this task (e.g. no unused gold attribute)."""


def _golds(record: ShoppingRecord, catalog: GoldCatalog) -> list[Product]:
    out = []
    for it in record.items:
        p = catalog.get(it.product_id)
        if p is None:
            raise NotApplicable(f"gold product {it.product_id} is not in the catalog")
        out.append(p)
    return out


def make_voucher(
    total: float,
    shops: set[str],
    rng: random.Random,
    *,
    discount_type: str | None = None,
    voucher_type: str | None = None,
    slack: str | None = None,
) -> Voucher:
    """A voucher for a basket of `total`, drawn as ShoppingBench draws them."""
    vtype = voucher_type or ("shop" if len(shops) == 1 and rng.random() < 0.5 else "platform")
    if vtype == "shop" and len(shops) != 1:
        raise NotApplicable("a shop voucher needs every item from one shop")
    threshold = rng.randint(max(1, int(total * 0.1)), max(1, int(total * 0.9)))
    dtype = discount_type or rng.choice(["fixed", "percentage"])
    if dtype == "fixed":
        face = rng.randint(max(1, int(threshold * 0.1)), max(1, int(threshold * 0.5)))
        pav = round(total - face, 2)
        fields: dict[str, Any] = {"face_value": face, "discount": None, "cap": None}
    else:
        pct = rng.randint(10, 50)
        # as ShoppingBench draws it: a cap strictly above threshold x rate, at most the threshold
        cap_low = math.floor(threshold * pct / 100.0) + 1
        cap = rng.randint(cap_low, max(cap_low, threshold))
        pav = round(max(total * (1 - pct / 100.0), total - cap), 2)
        fields = {"face_value": None, "discount": pct / 100.0, "cap": cap}
    lo, hi = SLACK[slack or rng.choice(list(SLACK))]
    budget = math.ceil(pav) + rng.randint(
        math.ceil(pav * lo), max(math.ceil(pav * lo), math.ceil(pav * hi))
    )
    return Voucher(
        voucher_type=vtype,
        threshold=threshold,
        discount_type=dtype,
        price_after_voucher=pav,
        budget=budget,
        **fields,
    )


def _native(
    description: str, items: list[ItemRequest], voucher: Voucher | None, family: str
) -> dict[str, Any]:
    query = render_query(description, items, voucher)
    reward: Any = [it.to_native() for it in items]
    if family == "product":
        reward = reward[0]
    out: dict[str, Any] = {"query": query, "reward": reward}
    if voucher is not None:
        out["voucher"] = voucher.model_dump()
    return out


def _whole_word(answer: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(answer)}(?!\w)", re.IGNORECASE)


def bind_web_fact(
    record: ShoppingRecord,
    catalog: GoldCatalog,
    facts: Sequence[tuple[str, str]],
    rng: random.Random,
) -> tuple[dict[str, Any], str]:
    """One gold product whose title names a known fact's answer -> a web task asking that fact.

    The child asks the question and describes the product by its title with the answer
    masked, so the agent must look the fact up to know what to search for.
    """
    if record.family == "web":
        raise NotApplicable("already a web task")
    usable = []
    for gold in _golds(record, catalog):
        for question, answer in sorted(set(facts)):
            answer = answer.strip()
            word = _whole_word(answer)
            if len(answer) < MIN_FACT_LENGTH or not word.search(gold.title):
                continue
            masked = word.sub("(the answer)", gold.title)
            if answer.lower() not in masked.lower() and answer.lower() not in question.lower():
                usable.append((gold, question, answer, masked))
    if not usable:
        raise NotApplicable("no known web fact's answer appears in a gold product's title")
    gold, question, answer, masked = rng.choice(usable)
    query = f"{question} I would like to buy a product named after the answer: {masked}."
    native = {"query": query, "Knowledge_Attribute": answer, "reward": gold.model_dump()}
    return native, f"product {gold.product_id}: {answer!r} bound to the web fact {question!r}"


def _web_native(record: ShoppingRecord, item: ItemRequest, description: str) -> dict[str, Any]:
    """A web task with a constraint on top of its question: the product must meet it too.

    The question and its fact stay the parent's, so the answer still names the same
    gold product; the constraint is drawn from that product's own record and stated in
    a Requirements block (it names no title, so the answer stays masked).
    """
    assert record.web_product is not None and record.knowledge is not None
    constraints = {k: v for k, v in item.to_native().items() if k not in ("product_id", "title")}
    return {
        "query": render_query(description, [item.model_copy(update={"title": []})], None),
        "Knowledge_Attribute": record.knowledge,
        "reward": record.web_product.model_dump(),
        "constraints": constraints,
    }


def mutate_record(
    record: ShoppingRecord,
    motif: str,
    catalog: GoldCatalog,
    rng: random.Random,
    facts: Sequence[tuple[str, str]] = (),
) -> tuple[dict[str, Any], str]:
    """Return (child native record, note). Raises NotApplicable when the motif does not fit.

    `facts` are the (question, answer) pairs a web search can answer; bind_web_fact needs them.
    """
    if motif == "bind_web_fact":
        return bind_web_fact(record, catalog, facts, rng)
    if record.family == "web" and motif not in WEB_MOTIFS:
        raise NotApplicable(f"{motif} needs a product, shop or voucher task")
    golds = _golds(record, catalog)
    items = list(record.items)
    family = record.family
    voucher = record.voucher
    i = rng.randrange(len(items))
    item, gold = items[i], golds[i]
    note = ""
    description = description_of(record.query)
    if motif == "price_shift":
        if gold.price <= 0:
            raise NotApplicable("the gold product has no known price")
        below = rng.uniform(0.03, 0.3)
        above = rng.uniform(0.03, 0.3)
        lo, hi = math.floor(gold.price * (1 - below)), math.ceil(gold.price * (1 + above))
        kind = rng.choice(["between", "greater than", "less than"])
        bound = PriceBound(
            mode=kind,
            low=None if kind == "less than" else lo,
            high=None if kind == "greater than" else hi,
        )
        if bound in item.price:
            raise NotApplicable("the same bound already exists")
        items[i] = item.model_copy(update={"price": [bound]})
        note = f"item {i + 1}: {bound.describe()}"
    elif motif in ("add_attribute", "add_sku"):
        have = {(k, v) for k, v in [*item.attributes, *item.sku_options]}
        if motif == "add_attribute":
            pool = [(k, v) for k, vs in gold.attributes.items() for v in vs if (k, v) not in have]
        else:
            pool = [
                (k, v)
                for opt in gold.sku_options.values()
                for k, v in opt.items()
                if (k, v) not in have
            ]
            required = dict(item.sku_options)
            variant = next(
                (
                    opt
                    for opt in gold.sku_options.values()
                    if all(opt.get(k) == v for k, v in required.items())
                ),
                None,
            )
            pool = [(k, v) for k, v in (variant or {}).items() if (k, v) not in have]
        if record.knowledge is not None:  # a web task's constraint must not name its answer
            answer = record.knowledge.strip().lower()
            pool = [(k, v) for k, v in pool if answer not in v.lower()]
        if not pool:
            raise NotApplicable(f"the gold record has no unused {motif[4:]} pair")
        k, v = rng.choice(sorted(pool))
        field = "attributes" if motif == "add_attribute" else "sku_options"
        items[i] = item.model_copy(update={field: [*getattr(item, field), (k, v)]})
        note = f"item {i + 1}: {k}={v}"
    elif motif == "require_service":
        services = [s for s in gold.service if s not in item.service]
        if not services:
            raise NotApplicable("the gold product offers no service that is not already required")
        s = rng.choice(sorted(services))
        items[i] = item.model_copy(update={"service": [*item.service, s]})
        note = f"item {i + 1}: service {s}"
    elif motif == "add_shop_item":
        if family not in ("shop",) and not (voucher is not None and voucher.voucher_type == "shop"):
            raise NotApplicable("only shop tasks and shop-voucher tasks have one shop to add from")
        if len(items) >= 4:
            raise NotApplicable("already 4 items")
        shop = golds[0].shop_id
        taken = {it.product_id for it in items}
        others = [
            p
            for p in catalog.shop_products(shop)
            if p.product_id not in taken and catalog.roles.get(p.product_id) != "decoy"
        ]
        if not others:
            raise NotApplicable("the shop sells no other product")
        extra = rng.choice(others)
        pairs = sorted((k, v) for k, vs in extra.attributes.items() for v in vs)
        new = ItemRequest(
            product_id=extra.product_id,
            title=[extra.title],
            attributes=pairs[:1],
            price=[
                PriceBound(
                    mode="between",
                    low=math.floor(extra.price * 0.9),
                    high=math.ceil(extra.price * 1.1),
                )
            ],
        )
        items.append(new)
        golds.append(extra)
        # the description names the new item, so a later re-render keeps it
        description += f' Also, from the same shop: a product like "{extra.title}".'
        note = f"added product {extra.product_id} of shop {shop}"
        if voucher is not None:
            voucher = make_voucher(
                round(sum(g.price for g in golds), 2),
                {shop},
                rng,
                voucher_type="shop",
                discount_type=voucher.discount_type,
            )
    elif motif == "to_voucher":
        if family == "voucher":
            raise NotApplicable("already a voucher task")
        slack = rng.choice(list(SLACK))
        voucher = make_voucher(
            round(sum(g.price for g in golds), 2), {g.shop_id for g in golds}, rng, slack=slack
        )
        family = "voucher"
        note = f"{voucher.voucher_type} {voucher.discount_type} voucher, {slack} budget"
    elif motif == "switch_voucher":
        if voucher is None:
            raise NotApplicable("not a voucher task")
        shops = {g.shop_id for g in golds}
        if rng.random() < 0.5 or len(shops) != 1:
            dtype, vtype = ("percentage" if voucher.discount_type == "fixed" else "fixed"), None
        else:
            dtype, vtype = (
                voucher.discount_type,
                ("platform" if voucher.voucher_type == "shop" else "shop"),
            )
        voucher = make_voucher(
            round(sum(g.price for g in golds), 2),
            shops,
            rng,
            discount_type=dtype,
            voucher_type=vtype
            or ("shop" if voucher.voucher_type == "shop" and len(shops) == 1 else "platform"),
        )
        note = f"now a {voucher.voucher_type} {voucher.discount_type} voucher"
    else:
        raise ValueError(f"unknown motif {motif!r}; available: {', '.join(MOTIFS)}")
    if family == "web":
        return _web_native(record, items[0], description), note
    out_family = "product" if family == "product" and len(items) == 1 else family
    if out_family == "product" and len(items) > 1:
        out_family = "shop"
    return _native(description, items, voucher, out_family), note
