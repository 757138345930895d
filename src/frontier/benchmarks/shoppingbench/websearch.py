"""Web search for the web family: an offline knowledge source built from the tasks, or HTTP.

Offline, each web task's Knowledge_Attribute becomes a snippet that answers the
task's question and is found by the question's words; the other tasks' snippets
are the noise. An HTTP provider (GET {url}?q=...) returning a JSON list of
{title, snippet} serves users with a real search service.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import httpx

from frontier.benchmarks.shoppingbench.text import keywords


class WebSearch(Protocol):
    blocking: bool

    def search(self, query: str) -> list[dict[str, str]]: ...


def question_of(query: str) -> str:
    """The knowledge question of a web-family query (its first sentence ending with '?')."""
    m = re.match(r"(.+?\?)", query, flags=re.S)
    return (m.group(1) if m else query.split(".")[0]).strip()


class OfflineWebSearch:
    blocking = False

    def __init__(self, max_results: int = 3) -> None:
        self.max_results = max_results
        self._docs: dict[str, tuple[str, str, set[str]]] = {}

    def add(self, task_query: str, answer: str) -> None:
        question = question_of(task_query)
        self._docs[question] = (question, answer, set(keywords(question)))

    def facts(self) -> list[tuple[str, str]]:
        """Every (question, answer) this source can answer, in a stable order."""
        return sorted((question, answer) for question, answer, _ in self._docs.values())

    def answer(self, question: str) -> str | None:
        doc = self._docs.get(question_of(question))
        return doc[1] if doc else None

    def search(self, query: str) -> list[dict[str, str]]:
        words = set(keywords(query))
        if not words:
            return []
        scored = []
        for question, answer, doc_words in self._docs.values():
            overlap = len(words & doc_words)
            if overlap:
                scored.append((overlap / (len(doc_words) or 1), question, answer))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [
            {"title": q, "snippet": f"{q} Answer: {a}."} for _, q, a in scored[: self.max_results]
        ]


class HttpWebSearch:
    blocking = True

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url
        self.timeout = timeout

    def search(self, query: str) -> list[dict[str, str]]:
        resp = httpx.get(self.url, params={"q": query}, timeout=self.timeout)
        resp.raise_for_status()
        data: Any = resp.json()
        if not isinstance(data, list):
            raise ValueError(
                f"web search at {self.url} returned {type(data).__name__}, expected a list"
            )
        return [
            {"title": str(d.get("title", "")), "snippet": str(d.get("snippet", ""))} for d in data
        ]
