"""Reading the report page back: tables as rows of header -> text."""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag


def table(soup: BeautifulSoup, table_id: str) -> list[dict[str, str]]:
    """The rows of the table with this id, each a dict from column header to cell text."""
    found = soup.find("table", id=table_id)
    assert isinstance(found, Tag), f"no table #{table_id} in the report"
    head = found.find("thead")
    assert isinstance(head, Tag)
    headers = [th.get_text(" ", strip=True) for th in head.find_all("th")]
    body = found.find("tbody")
    assert isinstance(body, Tag)
    rows = []
    for tr in body.find_all("tr"):
        cells = [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
        assert len(cells) == len(headers), f"#{table_id}: row {cells} does not match {headers}"
        rows.append(dict(zip(headers, cells, strict=True)))
    return rows


def ci_text(estimate: float, low: float, high: float) -> str:
    return f"{estimate:.2f} [{low:.2f}, {high:.2f}]"
