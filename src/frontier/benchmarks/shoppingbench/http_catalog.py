"""The ShoppingBench search server's HTTP API as a catalog backend.

For users who run the full 2.5M-product server: GET {base_url}/find_product with
q, page, shop_id, price "lo-hi", sort, service; GET {base_url}/view_product_information
with product_ids "a,b". The server's view returns no title or price and a search
hit no sku options or attributes, so hits and views are merged into a cache that
grading reads, and grading views any recommended id not viewed yet. A product
never found in a search has no known title or price and is graded as unknown.

Grounding and mutation read gold products through `locate` and `get`: a gold id
exists when the server's view returns it, and its title and price come from a
search for the titles the task requests for it. Mutations see only what the
server returned (`get`, `shop_products`), never the embedded builder's invented
attributes and sku dimensions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from frontier.benchmarks.shoppingbench.catalog import SearchRequest
from frontier.benchmarks.shoppingbench.models import Product


class CatalogUnavailable(RuntimeError):
    """The search server could not be reached or answered garbage: a harness error."""


class HttpCatalog:
    blocking = True

    def __init__(
        self, base_url: str, *, timeout: float = 30.0, client: httpx.Client | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout)
        self._seen: dict[str, dict[str, Any]] = {}
        self._viewed: set[str] = set()
        self.roles: Mapping[str, str] = {}  # a real server has no decoys to tell apart

    def _get(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        url = f"{self.base_url}{path}"
        try:
            resp = self._client.get(url, params=params)
            resp.raise_for_status()
            data = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise CatalogUnavailable(f"search server {url}: {exc}") from exc
        if not isinstance(data, list):
            raise CatalogUnavailable(
                f"search server {url}: expected a JSON list, got {type(data).__name__}"
            )
        return [d for d in data if isinstance(d, dict)]

    def _remember(self, record: dict[str, Any]) -> None:
        pid = str(record.get("product_id", ""))
        if pid:
            self._seen.setdefault(pid, {}).update(record)

    def find(self, request: SearchRequest) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"q": request.q, "page": request.page}
        if request.shop_id:
            params["shop_id"] = request.shop_id
        if request.price_low is not None or request.price_high is not None:
            lo = "" if request.price_low is None else f"{request.price_low:g}"
            hi = "" if request.price_high is None else f"{request.price_high:g}"
            params["price"] = f"{lo}-{hi}"
        if request.sort and request.sort != "default":
            params["sort"] = request.sort
        if request.service:
            params["service"] = ",".join(request.service)
        hits = self._get("/find_product", params)
        for h in hits:
            self._remember(h)
        return hits

    def view(self, product_ids: Sequence[str]) -> list[dict[str, Any]]:
        if not product_ids:
            return []
        infos = self._get("/view_product_information", {"product_ids": ",".join(product_ids)})
        for info in infos:
            self._remember(info)
            self._viewed.add(str(info.get("product_id", "")))
        return infos

    def products(self, product_ids: Sequence[str]) -> dict[str, Product]:
        # a search hit has no sku options or attributes: fetch the details of any id not viewed
        missing = [pid for pid in dict.fromkeys(product_ids) if pid not in self._viewed]
        if missing:
            self.view(missing)
        out = {}
        for pid in product_ids:
            rec = self._seen.get(pid)
            # without a search hit the title and price are unknown: such an id cannot be
            # checked against the task and is graded as an unknown product
            if rec is not None and "price" in rec and "title" in rec:
                out[pid] = Product.model_validate({**rec, "product_id": pid})
        return out

    def exists(self, product_id: str) -> bool:
        """Whether the server's view knows the id (viewing it if not viewed yet)."""
        if product_id not in self._viewed:
            self.view([product_id])
        return product_id in self._viewed

    def get(self, product_id: str) -> Product | None:
        """The server's record of a viewed id with a known title and price, else None."""
        if not self.exists(product_id):
            return None
        return self.products([product_id]).get(product_id)

    def locate(self, product_id: str, titles: Sequence[str]) -> Product | None:
        """A gold product's full record: viewed, with title and price from a search for `titles`."""
        if not self.exists(product_id):
            return None
        for title in titles:
            if product_id in self.products([product_id]):
                break
            self.find(SearchRequest(q=title))
        return self.products([product_id]).get(product_id)

    def shop_products(self, shop_id: str) -> list[Product]:
        """The products of a shop met in searches so far, with their viewed details."""
        ids = [pid for pid, rec in self._seen.items() if str(rec.get("shop_id")) == shop_id]
        return list(self.products(ids).values())
