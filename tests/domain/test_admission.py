import pytest

from frontier.domain.admission import Novelty, Reason, decide, novelty, screen
from frontier.domain.metrics import TaskMetrics
from frontier.domain.similarity import shingle_pool
from frontier.domain.specs import AdmissionSpec, BandSpec
from frontier.domain.tasks import Grounding

SPEC = AdmissionSpec()
BANDS = BandSpec()
GROUNDED = Grounding(grounded=True)


def metrics(mean: float, n: int = 4) -> TaskMetrics:
    return TaskMetrics(task_id="c", n=n, successes=0, errors=0, mean_reward=mean)


def test_ungrounded_candidate_is_rejected_before_rollouts() -> None:
    d = screen(Grounding(grounded=False, reason="gold price breaks the bound"), Novelty(), SPEC)
    assert d is not None and d.reason is Reason.UNGROUNDED
    assert "gold price" in d.detail


def test_exact_duplicate_is_rejected() -> None:
    found = novelty("abc", "anything", {"abc"}, {})
    d = screen(GROUNDED, found, SPEC)
    assert d is not None and d.reason is Reason.DUPLICATE


def test_same_query_under_another_id_is_a_duplicate() -> None:
    pool = shingle_pool([("p", "Looking for a red kettle under 500 pesos")])
    d = screen(
        GROUNDED, novelty("new", "looking for a RED kettle under 500 pesos", set(), pool), SPEC
    )
    assert d is not None and d.reason is Reason.DUPLICATE


def test_near_duplicate_query_is_rejected_with_its_similarity() -> None:
    base = "Looking for a stainless steel electric kettle with 1.7 liter capacity and auto shut off from brand tefal"
    pool = shingle_pool([("p", base)])
    found = novelty("new", base + " please", set(), pool)
    d = screen(GROUNDED, found, AdmissionSpec(near_duplicate_threshold=0.85))
    assert d is not None and d.reason is Reason.NEAR_DUPLICATE
    assert "to p" in d.detail


def test_novel_grounded_candidate_passes_the_screen() -> None:
    pool = shingle_pool([("p", "Looking for a red kettle")])
    assert (
        screen(GROUNDED, novelty("n", "A phone case for iphone 12 in blue", set(), pool), SPEC)
        is None
    )


@pytest.mark.parametrize(
    ("mean", "reason"),
    [
        (0.0, Reason.UNREACHABLE),
        (0.02, Reason.UNREACHABLE),
        (0.71, Reason.SATURATED),
        (1.0, Reason.SATURATED),
    ],
)
def test_candidates_outside_the_hillclimbable_band_are_rejected(
    mean: float, reason: Reason
) -> None:
    d = decide(GROUNDED, Novelty(), metrics(mean), SPEC, BANDS)
    assert not d.admitted and d.reason is reason


@pytest.mark.parametrize("mean", [0.03, 0.5, 0.70])
def test_hillclimbable_candidate_is_admitted(mean: float) -> None:
    d = decide(GROUNDED, Novelty(), metrics(mean), SPEC, BANDS)
    assert d.admitted and d.reason is None


def test_candidate_without_enough_successful_rollouts_is_insufficient() -> None:
    d = decide(GROUNDED, Novelty(), None, SPEC, BANDS)
    assert d.reason is Reason.INSUFFICIENT_ROLLOUTS
    d2 = decide(GROUNDED, Novelty(), metrics(0.5, n=2), AdmissionSpec(min_rollouts=3), BANDS)
    assert d2.reason is Reason.INSUFFICIENT_ROLLOUTS


def test_grounding_is_checked_before_the_profile() -> None:
    d = decide(Grounding(grounded=False, reason="x"), Novelty(), metrics(0.5), SPEC, BANDS)
    assert d.reason is Reason.UNGROUNDED


def test_reasons_form_a_closed_set() -> None:
    assert {r.value for r in Reason} == {
        "ungrounded",
        "duplicate",
        "near_duplicate",
        "malformed",
        "saturated",
        "unreachable",
        "insufficient_rollouts",
        "predicted_saturated",
        "injection",
    }
