"""The scripted baselines: ordered weakest to strongest, and blind to the answer."""

from __future__ import annotations

import asyncio
import random
import statistics
from collections import Counter

import pytest

from frontier.benchmarks.shoppingbench import ShoppingBench
from frontier.benchmarks.shoppingbench.policies import PROFILES, visible_request
from frontier.domain.bands import band_of
from frontier.domain.specs import BandSpec
from frontier.domain.tasks import Task

PER_FAMILY = 10
K = 3


def sample_of(tasks: list[Task]) -> list[Task]:
    by_family: dict[str, list[Task]] = {}
    for t in tasks:
        by_family.setdefault(t.family, []).append(t)
    return [
        t
        for fam in sorted(by_family)
        for t in by_family[fam][:: max(1, len(by_family[fam]) // PER_FAMILY)][:PER_FAMILY]
    ]


async def mean_rewards(bench: ShoppingBench, tasks: list[Task], profile: str) -> list[float]:
    means = []
    for task in tasks:
        rewards = []
        for attempt in range(K):
            episode = bench.episode(task)
            await bench.scripted_policy(profile).play(
                episode, random.Random(f"{task.id}:{attempt}")
            )
            rewards.append(bench.grade(task, episode.answer()).reward)
        means.append(statistics.fmean(rewards))
    return means


@pytest.fixture(scope="module")
def profiled(dev_bench: ShoppingBench, dev_tasks: list[Task]) -> dict[str, list[float]]:
    sample = sample_of(dev_tasks)
    assert len(sample) == 4 * PER_FAMILY

    async def run() -> dict[str, list[float]]:
        return {p: await mean_rewards(dev_bench, sample, p) for p in PROFILES}

    return asyncio.run(run())


def test_profiles_are_ordered_weakest_to_strongest_on_mean_reward(
    profiled: dict[str, list[float]],
) -> None:
    means = {p: statistics.fmean(profiled[p]) for p in PROFILES}
    assert list(means.values()) == sorted(means.values()), means
    assert means["careful"] > means["hasty"] + 0.2, means


def test_profiles_have_distinct_band_distributions(profiled: dict[str, list[float]]) -> None:
    spec = BandSpec()
    dists = [
        tuple(sorted(Counter(band_of(m, spec) for m in profiled[p]).items())) for p in PROFILES
    ]
    assert len(set(dists)) == len(PROFILES), dists


def test_the_visible_request_carries_no_answer(dev_tasks: list[Task]) -> None:
    for task in dev_tasks:
        visible = visible_request(task.payload, task.query)
        assert visible.query == task.query  # what the model sees too
        seen = repr((visible.items, visible.voucher))
        reward = task.payload["reward"]
        gold_ids = [r["product_id"] for r in ([reward] if isinstance(reward, dict) else reward)]
        assert not any(str(pid) in seen for pid in gold_ids), task.id
        assert visible.voucher is None or visible.voucher.price_after_voucher is None
        if task.family == "web":
            assert str(task.payload["Knowledge_Attribute"]) not in seen


async def test_a_policy_plays_through_the_tools_only(
    dev_bench: ShoppingBench, dev_tasks: list[Task]
) -> None:
    task = next(t for t in dev_tasks if t.family == "shop")
    episode = dev_bench.episode(task)
    await dev_bench.scripted_policy("careful").play(episode, random.Random(0))
    used = {name for name, _ in episode.calls}
    assert used <= {"find_product", "view_product_information", "recommend_product", "terminate"}
    assert episode.calls[-1][0] == "terminate"


def test_an_unknown_profile_names_the_available_ones(dev_bench: ShoppingBench) -> None:
    with pytest.raises(ValueError, match="available: hasty, novice, diligent, careful"):
        dev_bench.scripted_policy("genius")
