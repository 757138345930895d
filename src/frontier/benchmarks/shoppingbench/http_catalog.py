"""The ShoppingBench search server's HTTP API as a catalog backend.

For users who run the full 2.5M-product server: GET {base_url}/find_product with
q, page, shop_id, price "lo-hi", sort, service; GET {base_url}/view_product_information
with product_ids "a,b". The server's view returns no title or price, so products
seen in search hits and views are merged into a cache that grading reads; a
recommended product the episode never saw is fetched by view (title and price
then unknown, and those checks fail).
"""

from __future__ import annotations

from collections.abc import Sequence
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
        return infos

    def products(self, product_ids: Sequence[str]) -> dict[str, Product]:
        missing = [pid for pid in product_ids if pid not in self._seen]
        if missing:
            self.view(missing)
        out = {}
        for pid in product_ids:
            rec = self._seen.get(pid)
            if rec is not None:
                out[pid] = Product.model_validate({"title": "", **rec, "product_id": pid})
        return out
