import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frontier.domain.bands import Band, band_of
from frontier.domain.sampling import (
    GRID_STEPS,
    Prior,
    adaptive_step,
    band_confidence,
    band_probabilities,
    cannot_be_hillclimbable,
    decided_band,
    fit_prior,
    fit_prior_sums,
    plan_wave,
    predicted_band,
    rollout_value,
    settled_band,
)
from frontier.domain.specs import AdaptiveSpec, BandSpec

BANDS = BandSpec()
SPEC = AdaptiveSpec(enabled=True, min_rollouts=2, max_rollouts=16, confidence=0.9)

rewards_lists = st.lists(st.floats(0, 1), max_size=20)
binary_lists = st.lists(st.sampled_from([0.0, 1.0]), max_size=20)


def _beta_upper_tail(a: float, b: float, x: float, steps: int = 200_000) -> float:
    """P(μ > x) for Beta(a, b) by the midpoint rule after μ = sin²θ (smooth at both ends)."""
    # With μ = sin²θ the Beta(a, b) density becomes 2 sin^(2a-1)θ cos^(2b-1)θ dθ / B(a, b).
    log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    lo, hi = math.asin(math.sqrt(x)), math.pi / 2
    h = (hi - lo) / steps
    total = 0.0
    for i in range(steps):
        t = lo + (i + 0.5) * h
        total += 2 * math.sin(t) ** (2 * a - 1) * math.cos(t) ** (2 * b - 1)
    return total * h / math.exp(log_beta)


# --- deterministic curtailment ------------------------------------------------


def test_three_full_successes_of_four_are_already_saturated() -> None:
    assert settled_band([1.0, 1.0, 1.0], 4, BANDS) is Band.SATURATED
    assert cannot_be_hillclimbable([1.0, 1.0, 1.0], 4, BANDS)


def test_two_failures_of_four_leave_the_band_open() -> None:
    assert settled_band([0.0, 0.0], 4, BANDS) is None


def test_a_partial_reward_can_settle_hillclimbable_early() -> None:
    assert settled_band([0.0, 0.0, 0.5], 4, BANDS) is Band.HILLCLIMBABLE
    assert settled_band([0.0, 0.0, 0.05], 4, BANDS) is None
    assert settled_band([0.0, 0.0, 0.0, 0.05], 4, BANDS) is Band.UNREACHABLE


@given(st.lists(st.floats(0, 1), min_size=1, max_size=8), st.data())
def test_a_settled_band_is_the_band_at_k_whatever_comes_next(
    rewards: list[float], data: st.DataObject
) -> None:
    k = len(rewards)
    m = data.draw(st.integers(0, k))
    band = settled_band(rewards[:m], k, BANDS)
    if band is not None:
        assert band is band_of(sum(rewards) / k, BANDS)


# --- the posterior ------------------------------------------------------------


def test_band_probabilities_of_binary_rewards_match_the_exact_beta_posterior() -> None:
    # 3 successes of 4 under Jeffreys' prior: Beta(3.5, 1.5).
    probs = band_probabilities([1.0, 1.0, 0.0, 1.0], BANDS)
    assert probs[Band.SATURATED] == pytest.approx(_beta_upper_tail(3.5, 1.5, 0.70), abs=0.01)
    assert sum(probs.values()) == pytest.approx(1.0)


def test_no_rollouts_give_the_prior_band_masses() -> None:
    probs = band_probabilities([], BANDS)
    assert probs[Band.SATURATED] == pytest.approx(_beta_upper_tail(0.5, 0.5, 0.70), abs=0.01)


def test_many_successes_make_saturated_near_certain() -> None:
    assert band_confidence([1.0] * 12, BANDS) > 0.99


def test_a_task_on_the_saturation_edge_stays_uncertain() -> None:
    assert band_confidence([1.0, 1.0, 0.0] * 5 + [1.0] * 1, BANDS) < 0.7


def test_a_reward_outside_0_1_is_rejected_by_its_index() -> None:
    with pytest.raises(ValueError, match=r"rewards\[1\] = 1.5"):
        band_probabilities([0.5, 1.5], BANDS)


def test_a_prior_needs_one_weight_per_grid_point() -> None:
    with pytest.raises(ValueError, match="prior weights"):
        Prior((1.0, 1.0))
    with pytest.raises(ValueError, match="prior weights"):
        Prior((0.0,) * (GRID_STEPS + 1))


def test_a_prior_that_rules_out_the_observed_rewards_is_reported() -> None:
    only_zero = Prior((1.0,) + (0.0,) * GRID_STEPS)
    with pytest.raises(ValueError, match="gives no weight"):
        band_probabilities([1.0], BANDS, only_zero)


def test_a_prior_fitted_to_a_run_of_solved_and_unsolvable_tasks_puts_its_mass_at_the_ends() -> None:
    run = [[0.0, 0.0]] * 50 + [[1.0, 1.0]] * 50
    weights = fit_prior(run).weights
    ends = sum(weights[:3]) + sum(weights[-3:])
    assert ends > 0.85
    assert sum(weights) == pytest.approx(1.0)


def test_a_run_full_of_unsolvable_tasks_makes_0_of_4_more_surely_unreachable() -> None:
    prior = fit_prior([[0.0] * 4] * 80 + [[1.0, 0.0, 1.0, 1.0]] * 20)
    zeros = [0.0] * 4
    fitted = band_probabilities(zeros, BANDS, prior)[Band.UNREACHABLE]
    assert fitted > band_probabilities(zeros, BANDS)[Band.UNREACHABLE] + 0.3


# --- stochastic curtailment: the curtailed-k mode ---------------------------------


def test_two_successes_of_four_predict_saturated_at_confidence_0_90_but_not_0_95() -> None:
    # Jeffreys: P(at least one more success in two | 2 of 2) = 1 - (1/2·3/2)/(3·4) = 0.9375.
    assert predicted_band([1.0, 1.0], 4, BANDS, confidence=0.90) is Band.SATURATED
    assert predicted_band([1.0, 1.0], 4, BANDS, confidence=0.95) is None


def test_a_mixed_start_is_not_predicted() -> None:
    assert predicted_band([1.0, 0.0], 4, BANDS, confidence=0.9) is None


@given(rewards_lists, st.integers(1, 8), st.floats(0.55, 0.99))
def test_a_predicted_band_is_always_the_band_of_the_observed_mean(
    rewards: list[float], k: int, confidence: float
) -> None:
    band = predicted_band(rewards[:k], k, BANDS, confidence=confidence)
    if band is not None:
        observed = rewards[:k]
        assert band is band_of(sum(observed) / len(observed), BANDS)


@given(st.lists(st.floats(0, 1), min_size=1, max_size=8), st.floats(0.55, 0.99))
def test_curtailment_never_changes_a_decision_the_prediction_makes(
    rewards: list[float], confidence: float
) -> None:
    k = len(rewards)
    for m in range(k + 1):
        settled = settled_band(rewards[:m], k, BANDS)
        if settled is not None:
            assert predicted_band(rewards[:m], k, BANDS, confidence=confidence) is settled


def test_the_curtailed_mode_matches_fixed_k_on_most_simulated_tasks_with_fewer_rollouts() -> None:
    rng = random.Random(7)
    agree = used = 0
    tasks = 400
    for _ in range(tasks):
        p = rng.random()
        pool = [float(rng.random() < p) for _ in range(4)]
        m = 1
        while (band := predicted_band(pool[:m], 4, BANDS, confidence=0.9)) is None:
            m += 1
        used += m
        agree += band is band_of(sum(pool) / 4, BANDS)
    assert agree / tasks >= 0.93
    assert used / (4 * tasks) <= 0.85


# --- adaptive allocation --------------------------------------------------------


@given(rewards_lists)
def test_a_task_never_gets_past_max_rollouts(rewards: list[float]) -> None:
    spec = AdaptiveSpec(enabled=True, min_rollouts=3, max_rollouts=8, confidence=0.9)
    more = adaptive_step(rewards, spec, BANDS)
    assert more >= 0
    if len(rewards) >= spec.max_rollouts:
        assert more == 0
    else:
        assert len(rewards) + more <= spec.max_rollouts


def test_a_task_gets_its_minimum_before_anything_is_judged() -> None:
    assert adaptive_step([], SPEC, BANDS) == 2
    assert adaptive_step([1.0], SPEC, BANDS) == 1


def test_a_task_that_always_succeeds_stops_once_settled() -> None:
    stops_at = next(n for n in range(2, 17) if adaptive_step([1.0] * n, SPEC, BANDS) == 0)
    assert stops_at < SPEC.max_rollouts
    assert band_confidence([1.0] * stops_at, BANDS) >= SPEC.confidence


def test_a_task_on_the_edge_keeps_sampling() -> None:
    assert adaptive_step([1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0], SPEC, BANDS) == 1


def test_an_uncertain_task_is_worth_more_than_a_settled_one() -> None:
    assert rollout_value([1.0, 0.0, 1.0, 1.0], BANDS) > rollout_value([1.0] * 16, BANDS)
    assert rollout_value([1.0] * 16, BANDS) < 0.001


def test_a_wave_gives_every_task_its_minimum_first() -> None:
    wave = plan_wave({"a": [], "b": [1.0], "c": [1.0, 1.0, 1.0]}, SPEC, BANDS)
    assert wave == {"a": 2, "b": 1}


def test_a_short_budget_goes_to_the_tasks_where_a_rollout_is_worth_most() -> None:
    run = {
        "sure": [1.0] * 10,
        "edge": [1.0, 0.0, 1.0],
        "edge2": [1.0, 1.0, 0.0, 1.0],
        "zero": [0.0, 0.0, 0.0],
    }
    assert rollout_value(run["edge2"], BANDS) > rollout_value(run["zero"], BANDS)
    assert rollout_value(run["zero"], BANDS) > rollout_value(run["edge"], BANDS)
    assert plan_wave(run, SPEC, BANDS, budget=1) == {"edge2": 1}
    # A wave takes at most half of what is left, so later waves can still redirect.
    assert plan_wave(run, SPEC, BANDS, budget=4) == {"edge2": 1, "zero": 1}
    assert plan_wave(run, SPEC, BANDS) == {"edge2": 1, "zero": 1, "edge": 1}


@given(
    st.dictionaries(st.sampled_from("abcdefgh"), binary_lists, max_size=8),
    st.integers(0, 20),
)
@settings(max_examples=50)
def test_a_wave_never_spends_past_the_budget_or_a_task_past_its_max(
    run: dict[str, list[float]], budget: int
) -> None:
    wave = plan_wave(run, SPEC, BANDS, budget=budget)
    assert sum(wave.values()) <= budget
    assert all(len(run[t]) + more <= SPEC.max_rollouts and more > 0 for t, more in wave.items())


@given(st.dictionaries(st.sampled_from("abcdefgh"), binary_lists, max_size=8), st.integers(0, 6))
@settings(max_examples=50)
def test_a_wave_does_not_depend_on_the_order_tasks_are_listed(
    run: dict[str, list[float]], budget: int
) -> None:
    reordered = dict(reversed(list(run.items())))
    assert plan_wave(run, SPEC, BANDS, budget=budget) == plan_wave(
        reordered, SPEC, BANDS, budget=budget
    )


def test_a_negative_budget_is_rejected() -> None:
    with pytest.raises(ValueError, match="budget"):
        plan_wave({"a": []}, SPEC, BANDS, budget=-1)


def test_a_run_spends_more_rollouts_near_the_band_edges() -> None:
    pools = {
        "solved": [1.0] * 64,
        "middle": [1.0, 0.0, 0.0] * 22,
        "edge": [1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0] * 7,  # mean 0.70
    }
    used = dict.fromkeys(pools, 0)
    while wave := plan_wave({t: pools[t][: used[t]] for t in pools}, SPEC, BANDS):
        for t, more in wave.items():
            used[t] += more
    assert used["edge"] == SPEC.max_rollouts
    assert used["solved"] <= 4
    assert used["middle"] <= 4


def test_without_a_fitted_prior_a_task_that_never_succeeds_runs_to_its_max() -> None:
    # Jeffreys' prior cannot tell 0.01 from 0.03 in 16 tries: the reason for fit_prior.
    assert adaptive_step([0.0] * 15, SPEC, BANDS) == 1
    prior = fit_prior([[0.0] * 8] * 60 + [[1.0] * 8] * 40)
    assert adaptive_step([0.0] * 4, SPEC, BANDS, prior) == 0


def test_a_budgeted_run_spends_its_whole_budget_once_every_task_is_settled() -> None:
    # Every task is confident of its band after a few rollouts, so without a budget
    # the run stops early; with one it goes on until the budget is spent.
    pools = {f"t{i}": [1.0] * 16 for i in range(6)}
    used = dict.fromkeys(pools, 0)
    while wave := plan_wave({t: pools[t][: used[t]] for t in pools}, SPEC, BANDS):
        for t, more in wave.items():
            used[t] += more
    assert sum(used.values()) < 6 * len(pools)
    used = dict.fromkeys(pools, 0)
    budget = 6 * len(pools)
    while wave := plan_wave(
        {t: pools[t][: used[t]] for t in pools},
        SPEC,
        BANDS,
        budget=budget - sum(used.values()),
    ):
        for t, more in wave.items():
            used[t] += more
    assert sum(used.values()) == budget
    assert max(used.values()) <= SPEC.max_rollouts


def test_a_budget_beyond_every_tasks_max_is_left_unspent() -> None:
    run = {"a": [1.0] * 16, "b": [0.0] * 16}
    assert plan_wave(run, SPEC, BANDS, budget=10) == {}


# --- the posterior rule (decide: posterior) ---------------------------------------

UNIFORM = Prior(tuple([1.0] * (GRID_STEPS + 1)))


@given(st.lists(st.floats(0, 1), min_size=1, max_size=20))
@settings(max_examples=50)
def test_the_default_rule_is_the_band_of_the_observed_mean(rewards: list[float]) -> None:
    assert decided_band(len(rewards), sum(rewards), BANDS, None) is band_of(
        sum(rewards) / len(rewards), BANDS
    )


def test_the_posterior_rule_names_the_most_likely_band() -> None:
    # With pass rates spread evenly, 0 of 3 is far likelier hillclimbable than below 0.02,
    # where the observed mean says unreachable.
    assert decided_band(3, 0.0, BANDS, None) is Band.UNREACHABLE
    assert decided_band(3, 0.0, BANDS, UNIFORM) is Band.HILLCLIMBABLE
    probs = band_probabilities([0.0, 0.0, 0.0], BANDS, UNIFORM)
    assert probs[Band.HILLCLIMBABLE] == max(probs.values())
    # A prior that puts most tasks at 0 keeps 0 of 3 unreachable.
    lumpy = Prior(tuple([100.0] + [1.0] * GRID_STEPS))
    assert decided_band(3, 0.0, BANDS, lumpy) is Band.UNREACHABLE


@given(st.lists(binary_lists.filter(bool), min_size=1, max_size=12))
@settings(max_examples=30)
def test_the_posterior_rule_is_the_argmax_of_the_band_probabilities(
    tasks: list[list[float]],
) -> None:
    prior = fit_prior(tasks, iterations=10)
    for rewards in tasks:
        probs = band_probabilities(rewards, BANDS, prior)
        band = decided_band(len(rewards), sum(rewards), BANDS, prior)
        assert probs[band] == max(probs.values())


def test_a_prior_survives_the_wire_and_fits_the_same_from_sums() -> None:
    tasks = [[1.0, 0.0, 1.0], [0.0] * 4, [1.0] * 5, [0.25, 0.5]]
    prior = fit_prior(tasks)
    assert fit_prior_sums([(len(r), sum(r)) for r in tasks]) == prior
    assert Prior.from_wire(prior.to_wire()) == prior


def test_a_task_with_no_scored_rollout_has_no_band() -> None:
    with pytest.raises(ValueError, match="no band"):
        decided_band(0, 0.0, BANDS, None)


def test_the_posterior_rule_stops_on_the_likeliest_bands_confidence() -> None:
    spec = AdaptiveSpec(enabled=True, decide="posterior", confidence=0.7)
    # 0 of 3 under a uniform prior: the observed mean's band (unreachable) is unlikely,
    # the likeliest band (hillclimbable) is not, so the rules stop differently.
    assert band_confidence([0.0] * 3, BANDS, UNIFORM) < 0.7
    assert band_confidence([0.0] * 3, BANDS, UNIFORM, posterior_rule=True) >= 0.7
    assert adaptive_step([0.0] * 3, spec, BANDS, UNIFORM) == 0
    assert adaptive_step([0.0] * 3, AdaptiveSpec(enabled=True), BANDS, UNIFORM) == 1


def test_the_posterior_rule_needs_budget_mode() -> None:
    with pytest.raises(ValueError, match="budget"):
        AdaptiveSpec(enabled=True, mode="curtail", decide="posterior")
    assert AdaptiveSpec(enabled=True, decide="posterior").posterior_rule
    assert not AdaptiveSpec(decide="posterior").posterior_rule
