"""A posterior-rule run (profile.adaptive.decide: posterior) stores its fitted prior, and
the store bands its tasks by the domain's rule under that prior."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontier.domain.bands import Band, summarize
from frontier.domain.sampling import GRID_STEPS, Prior, decided_band, fit_prior_sums
from frontier.domain.specs import BandSpec
from frontier.store import Store
from tests.store.builders import error, ok, profile_run

BANDS = BandSpec()
UNIFORM = Prior(tuple([1.0] * (GRID_STEPS + 1)))
_runs = itertools.count()


def _fresh_run(store: Store) -> str:
    return profile_run(store, f"post-{next(_runs)}", k=4).name


def test_a_run_stores_its_prior_and_reads_it_back(store: Store) -> None:
    run = _fresh_run(store)
    assert store.require_run(run).prior is None
    prior = fit_prior_sums([(3, 0.0), (4, 4.0), (2, 1.0)])
    record = store.set_run_prior(run, prior.to_wire())
    assert record.prior is not None and Prior.from_wire(record.prior) == prior
    assert Prior.from_wire(store.require_run(run).prior or []) == prior
    assert store.set_run_prior(run, None).prior is None


def test_a_posterior_run_bands_by_the_prior_a_mean_run_by_the_mean(store: Store) -> None:
    run = _fresh_run(store)
    store.ingest_rollouts(run, [ok("zero", a, 0.0) for a in range(3)] + [ok("one", 0, 1.0)])
    assert store.task_bands(run, BANDS) == {"one": Band.SATURATED, "zero": Band.UNREACHABLE}
    store.set_run_prior(run, UNIFORM.to_wire())
    # 0 of 3 with pass rates spread evenly: most likely hillclimbable, not unreachable.
    assert store.task_bands(run, BANDS)["zero"] is Band.HILLCLIMBABLE
    assert store.band_counts(run, BANDS).hillclimbable == 1


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    drawn=st.dictionaries(
        st.text("abcdef", min_size=1, max_size=4),
        st.lists(
            st.one_of(st.sampled_from([0.0, 1.0, 0.5, 0.25, 2 / 3]), st.floats(0, 1), st.none()),
            min_size=1,
            max_size=9,
        ),
        max_size=12,
    ),
    subset=st.booleans(),
)
def test_the_stores_aggregation_equals_the_domain_rule(
    store: Store, drawn: dict[str, list[float | None]], subset: bool
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
    sums = store.task_sums(run)
    scored = {t: [r for r in values if r is not None] for t, values in drawn.items()}
    assert list(sums) == sorted(t for t, oks in scored.items() if oks)
    for t, (n, s) in sums.items():
        assert n == len(scored[t]) and abs(s - sum(scored[t])) < 1e-9
    prior = fit_prior_sums(list(sums.values()))
    store.set_run_prior(run, prior.to_wire())
    expected = {t: decided_band(n, s, BANDS, prior) for t, (n, s) in sorted(sums.items())}
    ids = sorted(drawn)[::2] if subset else None
    if ids is not None:
        expected = {t: b for t, b in expected.items() if t in ids}
    assert store.task_bands(run, BANDS, task_ids=ids) == expected
    assert store.band_counts(run, BANDS, task_ids=ids) == summarize(expected.values())
