"""A template renderer that states every constraint of a (mutated) task in its query.

The original description is kept; a "Requirements:" block lists each item's sku,
attribute, service and price constraints, and the voucher block uses
ShoppingBench's own wording. Whether a query states a record's constraints is
read by mentions.py, the check the grounding verifier uses.
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


def number_text(x: float) -> str:
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
        f"My budget is only `{number_text(v.budget)}`, but I have a voucher with the following rules:",
        scope,
        f"2. It is valid only when the total price of the products exceeds `{number_text(v.threshold)}`.",
    ]
    if v.discount_type == "fixed":
        lines.append(f"3. It provides a fixed discount of `{number_text(v.face_value or 0)}`.")
    else:
        pct = round((v.discount or 0) * 100)
        cap = f" with a cap of `{number_text(v.cap)}`" if v.cap is not None else ""
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
