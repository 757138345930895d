"""Bands and per-task metrics computed in SQL agree with the domain's, edges included."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from frontier.domain.bands import Band, band_of, partition, summarize
from frontier.domain.metrics import task_metrics
from frontier.domain.specs import BandSpec
from frontier.domain.tasks import Rollout
from frontier.store import Store
from tests.store.builders import error, ok, profile_run

DEFAULT_BANDS = BandSpec()
_runs = itertools.count()

GRID = sorted(
    {Fraction(i, 100) for i in range(101)}
    | {Fraction(i, 8) for i in range(9)}
    | {Fraction(1, 3), Fraction(2, 3)}
)
"""Rewards as verifiers produce them (fractions of checks), incl. the edges 0.02 and 0.70."""

rewards = st.one_of(
    st.sampled_from([Fraction(2, 100), Fraction(70, 100)]),
    st.sampled_from(GRID),
)
EDGE_VALUES = st.sampled_from([Fraction(2, 100), Fraction(70, 100)])


@st.composite
def mean_on_an_edge(draw: st.DrawFn) -> list[Fraction | None]:
    """Attempts whose exact mean is 0.02 or 0.70 (where float sums drift), errors mixed in."""
    edge = draw(EDGE_VALUES)
    pairs = draw(st.integers(1, 4))
    delta = draw(
        st.sampled_from([Fraction(0), Fraction(1, 100), Fraction(2, 100), Fraction(1, 10)])
    )
    values: list[Fraction | None] = []
    for _ in range(pairs):
        d = delta if edge - delta >= 0 else Fraction(0)
        values += [edge - d, edge + d]
    if draw(st.booleans()):
        values.append(edge)
    values += [None] * draw(st.integers(0, 2))
    return draw(st.permutations(values))


attempts = st.one_of(
    st.lists(st.one_of(rewards, st.none()), min_size=1, max_size=9),
    mean_on_an_edge(),
)
"""A task's attempts: a reward, or None for a harness error."""
runs = st.dictionaries(st.text("abcdefgh", min_size=1, max_size=6), attempts, max_size=12)
edges = st.sampled_from(
    [
        (Fraction(2, 100), Fraction(70, 100)),
        (Fraction(0), Fraction(1, 2)),
        (Fraction(1, 4), Fraction(3, 4)),
        (Fraction(1, 3), Fraction(2, 3)),
    ]
)


def _rollouts(drawn: dict[str, list[Fraction | None]]) -> list[Rollout]:
    return [
        error(task_id, a) if reward is None else ok(task_id, a, float(reward))
        for task_id, rewards_of_task in drawn.items()
        for a, reward in enumerate(rewards_of_task)
    ]


def _fresh_run(store: Store, k: int = 4) -> str:
    return profile_run(store, f"run-{next(_runs)}", k=k).name


def _exact_bands(drawn: dict[str, list[Fraction | None]], bands: BandSpec) -> dict[str, Band]:
    """Each task's band from its exact mean over ok attempts, by the domain's rule."""
    found: dict[str, Band] = {}
    for task_id, values in drawn.items():
        oks = [v for v in values if v is not None]
        if oks:
            found[task_id] = band_of(float(sum(oks, Fraction(0)) / len(oks)), bands)
    return found


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=runs, edge=edges)
@example(drawn={"a": [Fraction(2, 3)]}, edge=(Fraction(1, 3), Fraction(2, 3)))
def test_sql_bands_equal_the_domain_partition_of_the_exact_means(
    store: Store, drawn: dict[str, list[Fraction | None]], edge: tuple[Fraction, Fraction]
) -> None:
    bands = BandSpec(unreachable_at_most=float(edge[0]), saturated_above=float(edge[1]))
    run = _fresh_run(store)
    store.ingest_rollouts(run, _rollouts(drawn))
    expected = _exact_bands(drawn, bands)

    assert store.task_bands(run, bands) == dict(sorted(expected.items()))
    assert store.band_counts(run, bands) == summarize(expected.values())
    means = {
        t: m.mean_reward for t, m in store.task_means(run).items() if m.mean_reward is not None
    }
    assert partition(means, bands) == expected


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    drawn=st.dictionaries(
        st.text("xyz", min_size=1, max_size=4),
        st.lists(st.one_of(st.floats(0, 1), st.none()), min_size=1, max_size=8),
        max_size=8,
    )
)
def test_sql_bands_equal_the_domain_partition_of_the_means_the_store_returns_for_any_reward(
    store: Store, drawn: dict[str, list[float | None]]
) -> None:
    run = _fresh_run(store)
    store.ingest_rollouts(
        run,
        [
            error(t, a) if r is None else ok(t, a, r)
            for t, values in drawn.items()
            for a, r in enumerate(values)
        ],
    )
    means = {
        t: m.mean_reward for t, m in store.task_means(run).items() if m.mean_reward is not None
    }
    assert store.task_bands(run, DEFAULT_BANDS) == partition(means, DEFAULT_BANDS)
    assert store.band_counts(run, DEFAULT_BANDS) == summarize(
        partition(means, DEFAULT_BANDS).values()
    )


@pytest.mark.parametrize(
    ("rewards", "band"),
    [
        ([0.70] * 7, Band.HILLCLIMBABLE),
        ([0.6, 0.8], Band.HILLCLIMBABLE),
        ([0.70] * 3, Band.HILLCLIMBABLE),
        ([0.71, 0.70, 0.70, 0.70], Band.SATURATED),
        ([0.02] * 3, Band.UNREACHABLE),
        ([0.01, 0.03], Band.UNREACHABLE),
        ([0.03, 0.02, 0.02], Band.HILLCLIMBABLE),
        ([0.0] * 4, Band.UNREACHABLE),
        ([1.0] * 4, Band.SATURATED),
    ],
)
def test_a_task_on_or_near_a_band_edge_lands_in_the_band_of_its_true_mean(
    store: Store, rewards: list[float], band: Band
) -> None:
    run = _fresh_run(store)
    store.ingest_rollouts(run, [ok("t", a, r) for a, r in enumerate(rewards)])
    assert store.task_bands(run, DEFAULT_BANDS) == {"t": band}
    assert store.band_counts(run, DEFAULT_BANDS).count(band) == 1
    (mean,) = [m.mean_reward for m in store.task_means(run).values()]
    assert mean is not None and band_of(mean, DEFAULT_BANDS) is band


def test_error_rollouts_are_left_out_of_a_tasks_mean(store: Store) -> None:
    run = _fresh_run(store)
    store.ingest_rollouts(run, [ok("t", 0, 1.0), error("t", 1), error("t", 2), ok("t", 3, 0.8)])
    mean = store.task_means(run)["t"]
    assert (mean.n_ok, mean.n_error) == (2, 2)
    assert mean.mean_reward == pytest.approx(0.9)
    assert store.task_bands(run, DEFAULT_BANDS) == {"t": Band.SATURATED}


def test_a_task_whose_every_rollout_errored_is_in_no_band(store: Store) -> None:
    run = _fresh_run(store)
    store.ingest_rollouts(run, [error("dead", 0), error("dead", 1), ok("live", 0, 0.5)])
    assert store.task_means(run)["dead"] == (None, 0, 2)
    assert store.task_bands(run, DEFAULT_BANDS) == {"live": Band.HILLCLIMBABLE}
    assert store.band_counts(run, DEFAULT_BANDS).total == 1
    assert "dead" not in store.task_metrics(run)


def test_band_counts_can_be_restricted_to_some_tasks(store: Store) -> None:
    run = _fresh_run(store)
    store.ingest_rollouts(run, [ok("a", 0, 1.0), ok("b", 0, 0.5), ok("c", 0, 0.0)])
    counts = store.band_counts(run, DEFAULT_BANDS, task_ids=["a", "b", "missing"])
    assert counts.as_dict() == {"saturated": 1, "hillclimbable": 1, "unreachable": 0, "total": 2}
    assert store.task_bands(run, DEFAULT_BANDS, task_ids=["c"]) == {"c": Band.UNREACHABLE}
    assert store.band_counts(run, DEFAULT_BANDS, task_ids=[]).total == 0


def test_task_means_and_metrics_can_be_restricted_to_some_tasks(store: Store) -> None:
    run = _fresh_run(store)
    store.ingest_rollouts(run, [ok("a", 0, 1.0), ok("b", 0, 0.5)])
    assert set(store.task_means(run, ["b"])) == {"b"}
    assert set(store.task_metrics(run, ["a", "zzz"])) == {"a"}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=runs, successes=st.lists(st.booleans(), min_size=100, max_size=100))
def test_task_metrics_in_sql_equal_the_domains_task_metrics(
    store: Store, drawn: dict[str, list[Fraction | None]], successes: list[bool]
) -> None:
    rollouts = [
        r.model_copy(update={"success": successes[i % 100]}) if r.status == "ok" else r
        for i, r in enumerate(_rollouts(drawn))
    ]
    run = _fresh_run(store)
    store.ingest_rollouts(run, rollouts)
    expected = task_metrics(rollouts)
    got = store.task_metrics(run)
    assert set(got) == set(expected)
    for task_id, metrics in expected.items():
        assert (got[task_id].n, got[task_id].successes, got[task_id].errors) == (
            metrics.n,
            metrics.successes,
            metrics.errors,
        )
        assert got[task_id].mean_reward == pytest.approx(metrics.mean_reward, abs=1e-12)
