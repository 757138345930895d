"""ShoppingBench's published grading rules, applied to catalog products.

Per requested item, relevance = satisfied checks / checks, where the checks are:
each requested title (the benchmark's TitleMeasure: token-set Jaccard >= 0.5 by
default, see text.py), each
price bound, each required service, and each sku-option and attribute pair (pairs
are looked up in the product's attributes and in one sku variant: the variant
that satisfies the most pairs, as ShoppingBench does). Recommending the exact
gold product id scores 1.

Matching recommended products to gold items (multi-item tasks): each gold item
is matched to at most one recommended product and each recommended product to
at most one gold item, choosing the assignment that maximises the summed
relevance (ties: the earliest recommended products, in gold order). This is the
"best-matching recommended product per gold item" rule, made one-to-one so one
product cannot stand in for two items; it does not depend on the order in which
the agent lists the products. Unmatched gold items score 0. Extra recommended
products are ignored.

reward (CAR) = mean relevance over the gold items. success (ASR) per family:
- product: relevance 1;
- shop: every item has relevance 1 and the matched products come from exactly one shop;
- voucher: every item has relevance 1 and the payable total fits the budget. The
  voucher applies only when the total reaches its threshold and, for a shop
  voucher, only when every matched product comes from one shop; fixed: total -
  face value; percentage: total - min(total * rate, cap). A total already within
  budget fits without the voucher;
- web: the knowledge attribute appears in the product's title or description and
  the title matches the gold title (>= the measure's web threshold); reward = mean of the two.
  A web record's `constraints` (written by the web motifs) add their price, service,
  sku and attribute checks: reward = mean of all, success = every check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from frontier.benchmarks.shoppingbench.models import ItemRequest, Product, ShoppingRecord
from frontier.benchmarks.shoppingbench.text import LEXICAL, TitleMeasure
from frontier.domain.tasks import Check, Grade

MAX_RECOMMENDED = 10


def _pairs_in_variant(
    pairs: Sequence[tuple[str, str]], product: Product
) -> tuple[dict[str, str], list[bool]]:
    attr = {(k.lower(), v.lower()) for k, vs in product.attributes.items() for v in vs}
    best: tuple[dict[str, str], list[bool]] = ({}, [False] * len(pairs))
    best_hits = -1
    variants = [{}, *product.sku_options.values()]
    for variant in variants:
        flat = {(k.lower(), v.lower()) for k, v in variant.items()}
        hits = [(k.lower(), v.lower()) in flat or (k.lower(), v.lower()) in attr for k, v in pairs]
        if sum(hits) > best_hits:
            best_hits, best = sum(hits), (variant, hits)
    return best


def item_relevance(
    product: Product | None,
    item: ItemRequest,
    *,
    titles: TitleMeasure = LEXICAL,
    label: str = "",
) -> tuple[float, list[Check]]:
    """Relevance of one product for one requested item, with its named checks."""
    threshold = titles.threshold
    pre = f"{label}: " if label else ""
    if product is None:
        return 0.0, [
            Check(name="answer", passed=False, detail=f"{pre}no product recommended for this item")
        ]
    if product.product_id == item.product_id:
        return 1.0, [
            Check(name="gold_id", passed=True, detail=f"{pre}exact product {product.product_id}")
        ]
    checks: list[Check] = []
    for title in item.title:
        sim = titles.similarity(product.title, title)
        checks.append(
            Check(
                name="title",
                passed=sim >= threshold,
                detail=f"{pre}title similarity {sim:.2f} (need {threshold})",
            )
        )
    for bound in item.price:
        checks.append(
            Check(
                name="price",
                passed=bound.satisfied(product.price),
                detail=f"{pre}price {product.price} vs {bound.describe()}",
            )
        )
    for serv in item.service:
        checks.append(
            Check(name="service", passed=serv in product.service, detail=f"{pre}service {serv}")
        )
    pairs = [*item.sku_options, *item.attributes]
    if pairs:
        _, hits = _pairs_in_variant(pairs, product)
        n_sku = len(item.sku_options)
        for idx, ((k, v), ok) in enumerate(zip(pairs, hits, strict=True)):
            name = "sku" if idx < n_sku else "attribute"
            checks.append(Check(name=name, passed=ok, detail=f"{pre}{k}={v}"))
    if not checks:
        return 1.0, []
    score = sum(c.passed for c in checks) / len(checks)
    return score, checks


def match_items(
    items: Sequence[ItemRequest],
    recommended: Sequence[Product | None],
    *,
    titles: TitleMeasure = LEXICAL,
) -> list[tuple[int | None, float, list[Check]]]:
    """For each gold item: (index of its matched recommended product, relevance, checks)."""
    recs = list(recommended[:MAX_RECOMMENDED])
    table = [
        [item_relevance(p, it, titles=titles, label=f"item {i + 1}") for p in recs]
        for i, it in enumerate(items)
    ]
    n, m = len(items), len(recs)
    memo: dict[tuple[int, int], tuple[float, tuple[int | None, ...]]] = {}

    def best(i: int, used: int) -> tuple[float, tuple[int | None, ...]]:
        if i == n:
            return 0.0, ()
        if (i, used) in memo:
            return memo[(i, used)]
        skip_score, skip_rest = best(i + 1, used)
        top: tuple[float, tuple[int | None, ...]] = (skip_score, (None, *skip_rest))
        for j in range(m):
            if used & (1 << j):
                continue
            rest_score, rest = best(i + 1, used | (1 << j))
            score = table[i][j][0] + rest_score
            if score > top[0] + 1e-9:
                top = (score, (j, *rest))
        memo[(i, used)] = top
        return top

    best_assign = best(0, 0)[1]
    out: list[tuple[int | None, float, list[Check]]] = []
    for i, a in enumerate(best_assign):
        if a is None:
            score, checks = item_relevance(None, items[i], label=f"item {i + 1}")
            out.append((None, score, checks))
        else:
            out.append((a, table[i][a][0], table[i][a][1]))
    return out


def grade_record(
    record: ShoppingRecord,
    recommended_ids: Sequence[str] | None,
    products: Mapping[str, Product],
    *,
    titles: TitleMeasure = LEXICAL,
) -> Grade:
    """Grade recommended product ids against a task; `products` resolves ids to catalog records."""
    if not recommended_ids:
        return Grade(
            reward=0.0,
            success=False,
            checks=[Check(name="answer", passed=False, detail="no product was recommended")],
            details={"recommended": []},
        )
    ids = [str(x) for x in recommended_ids]
    unknown = [x for x in ids if x not in products]
    recs: list[Product | None] = [products.get(x) for x in ids]
    if record.family == "web":
        return _grade_web(record, ids, recs, unknown, titles)
    matches = match_items(record.items, recs, titles=titles)
    checks = [c for _, _, cs in matches for c in cs]
    if unknown:
        checks.append(
            Check(name="answer", passed=False, detail=f"unknown product ids: {', '.join(unknown)}")
        )
    rels = [score for _, score, _ in matches]
    reward = sum(rels) / len(rels)
    all_relevant = all(r >= 1.0 - 1e-9 for r in rels)
    matched = [recs[a] for a, _, _ in matches if a is not None]
    shops = {p.shop_id for p in matched if p is not None}
    total = round(sum(p.price for p in matched if p is not None), 2)
    details: dict[str, object] = {
        "recommended": ids,
        "relevance": rels,
        "matched": [ids[a] if a is not None else None for a, _, _ in matches],
    }
    success = all_relevant
    if record.family == "shop":
        one_shop = len(matched) == len(record.items) and len(shops) == 1
        checks.append(
            Check(
                name="shop", passed=one_shop, detail=f"matched products from shops {sorted(shops)}"
            )
        )
        success = all_relevant and one_shop
    elif record.family == "voucher" and record.voucher is not None:
        v = record.voucher
        complete = len(matched) == len(record.items)
        applies = v.applies(total, shops)
        payable = round(v.payable(total, shops), 2)
        fits = complete and v.fits(total, shops)
        details.update(
            {"total": total, "voucher_applies": applies, "payable": payable, "budget": v.budget}
        )
        checks.append(
            Check(
                name="voucher_budget",
                passed=fits,
                detail=f"total {total}, voucher {'applies' if applies else 'does not apply'}, "
                f"payable {payable}, budget {v.budget}",
            )
        )
        success = all_relevant and fits
    return Grade(reward=min(1.0, max(0.0, reward)), success=success, checks=checks, details=details)


def _grade_web(
    record: ShoppingRecord,
    ids: list[str],
    recs: list[Product | None],
    unknown: list[str],
    titles: TitleMeasure,
) -> Grade:
    gold = record.web_product
    assert gold is not None and record.knowledge is not None
    kw = record.knowledge.lower()
    # a web motif's constraints (price, service, sku, attribute) are checked as in other families
    constraints = record.items[0].model_copy(update={"title": []})
    best: tuple[float, bool, bool, list[Check], int] = (-1.0, False, False, [], -1)
    for idx, p in enumerate(recs[:MAX_RECOMMENDED]):
        if p is None:
            continue
        if p.product_id == gold.product_id:
            k_ok = t_ok = True
        else:
            k_ok = kw in p.title.lower() or kw in p.description.lower()
            t_ok = titles.similarity(p.title, gold.title) >= titles.web_threshold
        _, extra = item_relevance(p, constraints, titles=titles)
        extra = [c for c in extra if c.name != "gold_id"]
        n = 2 + len(constraints.price) + len(constraints.service)
        n += len(constraints.sku_options) + len(constraints.attributes)
        passed = k_ok + t_ok + sum(c.passed for c in extra)
        score = 1.0 if p.product_id == gold.product_id else passed / n
        if score > best[0]:
            best = (score, k_ok, t_ok, extra, idx)
    checks: list[Check] = []
    if best[4] < 0:
        checks.append(
            Check(name="answer", passed=False, detail=f"unknown product ids: {', '.join(unknown)}")
        )
        return Grade(reward=0.0, success=False, checks=checks, details={"recommended": ids})
    score, k_ok, t_ok, extra, idx = best
    checks.append(
        Check(
            name="knowledge",
            passed=k_ok,
            detail=f"knowledge attribute {record.knowledge!r} in product",
        )
    )
    checks.append(
        Check(name="title", passed=t_ok, detail=f"title match (need {titles.web_threshold})")
    )
    checks += extra
    return Grade(
        reward=score,
        success=all(c.passed for c in checks),
        checks=checks,
        details={"recommended": ids, "matched": ids[idx]},
    )
