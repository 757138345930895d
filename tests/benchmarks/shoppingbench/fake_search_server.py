"""A tiny stand-in for ShoppingBench's search server (and a web search provider), on localhost.

It speaks the same API as the real server: GET /find_product and GET
/view_product_information (which, like the real one, returns no title or
price), and records every request so tests can check the parameters sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

PRODUCTS: dict[str, dict[str, Any]] = {
    "111": {
        "product_id": "111",
        "shop_id": "9",
        "title": "Steel Water Bottle 1L",
        "price": 150.0,
        "service": ["COD"],
        "sold_count": 5,
        "sku_options": {"1": {"color": "red"}},
        "attributes": {"material": ["steel"]},
        "description": "a bottle",
    },
    "222": {
        "product_id": "222",
        "shop_id": "9",
        "title": "Plastic Cup",
        "price": 20.0,
        "service": [],
        "sold_count": 50,
        "sku_options": {},
        "attributes": {},
        "description": "a cup",
    },
}
SEARCH = ("product_id", "shop_id", "title", "price", "service", "sold_count")
INFO = ("product_id", "description", "sku_options", "attributes")


class FakeServer:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.mode = "ok"  # "ok", "error" (HTTP 500) or "garbage" (not a list)
        self.base_url = ""


@contextmanager
def fake_search_server() -> Iterator[FakeServer]:
    state = FakeServer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            state.requests.append((url.path, params))
            if state.mode == "error":
                self.send_error(500, "boom")
                return
            body: Any
            if state.mode == "garbage":
                body = {"not": "a list"}
            elif url.path == "/find_product":
                words = params.get("q", "").lower().split()
                body = [
                    {k: p[k] for k in SEARCH}
                    for p in PRODUCTS.values()
                    if any(w in p["title"].lower() for w in words)
                ]
            elif url.path == "/view_product_information":
                ids = params.get("product_ids", "").split(",")
                body = [{k: PRODUCTS[i][k] for k in INFO} for i in ids if i in PRODUCTS]
            elif url.path == "/web":
                body = [{"title": "Q", "snippet": f"about {params.get('q')}"}]
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
