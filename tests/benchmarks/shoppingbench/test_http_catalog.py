"""The http catalog backend speaks the ShoppingBench search server's API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from frontier.benchmarks.shoppingbench import ShoppingBench
from frontier.benchmarks.shoppingbench.catalog import SearchRequest
from frontier.benchmarks.shoppingbench.http_catalog import CatalogUnavailable, HttpCatalog
from frontier.benchmarks.shoppingbench.websearch import HttpWebSearch
from frontier.domain.tasks import FinalAnswer
from tests.benchmarks.conftest import task_of
from tests.benchmarks.shoppingbench.fake_search_server import FakeServer, fake_search_server


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with fake_search_server() as running:
        yield running


def test_find_sends_the_servers_parameters(server: FakeServer) -> None:
    catalog = HttpCatalog(server.base_url + "/")
    hits = catalog.find(
        SearchRequest(
            q="bottle",
            page=2,
            shop_id="9",
            price_low=10,
            price_high=None,
            sort="priceasc",
            service=("COD", "official"),
        )
    )
    assert [h["product_id"] for h in hits] == ["111"]
    assert server.requests == [
        (
            "/find_product",
            {
                "q": "bottle",
                "page": "2",
                "shop_id": "9",
                "price": "10-",
                "sort": "priceasc",
                "service": "COD,official",
            },
        )
    ]
    catalog.find(SearchRequest(q="cup", price_high=50))
    assert server.requests[-1] == ("/find_product", {"q": "cup", "page": "1", "price": "-50"})


def test_products_merge_search_hits_and_details_for_grading(server: FakeServer) -> None:
    catalog = HttpCatalog(server.base_url)
    catalog.find(SearchRequest(q="bottle"))
    [product] = catalog.products(["111"]).values()
    assert (product.title, product.price, product.attributes) == (
        "Steel Water Bottle 1L",
        150.0,
        {"material": ["steel"]},
    )
    assert server.requests[-1][0] == "/view_product_information"


def test_a_product_never_found_in_a_search_is_unknown_for_grading(server: FakeServer) -> None:
    catalog = HttpCatalog(server.base_url)
    assert catalog.products(["222", "999"]) == {}  # no title or price without a search hit
    assert server.requests == [("/view_product_information", {"product_ids": "222,999"})]


@pytest.mark.parametrize(
    ("mode", "message"), [("error", "500"), ("garbage", "expected a JSON list")]
)
def test_a_failing_server_is_a_harness_error(server: FakeServer, mode: str, message: str) -> None:
    server.mode = mode
    with pytest.raises(CatalogUnavailable, match=message):
        HttpCatalog(server.base_url).find(SearchRequest(q="bottle"))


def test_an_unreachable_server_is_a_harness_error() -> None:
    with fake_search_server() as gone:
        url = gone.base_url
    with pytest.raises(CatalogUnavailable, match="search server"):
        HttpCatalog(url, timeout=2).find(SearchRequest(q="bottle"))


async def test_a_shoppingbench_episode_plays_against_the_server(server: FakeServer) -> None:
    bench = ShoppingBench({"catalog": "http", "base_url": server.base_url})
    task = task_of(
        {
            "query": "a steel bottle",
            "reward": {
                "product_id": "111",
                "title": ["Steel Water Bottle"],
                "attributes": [{"material": ["steel"]}],
                "price": [{"greater than": [100, None]}],
            },
        }
    )
    bench.prepare([task])
    episode = bench.episode(task)
    out = await episode.call("find_product", {"q": "bottle", "page": 1})
    assert '"111"' in out.content
    await episode.call("recommend_product", {"product_ids": "111"})
    assert bench.grade(task, episode.answer()).success


async def test_a_product_found_in_a_search_is_graded_on_its_merits(server: FakeServer) -> None:
    bench = ShoppingBench({"catalog": "http", "base_url": server.base_url})
    task = task_of(
        {
            "query": "a cup",
            "reward": {
                "product_id": "333",
                "title": ["Plastic Cup"],
                "price": [{"less than": [None, 50]}],
            },
        }
    )
    episode = bench.episode(task)
    await episode.call("find_product", {"q": "cup", "page": 1})
    assert bench.grade(task, FinalAnswer(content={"product_ids": ["222"]})).success
    bottle = bench.grade(task, FinalAnswer(content={"product_ids": ["111"]}))
    assert (bottle.reward, bottle.success) == (0.0, False)  # never found: unknown
    assert "unknown product ids: 111" in [c.detail for c in bottle.checks][-1]


async def test_an_episode_raises_when_the_server_is_down(server: FakeServer) -> None:
    bench = ShoppingBench({"catalog": "http", "base_url": server.base_url})
    task = task_of({"query": "a bottle", "reward": {"product_id": "111", "title": ["Bottle"]}})
    server.mode = "error"
    with pytest.raises(CatalogUnavailable):
        await bench.episode(task).call("find_product", {"q": "bottle", "page": 1})


def test_the_http_catalog_needs_a_base_url() -> None:
    with pytest.raises(ValueError, match="base_url is required"):
        ShoppingBench({"catalog": "http"})
    with pytest.raises(ValueError, match="catalog must be 'embedded' or 'http'"):
        ShoppingBench({"catalog": "postgres"})


def test_http_web_search_reads_title_and_snippet(server: FakeServer) -> None:
    results = HttpWebSearch(server.base_url + "/web").search("milan")
    assert results == [{"title": "Q", "snippet": "about milan"}]
