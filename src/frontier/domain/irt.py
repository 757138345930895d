"""Item response theory for a living benchmark: the calibrated item bank's words and formulas.

A two-parameter logistic (2PL) item bank puts models (abilities θ) and tasks
(discrimination a, difficulty b) on one scale, so a refit, a new slice or a
newly placed model stays comparable; this module holds the values and the
closed-form formulas, in plain math, and the pipeline does the fitting.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Flag = Literal["suspect_grading", "uninformative"]


@dataclass(frozen=True)
class ItemParams:
    """One task's 2PL parameters with their standard errors; `n` counts its trials."""

    task_id: str
    a: float
    b: float
    a_se: float
    b_se: float
    flag: Flag | None = None
    n: int = 0


@dataclass(frozen=True)
class Ability:
    """One model's ability on the calibrated scale; `n` counts its trials."""

    model: str
    theta: float
    se: float
    n: int = 0


@dataclass(frozen=True)
class Calibration:
    """One fit of the item bank: items, abilities, how the scale is fixed and by what."""

    items: tuple[ItemParams, ...]
    abilities: tuple[Ability, ...]
    anchor: str
    library: str
    library_version: str
    fit: Mapping[str, float]

    def item(self, task_id: str) -> ItemParams:
        """The item of `task_id`; KeyError if the calibration has none."""
        for it in self.items:
            if it.task_id == task_id:
                return it
        raise KeyError(task_id)

    def ability(self, model: str) -> Ability:
        """The ability of `model`; KeyError if the calibration has none."""
        for ab in self.abilities:
            if ab.model == model:
                return ab
        raise KeyError(model)


def askable(item: ItemParams) -> bool:
    """Whether an adaptive test may ask the item: unflagged, and success rises with ability."""
    return item.flag is None and item.a > 0


def p_success(theta: float, a: float, b: float) -> float:
    """P(success) of one trial under the 2PL: 1 / (1 + exp(-a(θ - b))), overflow-safe."""
    z = a * (theta - b)
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def information(theta: float, a: float, b: float, trials: int = 1) -> float:
    """Fisher information about θ of `trials` independent trials of one item: trials · a² P (1 - P).

    Args:
        theta: the ability at which to measure.
        a, b: the item's discrimination and difficulty.
        trials: how many rollouts (binomial trials) of the item; 0 gives 0.

    Returns:
        The binomial Fisher information, `trials` times the Bernoulli one.
    """
    if trials < 0:
        raise ValueError(f"trials must be >= 0, got {trials}")
    p = p_success(theta, a, b)
    return trials * a * a * p * (1.0 - p)


def expected_pass(theta: float, items: Iterable[ItemParams]) -> float:
    """The mean P(success) at θ over `items` (the expected pass rate of a model of ability θ).

    Args:
        theta: the ability.
        items: the item set (e.g. a slice's tasks); must not be empty.

    Returns:
        The mean of `p_success(theta, a, b)` over the items.
    """
    total = 0.0
    count = 0
    for it in items:
        total += p_success(theta, it.a, it.b)
        count += 1
    if count == 0:
        raise ValueError("expected_pass needs at least one item")
    return total / count


UNINFORMATIVE_BELOW = 0.2
"""|a| under this says an item barely separates models."""


def flag_item(
    a: float, a_se: float, *, z: float = 1.96, uninformative_below: float = UNINFORMATIVE_BELOW
) -> Flag | None:
    """Flag an item by its discrimination.

    Args:
        a, a_se: the fitted discrimination and its standard error.
        z: the normal quantile of the interval (1.96: 95%).
        uninformative_below: |a| under this says the item barely separates models.

    Returns:
        "suspect_grading" when a < 0 and the interval a ± z·se excludes 0 (stronger
        models fail it more: the grader is likely inverted), "uninformative" when
        |a| < `uninformative_below`, else None.
    """
    if a < 0 and a + z * a_se < 0:
        return "suspect_grading"
    if abs(a) < uninformative_below:
        return "uninformative"
    return None


def inverted_by_fdr(a: Sequence[float], a_se: Sequence[float], q: float = 0.10) -> list[bool]:
    """Which items are suspect_grading with the false discovery rate held at `q`.

    A bank tests every item at once: 600 items at a one-sided 2.5% level flag about 15
    by chance alone. Each item's one-sided p-value that its discrimination is not below 0
    (a / se under a normal approximation) goes through the Benjamini-Hochberg procedure,
    so among the flagged items at most a share `q` is expected to be wrongly flagged.

    Args:
        a, a_se: each item's fitted discrimination and its standard error.
        q: the false discovery rate to hold.
    Returns:
        One bool per item, True where it is flagged.
    """
    pvalues = [
        0.5 * (1.0 + math.erf((ai / se) / math.sqrt(2.0))) if se > 0 else 1.0
        for ai, se in zip(a, a_se, strict=True)
    ]
    order = sorted(range(len(pvalues)), key=pvalues.__getitem__)
    cutoff = 0
    for rank, index in enumerate(order, start=1):
        if pvalues[index] <= q * rank / len(pvalues):
            cutoff = rank
    flagged = [False] * len(pvalues)
    for index in order[:cutoff]:
        flagged[index] = a[index] < 0
    return flagged
