"""One agent's attempt at a ShoppingBench task: the prompts, the tools, the answer.

Tools follow ShoppingBench: find_product, view_product_information,
recommend_product (the final answer: ids in order), terminate, and web_search
for the web family. Invalid arguments return an error outcome whose message
says what to fix; an unreachable backend raises (a harness error, not a model failure).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from frontier.benchmarks.shoppingbench.catalog import MAX_PAGE, SORTS, Catalog, SearchRequest
from frontier.benchmarks.shoppingbench.models import SERVICES
from frontier.benchmarks.shoppingbench.websearch import WebSearch
from frontier.domain.interfaces import ToolOutcome, ToolSchema
from frontier.domain.tasks import FinalAnswer, Task


def _fn(name: str, description: str, properties: dict[str, Any], required: list[str]) -> ToolSchema:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


FIND_PRODUCT = _fn(
    "find_product",
    "Search for products and return up to 10 products, each with product_id, shop_id, title, price, service and sold_count.",
    {
        "q": {"type": "string", "description": 'The search query, e.g. "nike shoes".'},
        "page": {
            "type": "integer",
            "description": "Page 1 to 5, for more products.",
            "minimum": 1,
            "maximum": 5,
        },
        "shop_id": {"type": "string", "description": "Only search within this shop."},
        "price": {
            "type": "string",
            "description": 'Price range "lo-hi", e.g. "0-100", "100-1000", "1000-".',
        },
        "sort": {
            "type": "string",
            "enum": list(SORTS),
            "description": "priceasc, pricedesc, order (sales), default (relevance).",
        },
        "service": {
            "type": "string",
            "description": "Comma-separated services every product must offer: official (LazMall), freeShipping, COD, flashsale (LazFlash), or default.",
        },
    },
    ["q", "page"],
)
VIEW_PRODUCT = _fn(
    "view_product_information",
    "Details (descriptions, sku options, attributes) of one or more products.",
    {
        "product_ids": {
            "type": "string",
            "description": 'Comma-separated product ids, e.g. "123,456".',
        }
    },
    ["product_ids"],
)
RECOMMEND = _fn(
    "recommend_product",
    "Recommend products to the user: your final answer. List one product per requested item, in order.",
    {
        "product_ids": {
            "type": "string",
            "description": 'Comma-separated product ids, e.g. "123,456".',
        }
    },
    ["product_ids"],
)
TERMINATE = _fn(
    "terminate",
    "End the session (after recommending, or to give up).",
    {"status": {"type": "string", "enum": ["success", "failure"]}},
    [],
)
WEB_SEARCH = _fn(
    "web_search",
    "Search the web; returns a few results with a title and a snippet.",
    {"query": {"type": "string", "description": "What to look up."}},
    ["query"],
)

SYSTEM_PROMPT = (
    "You are a shopping assistant for an online marketplace (prices in Philippine pesos). "
    "Use find_product to search, view_product_information to check details (sku options, attributes), "
    "and recommend_product with the ids of the products that satisfy every requirement of the user, "
    "one per requested item. Then call terminate."
)


def _ids(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, int | str):
        return [p.strip() for p in str(value).split(",") if p.strip()]
    raise ValueError("product_ids must be a comma-separated string of ids")


class ShoppingEpisode:
    def __init__(self, task: Task, catalog: Catalog, web: WebSearch | None) -> None:
        self.task = task
        self.catalog = catalog
        self.web = web if task.family == "web" else None
        self._answer: list[str] | None = None
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def system_prompt(self) -> str:
        return SYSTEM_PROMPT + (
            " Use web_search to look up facts the request depends on." if self.web else ""
        )

    def user_prompt(self) -> str:
        return self.task.query

    def tools(self) -> list[ToolSchema]:
        tools = [FIND_PRODUCT, VIEW_PRODUCT, RECOMMEND, TERMINATE]
        return [*tools, WEB_SEARCH] if self.web is not None else tools

    def answer(self) -> FinalAnswer | None:
        return (
            None
            if self._answer is None
            else FinalAnswer(content={"product_ids": list(self._answer)})
        )

    async def _run(self, blocking: bool, fn: Any, *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args) if blocking else fn(*args)

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        self.calls.append((name, dict(arguments)))
        if not isinstance(arguments, dict):
            return ToolOutcome(content="arguments must be a JSON object", is_error=True)
        try:
            if name == "find_product":
                req = self._search_request(arguments)
                hits = await self._run(self.catalog.blocking, self.catalog.find, req)
                return ToolOutcome(content=json.dumps(hits, ensure_ascii=False))
            if name == "view_product_information":
                ids = _ids(arguments.get("product_ids", ""))
                if not ids:
                    raise ValueError('product_ids is required, e.g. "123,456"')
                infos = await self._run(self.catalog.blocking, self.catalog.view, ids)
                return ToolOutcome(content=json.dumps(infos, ensure_ascii=False))
            if name == "recommend_product":
                ids = _ids(arguments.get("product_ids", ""))
                if not ids:
                    raise ValueError(
                        "product_ids is required: the ids you recommend, comma-separated"
                    )
                self._answer = ids
                return ToolOutcome(content=f"Recommended {len(ids)} product(s).", final=True)
            if name == "terminate":
                return ToolOutcome(content="Session terminated.", final=True)
            if name == "web_search" and self.web is not None:
                query = arguments.get("query")
                if not isinstance(query, str) or not query.strip():
                    raise ValueError("query is required: a non-empty string")
                results = await self._run(self.web.blocking, self.web.search, query)
                return ToolOutcome(content=json.dumps(results, ensure_ascii=False))
        except ValueError as exc:
            return ToolOutcome(content=f"Invalid arguments for {name}: {exc}", is_error=True)
        names = ", ".join(t["function"]["name"] for t in self.tools())
        return ToolOutcome(
            content=f"Unknown tool {name!r}; available tools: {names}", is_error=True
        )

    @staticmethod
    def _search_request(args: dict[str, Any]) -> SearchRequest:
        q = args.get("q")
        if not isinstance(q, str) or not q.strip():
            raise ValueError("q is required: a non-empty search query")
        page_raw = args.get("page", 1)
        try:
            page = int(page_raw)
        except (TypeError, ValueError):
            raise ValueError(
                f"page must be an integer from 1 to {MAX_PAGE}, got {page_raw!r}"
            ) from None
        if not 1 <= page <= MAX_PAGE:
            raise ValueError(f"page must be from 1 to {MAX_PAGE}, got {page}")
        sort = args.get("sort") or "default"
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
        lo = hi = None
        price = args.get("price")
        if price not in (None, ""):
            parts = str(price).split("-")
            try:
                if len(parts) != 2:
                    raise ValueError
                lo = float(parts[0]) if parts[0].strip() else None
                hi = float(parts[1]) if parts[1].strip() else None
            except ValueError:
                raise ValueError(
                    f'price must look like "lo-hi", "lo-" or "-hi", got {price!r}'
                ) from None
        services: list[str] = []
        service = args.get("service")
        if service not in (None, ""):
            for s in str(service).split(","):
                s = s.strip()
                if not s or s == "default":
                    continue
                if s not in SERVICES:
                    raise ValueError(f"unknown service {s!r}; use {', '.join(SERVICES)} or default")
                services.append(s)
        shop = args.get("shop_id")
        return SearchRequest(
            q=q,
            page=page,
            shop_id=str(shop) if shop not in (None, "") else None,
            price_low=lo,
            price_high=hi,
            sort=sort,
            service=tuple(dict.fromkeys(services)),
        )
