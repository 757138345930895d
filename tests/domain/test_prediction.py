from frontier.domain.admission import Reason
from frontier.domain.bands import Band
from frontier.domain.prediction import predict_band, skip_by_prediction
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
