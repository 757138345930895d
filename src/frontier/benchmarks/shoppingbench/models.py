"""Typed views of ShoppingBench's native task records (product, shop, voucher, web).

The native record stays the task payload unchanged (it is what we export); these
models are the validated reading of it that the grader, catalog and policies use.
They accept the public format's variations: optional fields, price bounds with
null ends, sku options as a list of dicts or one dict, attribute values as a
string or list, string or integer Knowledge_Attribute, and full product records. A web record may
carry `constraints` (our extension, written by the web motifs in mutations.py): price
bounds, services, sku options and attributes in the reward's own format, which the
product must also meet.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Family = Literal["product", "shop", "voucher", "web"]
FAMILIES: tuple[str, ...] = ("product", "shop", "voucher", "web")
SERVICES: tuple[str, ...] = ("official", "freeShipping", "COD", "flashsale")
PriceMode = Literal["greater than", "less than", "between"]


def _num(value: Any, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{field}: expected a number, got {value!r}")
    try:
        return float(value)
    except ValueError as exc:
        raise ValueError(f"{field}: expected a number, got {value!r}") from exc


class PriceBound(BaseModel):
    """One price constraint: `greater than` [lo, null], `less than` [null, hi], `between` [lo, hi]."""

    model_config = ConfigDict(frozen=True)

    mode: PriceMode
    low: float | None = None
    high: float | None = None

    @classmethod
    def from_native(cls, raw: Any) -> list[PriceBound]:
        if not isinstance(raw, dict) or not raw:
            raise ValueError(
                f"price bound must be an object like {{'between': [lo, hi]}}, got {raw!r}"
            )
        out = []
        for mode, ends in raw.items():
            if mode not in ("greater than", "less than", "between"):
                raise ValueError(
                    f"price bound mode must be 'greater than', 'less than' or 'between', got {mode!r}"
                )
            if not isinstance(ends, list | tuple) or len(ends) != 2:
                raise ValueError(f"price bound {mode!r} needs [low, high], got {ends!r}")
            low, high = _num(ends[0], "price low"), _num(ends[1], "price high")
            if mode == "greater than" and low is None:
                raise ValueError("price bound 'greater than' needs a low end")
            if mode == "less than" and high is None:
                raise ValueError("price bound 'less than' needs a high end")
            if mode == "between" and (low is None and high is None):
                raise ValueError("price bound 'between' needs at least one end")
            if low is not None and high is not None and low > high:
                raise ValueError(f"price bound {mode!r} has low {low} > high {high}")
            out.append(cls(mode=mode, low=low, high=high))
        return out

    def lower(self) -> float | None:
        return self.low if self.mode in ("greater than", "between") else None

    def upper(self) -> float | None:
        return self.high if self.mode in ("less than", "between") else None

    def satisfied(self, price: float | None) -> bool:
        if price is None:
            return False
        lo, hi = self.lower(), self.upper()
        return (lo is None or price >= lo) and (hi is None or price <= hi)

    def to_native(self) -> dict[str, list[float | int | None]]:
        def n(x: float | None) -> float | int | None:
            return None if x is None else (int(x) if float(x).is_integer() else x)

        return {self.mode: [n(self.low), n(self.high)]}

    def describe(self) -> str:
        def f(x: float | None) -> str:
            return "" if x is None else (str(int(x)) if float(x).is_integer() else f"{x:.2f}")

        if self.mode == "greater than":
            return f"over {f(self.low)} pesos"
        if self.mode == "less than":
            return f"under {f(self.high)} pesos"
        if self.low is None:
            return f"under {f(self.high)} pesos"
        if self.high is None:
            return f"over {f(self.low)} pesos"
        return f"between {f(self.low)} and {f(self.high)} pesos"


def _as_str(value: Any, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{field}: expected a string, got {value!r}")
    return str(value)


class ItemRequest(BaseModel):
    """One requested product: its gold id and the constraints the query states."""

    model_config = ConfigDict(frozen=True)

    product_id: str
    title: list[str] = Field(default_factory=list)
    sku_options: list[tuple[str, str]] = Field(default_factory=list)
    attributes: list[tuple[str, str]] = Field(default_factory=list)
    service: list[str] = Field(default_factory=list)
    price: list[PriceBound] = Field(default_factory=list)

    @classmethod
    def from_native(cls, raw: Any, where: str = "reward") -> ItemRequest:
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: expected an object, got {type(raw).__name__}")
        if "product_id" not in raw or raw["product_id"] in (None, ""):
            raise ValueError(f"{where}.product_id: missing")
        pid = _as_str(raw["product_id"], f"{where}.product_id")
        titles_raw = raw.get("title") or []
        titles = [titles_raw] if isinstance(titles_raw, str) else titles_raw
        if not isinstance(titles, list):
            raise ValueError(f"{where}.title: expected a string or a list of strings")
        title = [_as_str(t, f"{where}.title") for t in titles]
        sku: list[tuple[str, str]] = []
        sku_raw = raw.get("sku_options") or []
        if isinstance(sku_raw, dict):
            sku_raw = [sku_raw]
        if not isinstance(sku_raw, list):
            raise ValueError(f"{where}.sku_options: expected a list of objects or an object")
        for opt in sku_raw:
            if not isinstance(opt, dict):
                raise ValueError(f"{where}.sku_options: expected objects, got {opt!r}")
            for k, v in opt.items():
                sku.append((str(k), _as_str(v, f"{where}.sku_options.{k}")))
        attrs: list[tuple[str, str]] = []
        attrs_raw = raw.get("attributes") or []
        if isinstance(attrs_raw, dict):
            attrs_raw = [attrs_raw]
        if not isinstance(attrs_raw, list):
            raise ValueError(f"{where}.attributes: expected a list of objects or an object")
        for attr in attrs_raw:
            if not isinstance(attr, dict):
                raise ValueError(f"{where}.attributes: expected objects, got {attr!r}")
            for k, vs in attr.items():
                values = vs if isinstance(vs, list) else [vs]
                for v in values:
                    attrs.append((str(k), _as_str(v, f"{where}.attributes.{k}")))
        service_raw = raw.get("service") or []
        if isinstance(service_raw, str):
            service_raw = [service_raw]
        if not isinstance(service_raw, list):
            raise ValueError(f"{where}.service: expected a list of strings")
        service = [_as_str(s, f"{where}.service") for s in service_raw]
        for s in service:
            if s not in SERVICES:
                raise ValueError(
                    f"{where}.service: unknown service {s!r} (known: {', '.join(SERVICES)})"
                )
        price: list[PriceBound] = []
        price_raw = raw.get("price") or []
        if isinstance(price_raw, dict):
            price_raw = [price_raw]
        if isinstance(price_raw, list):
            for p in price_raw:
                price.extend(PriceBound.from_native(p))
        elif not isinstance(price_raw, int | float):  # a web record's own price is a number
            raise ValueError(f"{where}.price: expected a list of bounds")
        return cls(
            product_id=pid,
            title=title,
            sku_options=sku,
            attributes=attrs,
            service=service,
            price=price,
        )

    def price_interval(self) -> tuple[float | None, float | None]:
        lows = [b.lower() for b in self.price if b.lower() is not None]
        highs = [b.upper() for b in self.price if b.upper() is not None]
        return (max(lows) if lows else None, min(highs) if highs else None)  # type: ignore[type-var]

    def to_native(self) -> dict[str, Any]:
        out: dict[str, Any] = {"product_id": self.product_id, "title": list(self.title)}
        if self.sku_options:
            out["sku_options"] = [dict(self.sku_options)]
        if self.attributes:
            merged: dict[str, list[str]] = {}
            for k, v in self.attributes:
                merged.setdefault(k, []).append(v)
            out["attributes"] = [{k: vs} for k, vs in merged.items()]
        if self.service:
            out["service"] = list(self.service)
        if self.price:
            out["price"] = [b.to_native() for b in self.price]
        return out


class Voucher(BaseModel):
    """A platform or shop voucher with a threshold, a fixed or capped percentage discount, a budget."""

    model_config = ConfigDict(frozen=True)

    voucher_type: Literal["platform", "shop"]
    threshold: float = Field(ge=0)
    discount_type: Literal["fixed", "percentage"]
    face_value: float | None = None
    discount: float | None = None
    cap: float | None = None
    price_after_voucher: float | None = None
    budget: float = Field(ge=0)

    @field_validator("discount")
    @classmethod
    def _rate(cls, v: float | None) -> float | None:
        if v is not None and not 0 < v < 1:
            raise ValueError("discount must be a rate in (0, 1), e.g. 0.14 for 14%")
        return v

    def model_post_init(self, __context: Any) -> None:
        if self.discount_type == "fixed" and self.face_value is None:
            raise ValueError("voucher.face_value: required for a fixed discount")
        if self.discount_type == "percentage" and self.discount is None:
            raise ValueError("voucher.discount: required for a percentage discount")

    def applies(self, total: float, shops: set[str]) -> bool:
        """Valid when the total reaches the threshold; a shop voucher only for items of one shop."""
        if self.voucher_type == "shop" and len(shops) != 1:
            return False
        return total >= self.threshold

    def reduction(self, total: float) -> float:
        if self.discount_type == "fixed":
            return float(self.face_value or 0.0)
        cut = total * float(self.discount or 0.0)
        return min(cut, self.cap) if self.cap is not None else cut

    def payable(self, total: float, shops: set[str]) -> float:
        return total - self.reduction(total) if self.applies(total, shops) else total

    def fits(self, total: float, shops: set[str]) -> bool:
        return total <= self.budget or self.payable(total, shops) <= self.budget + 1e-9

    def implied_total(self) -> float | None:
        """The pre-discount total that `price_after_voucher` implies (None when absent/inconsistent)."""
        pav = self.price_after_voucher
        if pav is None:
            return None
        if self.discount_type == "fixed":
            candidates = [pav + float(self.face_value or 0)]
        else:
            rate = float(self.discount or 0)
            candidates = [pav / (1 - rate)]
            if self.cap is not None:
                candidates.append(pav + self.cap)
        for total in candidates:
            if abs(total - self.reduction(total) - pav) < 0.02 and total >= self.threshold:
                return round(total, 2)
        return None


class WebProduct(BaseModel):
    """A full product record as the web family carries it (and as the catalog stores products)."""

    model_config = ConfigDict(extra="allow")

    product_id: str
    shop_id: str = ""
    title: str
    price: float = 0.0
    service: list[str] = Field(default_factory=list)
    sold_count: int = 0
    brand: str = ""
    category: str = ""
    short_description: str = ""
    description: str = ""
    specification: str = ""
    sku_options: dict[str, dict[str, str]] = Field(default_factory=dict)
    attributes: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("product_id", "shop_id", mode="before")
    @classmethod
    def _idstr(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v

    @field_validator("sku_options", mode="before")
    @classmethod
    def _sku(cls, v: Any) -> Any:
        if v is None:
            return {}
        # Anything not shaped like sku options goes to pydantic unchanged, which names the field.
        if isinstance(v, list) and all(isinstance(opt, dict) for opt in v):
            return {str(i + 1): {str(k): str(x) for k, x in opt.items()} for i, opt in enumerate(v)}
        if isinstance(v, dict) and all(isinstance(opt, dict | None) for opt in v.values()):
            return {
                str(k): {str(a): str(b) for a, b in (opt or {}).items()} for k, opt in v.items()
            }
        return v

    @field_validator("attributes", mode="before")
    @classmethod
    def _attrs(cls, v: Any) -> Any:
        if v is None:
            return {}
        if isinstance(v, dict):
            return {
                str(k): [str(x) for x in (vs if isinstance(vs, list) else [vs])]
                for k, vs in v.items()
            }
        return v

    @field_validator("service", mode="before")
    @classmethod
    def _service(cls, v: Any) -> Any:
        return [] if v is None else v

    @field_validator("sold_count", mode="before")
    @classmethod
    def _sold(cls, v: Any) -> Any:
        if v is None or v == "":
            return 0
        if isinstance(v, bool) or not isinstance(v, int | float | str):
            return v  # pydantic names the field
        try:
            count = float(v)
        except ValueError:
            return v
        if not math.isfinite(count):
            raise ValueError(f"sold_count must be a finite number, got {v!r}")
        return int(count)

    @field_validator("price", mode="before")
    @classmethod
    def _price(cls, v: Any) -> Any:
        return 0.0 if v in (None, "") else v


Product = WebProduct
"""A catalog product has the same fields as a web-family gold record."""


class ShoppingRecord(BaseModel):
    """The validated reading of one native task record."""

    model_config = ConfigDict(frozen=True)

    family: Family
    query: str
    items: list[ItemRequest]
    voucher: Voucher | None = None
    knowledge: str | None = None
    web_product: WebProduct | None = None


def detect_family(record: dict[str, Any], file_hint: str | None = None) -> Family:
    """voucher key -> voucher; Knowledge_Attribute -> web; list reward -> shop; dict reward -> product."""
    if "voucher" in record and record["voucher"] is not None:
        return "voucher"
    if "Knowledge_Attribute" in record:
        return "web"
    reward = record.get("reward")
    if isinstance(reward, list):
        return "shop"
    if isinstance(reward, dict):
        return "product"
    if file_hint:
        for fam in FAMILIES:
            if fam in file_hint.lower():
                return fam  # type: ignore[return-value]
    raise ValueError("cannot tell the family: expected a 'reward' object or list")


def parse_record(record: Any, file_hint: str | None = None) -> ShoppingRecord:
    """Validate a native record; raises ValueError naming the field that is wrong."""
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    query = record.get("query")
    if not isinstance(query, str) or not query.strip():
        raise ValueError("query: missing or empty")
    if "reward" not in record:
        raise ValueError("reward: missing")
    family = detect_family(record, file_hint)
    reward = record["reward"]
    try:
        if family == "web":
            if not isinstance(reward, dict):
                raise ValueError("reward: the web family needs a full product record")
            ka = record.get("Knowledge_Attribute")
            if ka is None or (isinstance(ka, str) and not ka.strip()) or isinstance(ka, bool):
                raise ValueError("Knowledge_Attribute: missing or empty")
            if not isinstance(ka, str | int | float):
                raise ValueError(f"Knowledge_Attribute: expected a string or number, got {ka!r}")
            product = WebProduct.model_validate(reward)
            constraints = record.get("constraints") or {}
            if not isinstance(constraints, dict):
                raise ValueError(
                    "constraints: expected an object of price, service, sku and attributes"
                )
            item = ItemRequest.from_native(
                {**constraints, "product_id": product.product_id, "title": [product.title]},
                "constraints",
            )
            return ShoppingRecord(
                family="web", query=query, items=[item], knowledge=str(ka), web_product=product
            )
        rewards = reward if isinstance(reward, list) else [reward]
        if not rewards:
            raise ValueError("reward: empty list")
        items = [
            ItemRequest.from_native(r, f"reward[{i}]" if isinstance(reward, list) else "reward")
            for i, r in enumerate(rewards)
        ]
        ids = [it.product_id for it in items]
        if len(set(ids)) != len(ids):
            raise ValueError("reward: the same product_id appears twice")
        voucher = None
        if family == "voucher":
            if not isinstance(record["voucher"], dict):
                raise ValueError("voucher: expected an object")
            voucher = Voucher.model_validate(record["voucher"])
        return ShoppingRecord(family=family, query=query, items=items, voucher=voucher)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{loc}: {first['msg']}" if loc else first["msg"]) from None
