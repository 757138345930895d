"""The lexical title similarity and query keywords."""

from __future__ import annotations

import pytest

from frontier.benchmarks.shoppingbench.text import (
    TITLE_THRESHOLD,
    WEB_TITLE_THRESHOLD,
    keywords,
    title_similarity,
)


@pytest.mark.parametrize(
    ("a", "b", "sim"),
    [
        ("Steel Water Bottle", "steel water bottle", 1.0),
        ("Steel Water Bottle", "bottle, water; STEEL!", 1.0),
        ("steel water bottle", "steel water bottle blue large 1l", 0.5),
        ("steel bottle", "plastic cup", 0.0),
        ("", "", 1.0),
        ("", "cup", 0.0),
    ],
)
def test_title_similarity_is_token_set_jaccard(a: str, b: str, sim: float) -> None:
    assert title_similarity(a, b) == sim


def test_the_thresholds_are_shoppingbenchs_cut_offs() -> None:
    assert (TITLE_THRESHOLD, WEB_TITLE_THRESHOLD) == (0.5, 0.8)


def test_keywords_drop_stop_words_duplicates_and_long_numbers() -> None:
    assert keywords("I'm looking for a red red mug under 250 pesos, size 12") == [
        "red",
        "mug",
        "size",
        "12",
    ]
