"""Product catalogs the episode's tools search: the protocol and the embedded SQLite one.

The real ShoppingBench catalog (2.5M products behind a BM25 server) is not
available offline, so the embedded catalog is built from the task records
themselves: per requested item its gold product (the web family's full record,
or a record reconstructed from the constraints), one decoy that breaks exactly
one constraint, and a few distractors. Products live in SQLite with an FTS5
index (BM25 ranking) and the server's filters and sorts. Everything is derived
from a seed and the task content, so the same tasks give the same catalog.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from frontier.benchmarks.shoppingbench.models import SERVICES, ItemRequest, Product, ShoppingRecord
from frontier.benchmarks.shoppingbench.text import (
    LEXICAL,
    TITLE_THRESHOLD,
    TitleMeasure,
    title_similarity,
    tokens,
)

PAGE_SIZE = 10
MAX_PAGE = 5
SORTS = ("priceasc", "pricedesc", "order", "default")
SEARCH_FIELDS = ("product_id", "shop_id", "title", "price", "service", "sold_count")
INFO_FIELDS = ("product_id", "short_description", "description", "sku_options", "attributes")


@dataclass(frozen=True)
class SearchRequest:
    q: str
    page: int = 1
    shop_id: str | None = None
    price_low: float | None = None
    price_high: float | None = None
    sort: str = "default"
    service: tuple[str, ...] = ()


class Catalog(Protocol):
    """What an episode needs from a product source."""

    blocking: bool
    """True when calls do network I/O (the episode then runs them in a worker thread)."""

    def find(self, request: SearchRequest) -> list[dict[str, Any]]: ...

    def view(self, product_ids: Sequence[str]) -> list[dict[str, Any]]: ...

    def products(self, product_ids: Sequence[str]) -> dict[str, Product]:
        """Full records for grading (ids the catalog does not know are left out)."""
        ...


def _ident(rng: random.Random, digits: int = 10) -> str:
    return str(rng.randrange(10 ** (digits - 1) * 2, 10**digits))


FILLERS = (
    "new",
    "original",
    "2024",
    "hot",
    "sale",
    "best",
    "quality",
    "premium",
    "cheap",
    "authentic",
)
GENERIC_VALUES = (
    "black",
    "white",
    "standard",
    "large",
    "small",
    "classic",
    "blue",
    "red",
    "generic",
    "other",
)
EXTRA_ATTRIBUTES = {
    "material": ["plastic", "metal", "cotton", "stainless steel", "silicone", "wood"],
    "warranty_type": ["no warranty", "local supplier warranty", "international warranty"],
    "country_origin": ["china", "philippines", "japan", "korea", "thailand"],
}
EXTRA_SKU = {
    "color_family": ["black", "white", "blue", "red", "green", "grey", "pink"],
    "variation": ["standard", "set a", "set b", "1 pc", "2 pcs", "pack of 3"],
}


class EmbeddedCatalog:
    """An in-process catalog in SQLite/FTS5, grown task by task with `add_record`."""

    blocking = False

    def __init__(
        self,
        *,
        seed: int = 0,
        distractors: int = 2,
        path: str = ":memory:",
        titles: TitleMeasure = LEXICAL,
    ) -> None:
        self.seed = seed
        self.titles = titles  # decoys with another title must fail this measure
        self.n_distractors = distractors
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.Lock()
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS products (
                rowid INTEGER PRIMARY KEY, product_id TEXT UNIQUE, shop_id TEXT, price REAL,
                sold_count INTEGER, services TEXT, data TEXT);
            CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5(text);
            """
        )
        self._products: dict[str, Product] = {}
        self.roles: dict[str, str] = {}
        self.decoys: dict[str, list[str]] = {}
        self.conflicts: dict[str, str] = {}
        self._tasks: set[str] = set()
        self._values: dict[str, set[str]] = {}
        self._words: list[str] = []
        self._shop_pool = [
            str(5_000_000 + random.Random(f"{seed}:shop:{i}").randrange(4_000_000))
            for i in range(300)
        ]

    # ---- reading -----------------------------------------------------------------
    def __contains__(self, product_id: str) -> bool:
        return product_id in self._products

    def __len__(self) -> int:
        return len(self._products)

    def get(self, product_id: str) -> Product | None:
        return self._products.get(product_id)

    def shop_products(self, shop_id: str) -> list[Product]:
        return [p for p in self._products.values() if p.shop_id == shop_id]

    def products(self, product_ids: Sequence[str]) -> dict[str, Product]:
        return {pid: self._products[pid] for pid in product_ids if pid in self._products}

    def find(self, request: SearchRequest) -> list[dict[str, Any]]:
        words = tokens(request.q)
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in dict.fromkeys(words))
        sql = [
            "SELECT p.data FROM products_fts f JOIN products p ON p.rowid = f.rowid WHERE products_fts MATCH ?"
        ]
        args: list[Any] = [match]
        if request.shop_id:
            sql.append("AND p.shop_id = ?")
            args.append(request.shop_id)
        if request.price_low is not None:
            sql.append("AND p.price >= ?")
            args.append(request.price_low)
        if request.price_high is not None:
            sql.append("AND p.price <= ?")
            args.append(request.price_high)
        for serv in request.service:
            sql.append("AND p.services LIKE ?")
            args.append(f"%,{serv},%")
        sql.append("ORDER BY bm25(products_fts), p.sold_count DESC, p.product_id LIMIT ?")
        args.append(PAGE_SIZE * MAX_PAGE)
        with self._lock:
            rows = self._db.execute(" ".join(sql), args).fetchall()
        found = [Product.model_validate_json(r[0]) for r in rows]
        if request.sort == "priceasc":
            found.sort(key=lambda p: p.price)
        elif request.sort == "pricedesc":
            found.sort(key=lambda p: -p.price)
        elif request.sort == "order":
            found.sort(key=lambda p: -p.sold_count)
        page = found[(request.page - 1) * PAGE_SIZE : request.page * PAGE_SIZE]
        return [{k: getattr(p, k) for k in SEARCH_FIELDS} for p in page]

    def view(self, product_ids: Sequence[str]) -> list[dict[str, Any]]:
        out = []
        for pid in product_ids:
            p = self._products.get(pid)
            if p is not None:
                out.append({k: getattr(p, k) for k in INFO_FIELDS})
        return out

    # ---- building ------------------------------------------------------------------
    def add_product(self, product: Product, role: str = "distractor") -> None:
        """Add or replace one product (for callers that bring their own records)."""
        self._insert(product, role)

    def _insert(self, product: Product, role: str) -> None:
        text = " ".join(
            [
                product.title,
                product.brand,
                product.category,
                " ".join(v for vs in product.attributes.values() for v in vs),
                " ".join(v for opt in product.sku_options.values() for v in opt.values()),
            ]
        )
        services = "," + ",".join(product.service) + ","
        with self._lock:
            if product.product_id in self._products:
                row = self._db.execute(
                    "SELECT rowid FROM products WHERE product_id = ?", (product.product_id,)
                ).fetchone()
                self._db.execute(
                    "UPDATE products SET shop_id=?, price=?, sold_count=?, services=?, data=? WHERE rowid=?",
                    (
                        product.shop_id,
                        product.price,
                        product.sold_count,
                        services,
                        product.model_dump_json(),
                        row[0],
                    ),
                )
                self._db.execute("UPDATE products_fts SET text=? WHERE rowid=?", (text, row[0]))
            else:
                cur = self._db.execute(
                    "INSERT INTO products (product_id, shop_id, price, sold_count, services, data) VALUES (?,?,?,?,?,?)",
                    (
                        product.product_id,
                        product.shop_id,
                        product.price,
                        product.sold_count,
                        services,
                        product.model_dump_json(),
                    ),
                )
                self._db.execute(
                    "INSERT INTO products_fts (rowid, text) VALUES (?, ?)", (cur.lastrowid, text)
                )
            self._db.commit()
        self._products[product.product_id] = product
        self.roles.setdefault(product.product_id, role)
        for k, vs in product.attributes.items():
            self._values.setdefault(k, set()).update(vs)
        for opt in product.sku_options.values():
            for k, v in opt.items():
                self._values.setdefault(k, set()).add(v)

    def _new_id(self, rng: random.Random) -> str:
        while True:
            pid = _ident(rng)
            if pid not in self._products:
                return pid

    def _alternative(self, key: str, avoid: set[str], rng: random.Random) -> str:
        pool = sorted(
            v for v in self._values.get(key, set()) if v.lower() not in {a.lower() for a in avoid}
        )
        if pool:
            return rng.choice(pool)
        return rng.choice([g for g in GENERIC_VALUES if g not in {a.lower() for a in avoid}])

    @staticmethod
    def item_price(item: ItemRequest, rng: random.Random) -> float:
        lo, hi = item.price_interval()
        if lo is not None and hi is not None:
            price = lo + (hi - lo) * rng.uniform(0.15, 0.85)
        elif lo is not None:
            price = lo * rng.uniform(1.05, 1.8) + rng.uniform(0, 20)
        elif hi is not None:
            price = hi * rng.uniform(0.3, 0.9)
        else:
            price = rng.uniform(50, 1500)
        price = round(price, 2)
        if lo is not None and price < lo:
            price = float(lo)
        if hi is not None and price > hi:
            price = float(hi)
        return price

    def _split_total(
        self, items: Sequence[ItemRequest], total: float, rng: random.Random
    ) -> list[float] | None:
        weights = [rng.uniform(0.5, 1.5) for _ in items]
        prices = [round(total * w / sum(weights), 2) for w in weights]
        prices[-1] = round(total - sum(prices[:-1]), 2)
        ok = all(
            p > 0 and all(b.satisfied(p) for b in it.price)
            for p, it in zip(prices, items, strict=True)
        )
        return prices if ok else None

    def add_record(
        self, task_id: str, record: ShoppingRecord, *, extend: bool = True
    ) -> str | None:
        """Add a task's gold products, decoys and distractors; returns a conflict message or None.

        With `extend` (base tasks) a missing gold product is reconstructed from the
        constraints and an existing one is extended to satisfy them too. Without it
        (mutated and proposed tasks) the gold products must already exist and are
        left as they are: a candidate is checked against the catalog, never the
        catalog bent to fit the candidate.
        """
        if task_id in self._tasks:
            return self.conflicts.get(task_id)
        self._tasks.add(task_id)
        rng = random.Random(f"{self.seed}:{task_id}")
        for w in tokens(" ".join(t for it in record.items for t in it.title)):
            if len(w) > 2 and not w.isdigit():
                self._words.append(w)
        problem = self._add_golds(task_id, record, rng, extend)
        if problem:
            self.conflicts[task_id] = problem
            return problem
        self.decoys[task_id] = [self._add_decoy(record, i, rng) for i in range(len(record.items))]
        shop_scoped = record.family == "shop" or (
            record.voucher is not None and record.voucher.voucher_type == "shop"
        )
        for item in record.items:
            gold = self._products[item.product_id]
            for n in range(self.n_distractors):
                # in a one-shop task the first distractor is a shop mate: the same shop sells
                # more than the requested items (and `add_shop_item` has something to add)
                self._add_distractor(gold, item, rng, same_shop=shop_scoped and n == 0)
        return None

    def _add_golds(
        self, task_id: str, record: ShoppingRecord, rng: random.Random, extend: bool
    ) -> str | None:
        if not extend:
            missing = [it.product_id for it in record.items if it.product_id not in self._products]
            if missing:
                return f"gold product {', '.join(missing)} is not in the catalog"
        if record.family == "web":
            assert record.web_product is not None
            prod = record.web_product
            if not extend:
                return None
            if not prod.shop_id:
                prod = prod.model_copy(update={"shop_id": rng.choice(self._shop_pool)})
            existing = self._products.get(prod.product_id)
            if existing is None or self.roles.get(prod.product_id) != "gold":
                self._insert(prod, "gold")
            return None
        shared_shop = record.family == "shop" or (
            record.family == "voucher"
            and record.voucher is not None
            and record.voucher.voucher_type == "shop"
        )
        existing_shops = {
            self._products[it.product_id].shop_id
            for it in record.items
            if it.product_id in self._products
        }
        if shared_shop and len(existing_shops) > 1:
            return "items of this task already exist in different shops"
        shop = (
            next(iter(existing_shops))
            if shared_shop and existing_shops
            else str(rng.randrange(1_000_000, 4_999_999))
        )
        prices: list[float] | None = None
        if record.family == "voucher" and record.voucher is not None:
            known = [
                self._products[it.product_id].price if it.product_id in self._products else None
                for it in record.items
            ]
            total = record.voucher.implied_total()
            if total is None:
                if record.voucher.price_after_voucher is None and all(k is not None for k in known):
                    prices = [float(k) for k in known if k is not None]
                else:
                    return "voucher arithmetic: price_after_voucher is inconsistent with the threshold and discount"
            elif all(k is not None for k in known):
                prices = [float(k) for k in known if k is not None]
                if abs(sum(prices) - total) > 0.05:
                    return f"voucher arithmetic: gold prices sum to {sum(prices):.2f}, the voucher implies {total:.2f}"
            else:
                fixed = sum(k for k in known if k is not None)
                free = [it for it, k in zip(record.items, known, strict=True) if k is None]
                split = self._split_total(free, round(total - fixed, 2), rng)
                if split is None:
                    return "voucher arithmetic: no item prices fit both the price bounds and the implied total"
                it_split = iter(split)
                prices = [k if k is not None else next(it_split) for k in known]
        for idx, item in enumerate(record.items):
            existing = self._products.get(item.product_id)
            if existing is not None:
                if shared_shop and existing.shop_id != shop:
                    return f"product {item.product_id} already exists in another shop"
                if not extend:
                    continue
                updated = self._merge(existing, item, rng)
                if updated is None:
                    return f"product {item.product_id} already exists with a price outside this task's bounds"
                if updated != existing:
                    self._insert(updated, "gold")
                continue
            price = (
                prices[idx]
                if prices is not None
                else self.item_price(item, random.Random(f"{self.seed}:{item.product_id}"))
            )
            self._insert(
                self._reconstruct(
                    item, price, shop if shared_shop else rng.choice(self._shop_pool), rng
                ),
                "gold",
            )
        return None

    def _reconstruct(
        self, item: ItemRequest, price: float, shop: str, rng: random.Random
    ) -> Product:
        attrs: dict[str, list[str]] = {}
        for k, v in item.attributes:
            attrs.setdefault(k, []).append(v)
        # a real product has more attributes and sku dimensions than a query asks about;
        # one extra of each (from a fixed vocabulary) is what add_attribute / add_sku use
        used = {k.lower() for k, _ in [*item.attributes, *item.sku_options]}
        attr_key = rng.choice(sorted(k for k in EXTRA_ATTRIBUTES if k not in used) or [""])
        if attr_key:
            attrs[attr_key] = [rng.choice(EXTRA_ATTRIBUTES[attr_key])]
        sku_key = rng.choice(sorted(k for k in EXTRA_SKU if k not in used) or [""])
        first = dict(item.sku_options)
        second = {k: self._alternative(k, {v}, rng) for k, v in item.sku_options}
        if sku_key:
            a, b = rng.sample(EXTRA_SKU[sku_key], 2)
            first[sku_key], second[sku_key] = a, b
        variants = {"1": first, "2": second} if first else {}
        extra = [s for s in SERVICES if s not in item.service and rng.random() < 0.25]
        return Product(
            product_id=item.product_id,
            shop_id=shop,
            title=item.title[0] if item.title else "product",
            price=price,
            service=[*item.service, *extra],
            sold_count=rng.randrange(0, 500),
            sku_options=variants,
            attributes=attrs,
            description=" ".join(item.title),
        )

    def _merge(self, product: Product, item: ItemRequest, rng: random.Random) -> Product | None:
        """Extend an existing gold product so it also satisfies `item` (None when the price cannot)."""
        if not all(b.satisfied(product.price) for b in item.price):
            return None
        attrs = {k: list(vs) for k, vs in product.attributes.items()}
        for k, v in item.attributes:
            if v not in attrs.setdefault(k, []):
                attrs[k].append(v)
        variants = {k: dict(v) for k, v in product.sku_options.items()}
        if item.sku_options and not any(
            all(opt.get(k) == v for k, v in item.sku_options) for opt in variants.values()
        ):
            variants[str(len(variants) + 1)] = dict(item.sku_options)
        service = list(dict.fromkeys([*product.service, *item.service]))
        return product.model_copy(
            update={"attributes": attrs, "sku_options": variants, "service": service}
        )

    def _add_decoy(self, record: ShoppingRecord, idx: int, rng: random.Random) -> str:
        item = record.items[idx]
        gold = self._products[item.product_id]
        kinds: list[str] = []
        if item.price:
            kinds.append("price")
        if item.service:
            kinds.append("service")
        if item.sku_options:
            kinds.append("sku")
        if item.attributes:
            kinds.append("attribute")
        if record.family == "web":
            kinds = [*kinds, "knowledge"]
        elif record.family == "voucher" and not kinds:
            kinds = ["budget"]
        elif record.family == "shop" and not kinds:
            kinds = ["shop"]
        elif not kinds:
            kinds = ["title"]
        kind = rng.choice(kinds)
        title = f"{gold.title} {rng.choice(FILLERS)}"
        update: dict[str, Any] = {
            "product_id": self._new_id(rng),
            "title": title,
            "sold_count": rng.randrange(0, 500),
            "description": gold.description,
        }
        attrs = {k: list(vs) for k, vs in gold.attributes.items()}
        variants = {k: dict(v) for k, v in gold.sku_options.items()}
        if kind == "price":
            lo, hi = item.price_interval()
            if lo is not None and lo > 0.01:
                # strictly below the lower bound (a "greater than 1" bound gets a price under 1)
                update["price"] = min(round(lo * rng.uniform(0.4, 0.9), 2), round(lo - 0.01, 2))
            else:
                update["price"] = round((hi or 100.0) * rng.uniform(1.15, 1.8) + 1, 2)
        elif kind == "service":
            drop = rng.choice(item.service)
            update["service"] = [s for s in gold.service if s != drop]
        elif kind in ("sku", "attribute"):
            pairs = item.sku_options if kind == "sku" else item.attributes
            key, value = rng.choice(pairs)
            alt = self._alternative(
                key, {v for k, v in [*item.sku_options, *item.attributes] if k == key}, rng
            )
            if key in attrs:
                attrs[key] = [alt if v == value else v for v in attrs[key]]
            for opt in variants.values():
                if opt.get(key) == value:
                    opt[key] = alt
        elif kind == "budget":
            v = record.voucher
            extra = (v.budget + (v.face_value or 0) + (v.cap or v.budget)) if v else 1000.0
            update["price"] = round(gold.price + extra, 2)
        elif kind == "shop":
            update["shop_id"] = rng.choice([s for s in self._shop_pool if s != gold.shop_id])
        elif kind == "title":
            update["title"] = self._dissimilar_title(gold.title, rng)
        elif kind == "knowledge":
            assert record.knowledge is not None
            ka = record.knowledge
            replacement = rng.choice(
                # a replacement that contains the answer ("Lu" in "Deluxe") would still name it
                [w for w in ("Classic", "Deluxe", "Prime", "Royal") if ka.lower() not in w.lower()]
            )
            update["title"] = _replace_ci(gold.title, ka, replacement)
            update["description"] = _replace_ci(gold.description, ka, replacement)
            update["short_description"] = _replace_ci(gold.short_description, ka, replacement)
            variants = {
                k: {a: _replace_ci(b, ka, replacement) for a, b in opt.items()}
                for k, opt in variants.items()
            }
            attrs = {k: [_replace_ci(v, ka, replacement) for v in vs] for k, vs in attrs.items()}
        update["attributes"] = attrs
        update["sku_options"] = variants
        decoy = gold.model_copy(update=update)
        self._insert(decoy, "decoy")
        return decoy.product_id

    def _dissimilar_title(self, title: str, rng: random.Random) -> str:
        """A title below the title check: some of the gold's first words, then random ones.

        Words are drawn against the lexical measure (cheap); the result must also
        fall below the benchmark's own measure, else it is redrawn with none of the
        gold's words (an embedding still sees "car wax" in "car wax galaxy clip").
        """
        words = tokens(title)
        pool = self._words or list(GENERIC_VALUES)
        cut = self.titles.threshold * 0.8
        out: list[str] = []
        foreign = [w for w in pool if w not in words] or pool
        for keep, draw in ((max(1, len(words) // 4), pool), (0, foreign)):
            out = list(words[:keep])
            while title_similarity(" ".join(out), title) >= TITLE_THRESHOLD * 0.8 or len(out) < len(
                words
            ):
                out.append(rng.choice(draw))
                if len(out) > 3 * len(words) + 6:
                    break
            if self.titles.similarity(" ".join(out), title) < cut:
                break
        return " ".join(out)

    def _add_distractor(
        self, gold: Product, item: ItemRequest, rng: random.Random, *, same_shop: bool = False
    ) -> None:
        attrs = {k: [self._alternative(k, set(vs), rng)] for k, vs in gold.attributes.items()}
        variants = (
            {
                "1": {
                    k: self._alternative(k, {v}, rng)
                    for k, v in (gold.sku_options.get("1") or {}).items()
                }
            }
            if gold.sku_options
            else {}
        )
        product = Product(
            product_id=self._new_id(rng),
            shop_id=gold.shop_id if same_shop else rng.choice(self._shop_pool),
            title=self._dissimilar_title(gold.title, rng),
            price=round(gold.price * rng.uniform(0.3, 2.5) + 1, 2),
            service=[s for s in SERVICES if rng.random() < 0.35],
            sold_count=rng.randrange(0, 2000),
            sku_options=variants,
            attributes=attrs,
        )
        self._insert(product, "distractor")


def _replace_ci(text: str, old: str, new: str) -> str:
    import re

    return re.sub(re.escape(old), new, text, flags=re.IGNORECASE) if old else text


def gold_products(record: ShoppingRecord, catalog: Mapping[str, Product]) -> list[Product | None]:
    return [catalog.get(it.product_id) for it in record.items]


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)
