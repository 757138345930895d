"""Lexical similarity of task texts, for duplicate and near-duplicate screening.

Deterministic and dependency-free on purpose: the screen must give the same
verdict on a laptop and in a Job. Word unigrams and bigrams make a one-word
edit in a short query count more than in a long one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise

_WORD = re.compile(r"[\w.]+", re.UNICODE)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_WORD.findall(text))


def shingles(text: str) -> frozenset[str]:
    words = normalize(text).split()
    grams = set(words)
    grams.update(f"{a} {b}" for a, b in pairwise(words))
    return frozenset(grams)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class Nearest:
    task_id: str | None
    similarity: float


def nearest(text: str, pool: Mapping[str, frozenset[str]]) -> Nearest:
    """The most similar text in a pool of precomputed shingle sets."""
    probe = shingles(text)
    best_id: str | None = None
    best = 0.0
    for task_id, other in sorted(pool.items()):
        s = jaccard(probe, other)
        if s > best:
            best_id, best = task_id, s
    return Nearest(best_id, best)


def shingle_pool(items: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    return {task_id: shingles(text) for task_id, text in items}
