from frontier.domain.admission import Reason
from frontier.domain.bands import Band
from frontier.domain.prediction import (
    PRIOR_SPREAD,
    band_at_k_probability,
    curtailed_band,
    pooled_spread,
    predict_band,
    skip_by_prediction,
)
from frontier.domain.specs import BandSpec

BANDS = BandSpec(unreachable_at_most=0.02, saturated_above=0.7)


def test_no_replayed_answer_predicts_no_band() -> None:
    p = predict_band([], BANDS)
    assert (p.band, p.mean, p.replays, p.confidence) == (None, None, 0, 0.0)


def test_the_predicted_band_is_the_band_of_the_replayed_mean() -> None:
    assert predict_band([1.0, 0.5], BANDS).band is Band.SATURATED
    assert predict_band([0.5, 0.5], BANDS).band is Band.HILLCLIMBABLE
    assert predict_band([0.0, 0.0], BANDS).band is Band.UNREACHABLE


def test_confidence_is_the_fraction_of_replays_in_the_predicted_band() -> None:
    assert predict_band([1.0, 1.0, 1.0, 0.5], BANDS).confidence == 0.75


def test_a_candidate_every_parent_answer_still_saturates_is_skipped_as_predicted_saturated() -> (
    None
):
    d = skip_by_prediction(predict_band([1.0, 0.8], BANDS), 0.9, BANDS)
    assert d is not None and not d.admitted and d.reason is Reason.PREDICTED_SATURATED
    assert "2 recorded answers" in d.detail


def test_one_replayed_answer_below_the_saturated_edge_keeps_the_candidate() -> None:
    assert skip_by_prediction(predict_band([1.0, 1.0, 1.0, 0.7], BANDS), 1.0, BANDS) is None


def test_a_parent_the_solver_did_not_saturate_keeps_the_candidate() -> None:
    assert skip_by_prediction(predict_band([1.0, 1.0], BANDS), 0.7, BANDS) is None
    assert skip_by_prediction(predict_band([1.0, 1.0], BANDS), None, BANDS) is None


def test_a_low_replayed_score_never_skips_since_the_solver_may_adapt_to_the_child() -> None:
    assert skip_by_prediction(predict_band([0.0, 0.0], BANDS), 0.0, BANDS) is None
    assert skip_by_prediction(predict_band([0.0, 0.0], BANDS), 1.0, BANDS) is None


def test_fewer_replays_than_asked_for_keeps_the_candidate() -> None:
    assert skip_by_prediction(predict_band([1.0], BANDS), 1.0, BANDS, min_replays=2) is None


def test_the_pooled_spread_starts_at_the_widest_a_reward_can_have() -> None:
    assert pooled_spread([]) == PRIOR_SPREAD
    assert pooled_spread([[0.4], [0.9]]) == PRIOR_SPREAD  # one reward each: no spread seen


def test_tasks_that_repeat_their_rewards_pull_the_pooled_spread_toward_zero() -> None:
    repeating = [[0.5, 0.5, 0.5, 0.5]] * 50
    assert pooled_spread(repeating) < 0.1
    scattered = [[0.0, 1.0, 0.0, 1.0]] * 50
    assert pooled_spread(scattered) > 0.5


def test_a_candidate_far_above_the_saturated_edge_on_a_quiet_run_stops_saturated_early() -> None:
    assert band_at_k_probability([0.95, 0.95], 4, BANDS, spread=0.05) > 0.99
    assert curtailed_band([0.95, 0.95], 4, BANDS, confidence=0.975, spread=0.05) is Band.SATURATED


def test_the_same_rewards_on_a_noisy_run_roll_out_once_more() -> None:
    assert curtailed_band([0.95, 0.95], 4, BANDS, confidence=0.975, spread=0.5) is None


def test_a_mean_close_to_an_edge_is_never_predicted_to_stay_in_its_band() -> None:
    assert band_at_k_probability([0.69, 0.69], 4, BANDS, spread=0.05) < 0.75
    assert curtailed_band([0.69, 0.69], 4, BANDS, confidence=0.975, spread=0.05) is None


def test_a_task_that_varies_itself_is_not_stopped_by_a_quiet_run() -> None:
    quiet = band_at_k_probability([0.6, 0.6], 4, BANDS, spread=0.05)
    varied = band_at_k_probability([0.3, 0.9], 4, BANDS, spread=0.05)
    assert quiet > 0.99 and varied < 0.9


def test_a_hillclimbable_mean_stops_hillclimbable_once_it_is_predicted_so() -> None:
    assert curtailed_band([0.5, 0.5], 4, BANDS, confidence=0.975, spread=0.05) is (
        Band.HILLCLIMBABLE
    )


def test_a_band_certain_at_k_stops_whatever_the_spread_as_exact_curtailment_does() -> None:
    assert curtailed_band([1.0, 1.0, 1.0], 4, BANDS, confidence=0.999, spread=0.5) is (
        Band.SATURATED
    )
    assert curtailed_band([], 4, BANDS, confidence=0.5, spread=0.0) is None


def test_k_rewards_in_hand_are_certain() -> None:
    assert band_at_k_probability([0.6, 0.8, 0.7, 0.9], 4, BANDS, spread=0.5) == 1.0
