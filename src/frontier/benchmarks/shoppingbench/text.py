"""Deterministic lexical text helpers: tokens, title similarity, query keywords.

ShoppingBench scores a title match with a sentence-embedding similarity
(Qwen3-Embedding-0.6B, cosine >= 0.5; >= 0.8 for the web family). Offline, with
no model to download, we use token-set Jaccard similarity: lower-case the two
titles, split them into alphanumeric tokens, and divide the shared tokens by all
distinct tokens. A recommended product matches a requested title when the
similarity is at least TITLE_THRESHOLD (0.5) and, for the web family, at least
WEB_TITLE_THRESHOLD (0.8): ShoppingBench's own cut-offs, applied to this measure.

How it differs from the embedding: word order and punctuation never matter, and
a paraphrase with different words (e.g. "six-blade fan" vs "6 blade fan") scores
lower than an embedding would, so the lexical check is the stricter of the two on
rewordings. At 0.5 a title must share at least half of the two titles' combined
vocabulary, e.g. "steel water bottle" vs "steel water bottle blue large 1l" = 3/6.
Decoys in the embedded catalog keep the gold title plus one filler word, so they
pass the title check and fail exactly the constraint they break.

The option `titleSimilarity: embedding` swaps in a sentence embedding
(embedding.py) with its own thresholds; a TitleMeasure carries the function and
its two cut-offs together, so the grader never pairs a measure with another's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

TITLE_THRESHOLD = 0.5
WEB_TITLE_THRESHOLD = 0.8

_TOKEN = re.compile(r"[0-9a-z]+")

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "for",
        "to",
        "in",
        "on",
        "with",
        "without",
        "from",
        "by",
        "at",
        "as",
        "is",
        "are",
        "be",
        "that",
        "this",
        "these",
        "those",
        "it",
        "its",
        "i",
        "me",
        "my",
        "we",
        "you",
        "your",
        "looking",
        "look",
        "find",
        "show",
        "need",
        "want",
        "would",
        "like",
        "please",
        "some",
        "any",
        "one",
        "two",
        "three",
        "four",
        "first",
        "second",
        "third",
        "fourth",
        "lastly",
        "also",
        "another",
        "other",
        "item",
        "items",
        "product",
        "products",
        "priced",
        "price",
        "prices",
        "cost",
        "costs",
        "costing",
        "pesos",
        "peso",
        "php",
        "over",
        "under",
        "above",
        "below",
        "between",
        "more",
        "than",
        "less",
        "least",
        "most",
        "up",
        "only",
        "which",
        "what",
        "who",
        "where",
        "when",
        "how",
        "that's",
        "i'm",
        "budget",
        "voucher",
        "rules",
        "total",
        "shop",
        "shops",
        "store",
        "sells",
        "sell",
        "offers",
        "offering",
        "available",
        "comes",
        "come",
        "can",
        "could",
        "buy",
        "purchase",
        "get",
        "me",
        "made",
        "each",
        "per",
        "set",
    ]
)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def title_similarity(a: str, b: str) -> float:
    """Token-set Jaccard similarity in [0, 1]."""
    ta, tb = set(tokens(a)), set(tokens(b))
    if not ta and not tb:
        return 1.0
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


@dataclass(frozen=True)
class TitleMeasure:
    """A title similarity in [0, 1] with its cut-offs (all families; the web family)."""

    name: str
    similarity: Callable[[str, str], float]
    threshold: float
    web_threshold: float


LEXICAL = TitleMeasure("lexical", title_similarity, TITLE_THRESHOLD, WEB_TITLE_THRESHOLD)


def keywords(text: str) -> list[str]:
    """Content words of a query, in order, without duplicates or stop words."""
    seen: list[str] = []
    for tok in tokens(text):
        if (
            tok in STOPWORDS
            or tok in seen
            or (tok.isdigit() and len(tok) > 2)
            or (len(tok) == 1 and tok.isalpha())  # "i'm" -> "i", "m"
        ):
            continue
        seen.append(tok)
    return seen
