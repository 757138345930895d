"""The figures as drawn: where their value labels land, measured on the rendered canvas."""

from __future__ import annotations

import re
from dataclasses import replace
from itertools import combinations

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from frontier.report.data import RoundView
from frontier.report.figures import rounds_figure
from frontier.store import CandidateCounts
from tests.report.conftest import EmbeddedRun

# yield labels ("83%") and rollouts per admitted task ("3.9")
VALUE_LABEL = re.compile(r"^\d+%$|^\d+\.\d$")


def round_view(number: int, generated: int, admitted: int, spent: int) -> RoundView:
    counts = CandidateCounts(
        generated=generated,
        admitted=admitted,
        rejected=generated - admitted,
        by_reason={"saturated": generated - admitted},
        rollouts_spent=spent,
    )
    return RoundView(number, "SliceBelowTarget", "Succeeded", counts, number)


def value_labels(rounds: list[RoundView], embedded: EmbeddedRun) -> list[tuple[str, Bbox]]:
    fig, _ = rounds_figure(replace(embedded.report.data, rounds=rounds))
    FigureCanvasAgg(fig).draw()
    texts = [t for ax in fig.axes for t in ax.texts if isinstance(t, Text)]
    return [(t.get_text(), t.get_window_extent()) for t in texts if VALUE_LABEL.match(t.get_text())]


CASES = {
    # The sample run's three rounds: round 3's 83% bar top met its 3.9 point.
    "the sample run": [
        round_view(1, 70, 48, 240),
        round_view(2, 80, 56, 249),
        round_view(3, 76, 63, 244),
    ],
    # One round puts the point at 1/1.3 of its scale, the bar top at 88.5/115 of its own.
    "a bar top on its point": [round_view(1, 200, 177, 708)],
    "twenty rounds": [round_view(n, 100, 40 + n, 400 - 5 * n) for n in range(1, 21)],
}


@pytest.mark.parametrize("rounds", CASES.values(), ids=CASES.keys())
def test_yield_and_rollouts_per_admitted_labels_never_overlap(
    rounds: list[RoundView], embedded: EmbeddedRun
) -> None:
    labels = value_labels(rounds, embedded)
    assert sum(text.endswith("%") for text, _ in labels) >= min(len(rounds), 10)
    assert sum("." in text for text, _ in labels) >= min(len(rounds), 10)
    for (a, box_a), (b, box_b) in combinations(labels, 2):
        assert not box_a.padded(1).overlaps(box_b.padded(1)), f"{a!r} overlaps {b!r}"


def test_every_rounds_values_are_labelled_when_there_are_few_rounds(
    embedded: EmbeddedRun,
) -> None:
    labels = [text for text, _ in value_labels(CASES["the sample run"], embedded)]
    assert sorted(labels) == sorted(["69%", "70%", "83%", "5.0", "4.4", "3.9"])
