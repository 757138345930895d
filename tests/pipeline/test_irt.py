from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest

from frontier.domain.irt import ItemParams, information, p_success
from frontier.pipeline.irt import Responses, estimate_theta, fit, place


@dataclass
class Synthetic:
    theta: npt.NDArray[np.float64]
    a: npt.NDArray[np.float64]
    b: npt.NDArray[np.float64]
    responses: Responses
    flipped: frozenset[str]


def synthetic(
    models: int = 20,
    tasks: int = 150,
    k: int = 4,
    *,
    missing: float = 0.2,
    flipped: int = 0,
    seed: int = 0,
) -> Synthetic:
    """A 2PL frontier: θ ~ N(0,1), log a ~ N(0, 0.5), b ~ N(0,1); `flipped` graders inverted."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 1, models)
    a = rng.lognormal(0, 0.5, tasks)
    b = rng.normal(0, 1, tasks)
    flip = rng.choice(tasks, flipped, replace=False)
    a_true = a.copy()
    a_true[flip] *= -1
    p = 1 / (1 + np.exp(-a_true * (theta[:, None] - b)))
    n = np.where(rng.random((models, tasks)) < missing, 0, k)
    s = rng.binomial(n, p)
    names_m = tuple(f"m{i:02d}" for i in range(models))
    names_t = tuple(f"t{j:03d}" for j in range(tasks))
    return Synthetic(
        theta,
        a_true,
        b,
        Responses(names_m, names_t, s, n),
        frozenset(names_t[j] for j in flip),
    )


def corr(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    return float(np.corrcoef(x, y)[0, 1])


@pytest.fixture(scope="module")
def frontier() -> Synthetic:
    return synthetic()


def test_a_small_synthetic_2pl_is_recovered(frontier: Synthetic) -> None:
    cal = fit(frontier.responses)
    assert corr([i.b for i in cal.items], frontier.b) > 0.85
    assert corr([i.a for i in cal.items], frontier.a) > 0.6
    assert corr([m.theta for m in cal.abilities], frontier.theta) > 0.97
    assert cal.fit["converged"] == 1.0
    assert cal.library == "numpy" and cal.library_version


def test_without_anchor_tasks_the_abilities_have_mean_0_and_sd_1(frontier: Synthetic) -> None:
    cal = fit(frontier.responses)
    thetas = np.array([m.theta for m in cal.abilities])
    assert thetas.mean() == pytest.approx(0.0, abs=1e-9)
    assert thetas.std() == pytest.approx(1.0)
    assert "mean θ 0, sd 1" in cal.anchor


def test_standard_errors_are_positive_and_shrink_with_more_trials(frontier: Synthetic) -> None:
    cal = fit(frontier.responses)
    more = frontier.responses
    doubled = Responses(more.models, more.tasks, more.successes * 2, more.trials * 2)
    cal2 = fit(doubled)
    se = np.array([m.se for m in cal.abilities])
    se2 = np.array([m.se for m in cal2.abilities])
    assert (se > 0).all() and (se2 < se).all()
    assert all(i.a_se > 0 and i.b_se > 0 for i in cal.items)
    assert np.median([i.b_se for i in cal2.items]) < np.median([i.b_se for i in cal.items])


def test_missing_cells_add_nothing_and_the_counts_are_kept() -> None:
    syn = synthetic(missing=0.5, seed=1)
    cal = fit(syn.responses)
    assert corr([m.theta for m in cal.abilities], syn.theta) > 0.95
    trials = syn.responses.trials
    assert [i.n for i in cal.items] == list(trials.sum(0))
    assert [m.n for m in cal.abilities] == list(trials.sum(1))
    assert cal.fit["responses"] == float((trials > 0).sum())


def test_a_task_or_model_without_trials_is_left_out() -> None:
    syn = synthetic(models=6, tasks=30, seed=2)
    r = syn.responses
    n = r.trials.copy()
    n[:, 3] = 0
    n[2, :] = 0
    s = np.where(n > 0, r.successes, 0)
    cal = fit(Responses(r.models, r.tasks, s, n))
    assert r.tasks[3] not in {i.task_id for i in cal.items}
    assert r.models[2] not in {m.model for m in cal.abilities}
    assert len(cal.items) == 29 and len(cal.abilities) == 5


def test_three_models_are_enough_to_fit_and_anchor_on_tasks() -> None:
    syn = synthetic(models=3, tasks=100, seed=11)
    cal = fit(syn.responses, anchor_tasks=syn.responses.tasks[:20])
    assert len(cal.abilities) == 3 and cal.fit["converged"] == 1.0
    assert all(np.isfinite([i.a, i.b, i.a_se, i.b_se]).all() for i in cal.items)
    ranked = sorted(cal.abilities, key=lambda m: m.theta)
    assert [m.model for m in ranked] == [syn.responses.models[i] for i in np.argsort(syn.theta)]


def test_the_placement_prior_can_be_moved_to_the_banks_abilities() -> None:
    assert estimate_theta([], prior_mean=1.5, prior_sd=0.5) == pytest.approx((1.5, 0.5), abs=1e-3)
    with pytest.raises(ValueError):
        estimate_theta([], prior_sd=0.0)


def test_responses_from_cells_add_up_repeats_and_leave_absent_cells_missing() -> None:
    r = Responses.from_cells([("m2", "t1", 1, 2), ("m1", "t2", 3, 4), ("m2", "t1", 2, 2)])
    assert r.models == ("m1", "m2") and r.tasks == ("t1", "t2")
    assert r.successes.tolist() == [[0, 3], [3, 0]]
    assert r.trials.tolist() == [[0, 4], [4, 0]]


def test_responses_refuse_more_successes_than_trials() -> None:
    with pytest.raises(ValueError):
        Responses(("m",), ("t",), np.array([[3]]), np.array([[2]]))


def test_planted_flipped_grading_items_are_flagged_suspect_grading() -> None:
    syn = synthetic(models=40, tasks=200, flipped=10, seed=3)
    cal = fit(syn.responses)
    suspect = {i.task_id for i in cal.items if i.flag == "suspect_grading"}
    found = len(suspect & syn.flipped)
    assert found >= 7
    assert found / max(len(suspect), 1) >= 0.8


def test_anchoring_keeps_a_refit_on_the_same_scale() -> None:
    syn = synthetic(models=20, tasks=150, seed=4)
    anchors = syn.responses.tasks[:50]
    first = fit(syn.responses, anchor_tasks=anchors)
    anchored_b = np.array([first.item(t).b for t in anchors])
    assert anchored_b.mean() == pytest.approx(0.0, abs=1e-9)
    assert anchored_b.std() == pytest.approx(1.0)
    # the refit loses five models and gains five much stronger ones: the ability mean
    # moves, the anchored scale does not
    rng = np.random.default_rng(5)
    stronger = rng.normal(1.5, 0.5, 5)
    n_new = np.full((5, 150), 4)
    s_new = rng.binomial(n_new, 1 / (1 + np.exp(-syn.a * (stronger[:, None] - syn.b))))
    keep = slice(5, 20)
    shared = syn.responses.models[keep]
    later = Responses(
        shared + tuple(f"new{i}" for i in range(5)),
        syn.responses.tasks,
        np.vstack([syn.responses.successes[keep], s_new]),
        np.vstack([syn.responses.trials[keep], n_new]),
    )
    refit = fit(later, anchor_tasks=anchors)
    drift = [refit.ability(m).theta - first.ability(m).theta for m in shared]
    assert abs(float(np.mean(drift))) < 0.15
    assert max(abs(d) for d in drift) < 3 * max(first.ability(m).se for m in shared)
    # without anchors the abilities are re-standardised, so the same models move
    free_first, free_refit = fit(syn.responses), fit(later)
    moved = np.mean([free_refit.ability(m).theta - free_first.ability(m).theta for m in shared])
    assert abs(moved) > 2 * abs(float(np.mean(drift)))


def test_anchor_tasks_must_have_trials_and_differ() -> None:
    syn = synthetic(models=6, tasks=30, seed=7)
    with pytest.raises(ValueError):
        fit(syn.responses, anchor_tasks=["nope", "t000"])
    with pytest.raises(ValueError):
        fit(syn.responses, anchor_tasks=["t000"])


def test_placement_reaches_the_target_se_with_few_items_near_the_true_theta(
    frontier: Synthetic,
) -> None:
    cal = fit(frontier.responses)
    # the bank's scale is an affine map of the generator's: fit it on the calibrated models
    fitted = np.array([m.theta for m in cal.abilities])
    slope, intercept = np.polyfit(frontier.theta, fitted, 1)
    index = {t: j for j, t in enumerate(frontier.responses.tasks)}
    rng = np.random.default_rng(8)
    for true in (-1.5, 0.0, 1.2):

        def answer(task_id: str, true: float = true) -> tuple[int, int]:
            j = index[task_id]
            return int(rng.binomial(4, p_success(true, frontier.a[j], frontier.b[j]))), 4

        placed = place(cal.items, answer, target_se=0.3, max_items=60)
        assert placed.se <= 0.3
        assert len(placed.items) < len(cal.items) // 5
        assert len(set(placed.items)) == len(placed.items)
        assert abs(placed.theta - (slope * true + intercept)) < 3 * placed.se
        assert placed.trials == 4 * len(placed.items)


def test_placement_picks_the_most_informative_item_first() -> None:
    syn = synthetic(models=10, tasks=40, seed=9)
    cal = fit(syn.responses)
    usable = [i for i in cal.items if i.flag is None and i.a > 0]
    best = max(usable, key=lambda i: information(0.4, i.a, i.b))
    placed = place(cal.items, lambda t: (1, 1), max_items=1, start_theta=0.4)
    assert placed.items == (best.task_id,)


def test_placement_stops_at_max_items_and_never_asks_a_flagged_item() -> None:
    syn = synthetic(models=20, tasks=100, flipped=5, seed=10)
    cal = fit(syn.responses)
    placed = place(cal.items, lambda t: (0, 1), target_se=0.01, max_items=12)
    assert len(placed.items) == 12
    flagged = {i.task_id for i in cal.items if i.flag is not None}
    assert not flagged & set(placed.items)


def test_estimate_theta_without_answers_is_the_prior_and_moves_with_successes(
    frontier: Synthetic,
) -> None:
    cal = fit(frontier.responses)
    assert estimate_theta([]) == pytest.approx((0.0, 1.0), abs=1e-3)
    item = cal.items[0]
    up, _ = estimate_theta([(item, 4, 4)])
    down, _ = estimate_theta([(item, 0, 4)])
    assert down < up


def test_the_se_counts_the_items_calibration_error_and_theta_stays_the_plug_in_estimate() -> None:
    sure = ItemParams("t", a=3.0, b=0.2, a_se=0.0, b_se=0.0)
    unsure = ItemParams("t", a=3.0, b=0.2, a_se=1.2, b_se=0.3)
    exact = estimate_theta([(sure, 1, 4)], prior_sd=1.0)
    plug_in = estimate_theta([(unsure, 1, 4)], prior_sd=1.0, item_error=False)
    counted = estimate_theta([(unsure, 1, 4)], prior_sd=1.0)
    assert exact == plug_in  # without the error, the SEs of the item do not matter
    assert counted[0] == plug_in[0]  # the same θ
    assert counted[1] > plug_in[1] * 1.1  # a wider, honest SE
