"""A template renderer that states every constraint of a (mutated) task in its query.

The original description is kept; a "Requirements:" block lists each item's sku,
attribute, service and price constraints, and the voucher block uses
ShoppingBench's own wording. `mentions` is the check the grounding verifier uses.
"""

from __future__ import annotations

from frontier.benchmarks.shoppingbench.models import ItemRequest, Voucher

SERVICE_PHRASES = {
    "official": "LazMall (official)",
    "freeShipping": "free shipping (freeShipping)",
    "COD": "cash on delivery (COD)",
    "flashsale": "LazFlash deal (flashsale)",
}
REQUIREMENTS = "\n\nRequirements:"
VOUCHER_INTRO = "\n\nMy budget is only"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}"


def description_of(query: str) -> str:
    """The free-text part of a query, without our requirements block or a voucher block."""
    for marker in (REQUIREMENTS, VOUCHER_INTRO):
        if marker in query:
            query = query.split(marker, 1)[0]
    return query.rstrip()


def item_clauses(item: ItemRequest) -> list[str]:
    out = [f"{k}: {v}" for k, v in item.sku_options]
    out += [f"{k}: {v}" for k, v in item.attributes]
    out += [SERVICE_PHRASES[s] for s in item.service]
    out += [f"price {b.describe()}" for b in item.price]
    return out


def voucher_text(v: Voucher) -> str:
    scope = (
        "1. The voucher only applies to the products from the same shop."
        if v.voucher_type == "shop"
        else "1. The voucher applies to all products."
    )
    lines = [
        f"My budget is only `{_num(v.budget)}`, but I have a voucher with the following rules:",
        scope,
        f"2. It is valid only when the total price of the products exceeds `{_num(v.threshold)}`.",
    ]
    if v.discount_type == "fixed":
        lines.append(f"3. It provides a fixed discount of `{_num(v.face_value or 0)}`.")
    else:
        pct = round((v.discount or 0) * 100)
        cap = f" with a cap of `{_num(v.cap)}`" if v.cap is not None else ""
        lines.append(f"3. It provides a percentage discount of `{pct}%`{cap}.")
    return "\n".join(lines)


def render_query(description: str, items: list[ItemRequest], voucher: Voucher | None) -> str:
    text = description_of(description)
    lines = []
    for i, item in enumerate(items):
        clauses = item_clauses(item)
        if clauses:
            label = f"item {i + 1}" if len(items) > 1 else "the product"
            lines.append(f"- {label}: " + "; ".join(clauses))
    if lines:
        text += REQUIREMENTS + "\n" + "\n".join(lines)
    if voucher is not None:
        text += "\n\n" + voucher_text(voucher)
    return text


def missing_mentions(query: str, items: list[ItemRequest], voucher: Voucher | None) -> list[str]:
    """Constraints whose values the query does not state (empty when it states them all)."""
    q = query.lower()
    missing = []
    for i, item in enumerate(items):
        for k, v in [*item.sku_options, *item.attributes]:
            if v.lower() not in q:
                missing.append(f"item {i + 1} {k}={v}")
        for s in item.service:
            if s.lower() not in q:
                missing.append(f"item {i + 1} service {s}")
        for b in item.price:
            for end in (b.low, b.high):
                if end is not None and _num(end) not in q:
                    missing.append(f"item {i + 1} price {b.describe()}")
    if voucher is not None:
        nums: list[float | None] = [voucher.budget, voucher.threshold]
        nums += (
            [voucher.face_value]
            if voucher.discount_type == "fixed"
            else [round((voucher.discount or 0) * 100)]
        )
        if voucher.discount_type == "percentage" and voucher.cap is not None:
            nums.append(voucher.cap)
        for n in nums:
            if n is not None and f"`{_num(float(n))}" not in q:
                missing.append(f"voucher value {_num(float(n))}")
        if (voucher.voucher_type == "shop") != ("same shop" in q):
            missing.append(f"voucher scope {voucher.voucher_type}")
    return missing
