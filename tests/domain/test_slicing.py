from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from frontier.domain.slicing import SliceCandidate, select_slice

candidates = st.lists(
    st.builds(
        SliceCandidate,
        task_id=st.text("abcdef0123", min_size=1, max_size=6),
        family=st.sampled_from(["product", "shop", "voucher", "web"]),
        motif=st.sampled_from([None, "price", "sku", "voucher"]),
        priority=st.floats(0, 1),
    ),
    max_size=60,
)
unique_candidates = st.lists(
    st.builds(
        SliceCandidate,
        task_id=st.text("abcdef0123", min_size=1, max_size=6),
        family=st.sampled_from(["product", "shop", "voucher", "web"]),
        motif=st.sampled_from([None, "price", "sku"]),
    ),
    max_size=60,
    unique_by=lambda c: c.task_id,
)


@given(candidates, st.integers(0, 40), st.integers(0, 5))
def test_slice_is_a_bounded_duplicate_free_subset_of_the_pool(
    pool: list[SliceCandidate], size: int, seed: int
) -> None:
    chosen = select_slice(pool, size, seed)
    ids = {c.task_id for c in pool}
    assert len(chosen) == len(set(chosen))
    assert set(chosen) <= ids
    assert len(chosen) == min(size, len(ids))


@given(candidates, st.integers(0, 40), st.integers(0, 5))
def test_slice_does_not_depend_on_pool_order(
    pool: list[SliceCandidate], size: int, seed: int
) -> None:
    assert select_slice(pool, size, seed) == select_slice(list(reversed(pool)), size, seed)


@given(unique_candidates, st.integers(1, 40))
def test_families_are_balanced_until_one_runs_out(pool: list[SliceCandidate], size: int) -> None:
    fam_of = {c.task_id: c.family for c in pool}
    available = Counter(fam_of.values())
    chosen = select_slice(pool, size, 0)
    got = Counter(fam_of[t] for t in chosen)
    # Any family that was not exhausted has at least as many as any other minus one.
    for n in got.values():
        for other in available:
            if got[other] < available[other]:
                assert got[other] >= n - 1


def test_slice_spreads_across_motifs_within_a_family() -> None:
    pool = [SliceCandidate(f"p{i}", "product", "price") for i in range(10)]
    pool += [SliceCandidate(f"s{i}", "product", "sku") for i in range(10)]
    chosen = select_slice(pool, 6, seed=1)
    motifs = Counter(t[0] for t in chosen)
    assert motifs == {"p": 3, "s": 3}


def test_higher_priority_is_kept_first_within_a_stratum() -> None:
    pool = [SliceCandidate("low", "web", None, 0.1), SliceCandidate("high", "web", None, 0.9)]
    assert select_slice(pool, 1) == ["high"]


def test_different_seeds_may_choose_differently_but_each_is_stable() -> None:
    pool = [SliceCandidate(f"t{i}", "product", None) for i in range(20)]
    assert select_slice(pool, 5, 3) == select_slice(pool, 5, 3)
    assert len({tuple(select_slice(pool, 5, s)) for s in range(5)}) > 1


@given(unique_candidates, st.integers(1, 40), st.integers(0, 5))
def test_every_family_with_candidates_gets_its_floor(
    pool: list[SliceCandidate], size: int, seed: int
) -> None:
    fam_of = {c.task_id: c.family for c in pool}
    available = Counter(fam_of.values())
    got = Counter(fam_of[t] for t in select_slice(pool, size, seed))
    floor = size // max(len(available), 1)
    for family, n in available.items():
        assert got[family] >= min(n, floor)
