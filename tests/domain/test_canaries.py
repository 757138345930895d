from frontier.domain.canaries import overlap_hard


def test_overlap_hard_needs_every_verifier_below_the_threshold() -> None:
    means = {
        "big": {"a": 0.1, "b": 0.5, "c": 0.0, "d": 0.2},
        "huge": {"a": 0.3, "b": 0.1, "c": 0.0},
    }
    c = overlap_hard(means, below=0.40)
    assert c.task_ids == ("a", "c")
    assert c.zero_on_all == ("c",)
    assert c.evaluated == 3


def test_threshold_is_strict() -> None:
    assert overlap_hard({"m": {"a": 0.40}}, below=0.40).count == 0


def test_no_verifiers_means_no_canaries() -> None:
    assert overlap_hard({}, 0.4).count == 0
