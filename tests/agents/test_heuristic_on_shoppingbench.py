"""The heuristic baseline on the real ShoppingBench dev sample: profiles land in different bands.

A slice of every family keeps this fast; the catalog is built from the whole
sample (as a run builds it), so searches see every task's decoys and distractors.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import statistics
from collections import Counter
from typing import Any

import pytest

from frontier.agents.heuristic import HeuristicAgent
from frontier.domain.bands import Band, band_of
from frontier.domain.specs import BandSpec, ModelRef
from frontier.domain.tasks import Rollout, Task
from tests.agents.conftest import shoppingbench_for

PER_FAMILY = 10
K = 4
SEED = 11
PROFILES = ("hasty", "novice", "diligent", "careful")
Played = dict[tuple[str, int], Rollout]


def family_slice(tasks: list[Task]) -> list[Task]:
    families = sorted({t.family for t in tasks})
    return [t for family in families for t in [t for t in tasks if t.family == family][:PER_FAMILY]]


async def play(all_tasks: list[Task], tasks: list[Task], profile: str, seed: int) -> Played:
    bench = shoppingbench_for(all_tasks)
    agent = HeuristicAgent(ModelRef(name=f"baseline-{profile}", profile=profile))
    return {
        (task.id, attempt): await agent.rollout(bench, task, attempt, seed)
        for task in tasks
        for attempt in range(K)
    }


def task_means(played: Played) -> dict[str, float]:
    rewards: dict[str, list[float]] = {}
    for (task_id, _), rollout in played.items():
        assert rollout.ok, f"{task_id}: {rollout.error}"
        assert rollout.reward is not None
        rewards.setdefault(task_id, []).append(rollout.reward)
    return {task_id: statistics.fmean(values) for task_id, values in rewards.items()}


def bands(played: Played) -> Counter[Band]:
    return Counter(band_of(mean, BandSpec()) for mean in task_means(played).values())


def fingerprint(played: Played) -> dict[tuple[str, int], object]:
    """What a rerun must reproduce: the reward, the answer and every tool call's arguments."""
    return {
        key: (r.reward, r.trace["answer"], [c["arguments"] for c in r.trace["tool_calls"]])
        for key, r in played.items()
    }


@pytest.fixture(scope="module")
def sample(dev_tasks: list[Task]) -> list[Task]:
    tasks = family_slice(dev_tasks)
    assert {t.family for t in tasks} == {"product", "shop", "voucher", "web"}
    return tasks


@pytest.fixture(scope="module")
def profiled(dev_tasks: list[Task], sample: list[Task]) -> dict[str, Played]:
    async def all_profiles() -> dict[str, Played]:
        return {p: await play(dev_tasks, sample, p, SEED) for p in PROFILES}

    return asyncio.run(all_profiles())


def test_careful_beats_hasty_on_mean_reward(profiled: dict[str, Played]) -> None:
    careful = statistics.fmean(task_means(profiled["careful"]).values())
    hasty = statistics.fmean(task_means(profiled["hasty"]).values())
    assert careful > hasty + 0.2, (careful, hasty)


def test_profiles_between_hasty_and_careful_score_between_them(
    profiled: dict[str, Played],
) -> None:
    means = [statistics.fmean(task_means(profiled[p]).values()) for p in PROFILES]
    assert means == sorted(means), dict(zip(PROFILES, means, strict=True))


def test_profiles_together_populate_all_three_bands(profiled: dict[str, Played]) -> None:
    together: Counter[Band] = sum((bands(profiled[p]) for p in PROFILES), Counter())
    assert set(together) == set(Band), together


def test_hasty_lands_mostly_hillclimbable_and_careful_mostly_saturated(
    profiled: dict[str, Played],
) -> None:
    [(hasty_band, _)] = bands(profiled["hasty"]).most_common(1)
    [(careful_band, _)] = bands(profiled["careful"]).most_common(1)
    assert (hasty_band, careful_band) == (Band.HILLCLIMBABLE, Band.SATURATED)


@pytest.mark.parametrize("profile", ["hasty", "careful"])
async def test_a_profile_is_deterministic_for_a_seed(
    profile: str, dev_tasks: list[Task], sample: list[Task], profiled: dict[str, Played]
) -> None:
    again = await play(dev_tasks, sample, profile, SEED)
    assert fingerprint(again) == fingerprint(profiled[profile])


async def test_another_seed_changes_some_hasty_rollouts(
    dev_tasks: list[Task], sample: list[Task], profiled: dict[str, Played]
) -> None:
    other = await play(dev_tasks, sample, "hasty", SEED + 1)
    assert fingerprint(other) != fingerprint(profiled["hasty"])


def blinded(task: Task) -> Task:
    """`task` with its answer hidden: gold ids, gold titles, the voucher's price, the web fact.

    It keeps the task id, so every attempt draws the same random numbers as before.
    """
    payload: dict[str, Any] = json.loads(json.dumps(task.payload))

    def hide(item: dict[str, Any], n: int) -> dict[str, Any]:
        title = ["hidden"] if isinstance(item.get("title"), list) else "hidden"
        return {**item, "product_id": f"99999999{n:02d}", "title": title}

    reward = payload["reward"]
    payload["reward"] = (
        [hide(item, n) for n, item in enumerate(reward)]
        if isinstance(reward, list)
        else hide(reward, 0)
    )
    if isinstance(payload.get("voucher"), dict):
        payload["voucher"]["price_after_voucher"] = None
    if "Knowledge_Attribute" in payload:
        payload["Knowledge_Attribute"] = "hidden"
    return task.model_copy(update={"payload": payload})


@pytest.mark.parametrize("profile", PROFILES)
async def test_no_profile_reads_the_gold_answer(
    profile: str, dev_tasks: list[Task], sample: list[Task], profiled: dict[str, Played]
) -> None:
    bench = shoppingbench_for(dev_tasks)
    agent = HeuristicAgent(ModelRef(name=f"baseline-{profile}", profile=profile))
    for task in sample:
        seen = profiled[profile][(task.id, 0)]
        blind = await agent.rollout(bench, blinded(task), 0, SEED)
        assert blind.ok, blind.error
        assert [c["arguments"] for c in blind.trace["tool_calls"]] == [
            c["arguments"] for c in seen.trace["tool_calls"]
        ], f"{profile} played {task.id} differently once its answer was hidden"


def test_rollouts_carry_real_traces_and_structured_failures(profiled: dict[str, Played]) -> None:
    failed = [r for r in profiled["hasty"].values() if r.success is False]
    assert failed
    for rollout in failed:
        trace = rollout.trace
        assert trace["tool_calls"] and trace["tool_calls"][0]["name"] == "find_product"
        assert trace["failed_checks"], "a failed rollout names the checks it failed"
        assert trace["profile"] == "hasty"


# ---- graded skill (ModelRef.skill) ------------------------------------------------------

SKILLS = (0.1, 0.5, 1.0)
BEFORE_SKILL = {
    "hasty": "edfe29378cefc73c",
    "novice": "a6e0378e50e4dc7e",
    "diligent": "db2554775dd5c811",
    "careful": "34eeeb38b065ec1e",
}
"""Digests of each profile's rollouts on the sample at SEED, taken before skill existed.
Update them only when a policy is meant to play differently."""


def digest(played: Played) -> str:
    rows = sorted((list(key), value) for key, value in fingerprint(played).items())
    return hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()[:16]


async def play_skilled(all_tasks: list[Task], tasks: list[Task], skill: float, seed: int) -> Played:
    bench = shoppingbench_for(all_tasks)
    agent = HeuristicAgent(ModelRef(name=f"skill-{round(100 * skill):03d}", skill=skill))
    return {
        (task.id, attempt): await agent.rollout(bench, task, attempt, seed)
        for task in tasks
        for attempt in range(K)
    }


def pass_at_1(played: Played) -> float:
    return statistics.fmean(float(bool(r.success)) for r in played.values())


def solved(played: Played) -> set[str]:
    wins: dict[str, list[float]] = {}
    for (task_id, _), rollout in played.items():
        wins.setdefault(task_id, []).append(float(bool(rollout.success)))
    return {task_id for task_id, w in wins.items() if statistics.fmean(w) >= 0.5}


@pytest.fixture(scope="module")
def skilled(dev_tasks: list[Task], sample: list[Task]) -> dict[float, Played]:
    async def all_skills() -> dict[float, Played]:
        return {s: await play_skilled(dev_tasks, sample, s, SEED) for s in SKILLS}

    return asyncio.run(all_skills())


@pytest.mark.parametrize("profile", PROFILES)
def test_no_skill_plays_every_profile_as_before_skill_existed(
    profile: str, profiled: dict[str, Played]
) -> None:
    assert digest(profiled[profile]) == BEFORE_SKILL[profile]


def test_skill_one_plays_the_strongest_profile_unchanged(
    skilled: dict[float, Played], profiled: dict[str, Played]
) -> None:
    assert fingerprint(skilled[1.0]) == fingerprint(profiled["careful"])
    assert {r.trace["skill"] for r in skilled[1.0].values()} == {1.0}
    assert {r.trace["profile"] for r in skilled[1.0].values()} == {"careful"}


async def test_a_skill_is_deterministic_for_seed_task_and_attempt(
    dev_tasks: list[Task], sample: list[Task], skilled: dict[float, Played]
) -> None:
    again = await play_skilled(dev_tasks, sample, 0.5, SEED)
    assert fingerprint(again) == fingerprint(skilled[0.5])
    other = await play_skilled(dev_tasks, sample, 0.5, SEED + 1)
    assert fingerprint(other) != fingerprint(skilled[0.5])


def test_pass_rate_rises_with_skill(skilled: dict[float, Played]) -> None:
    rates = [pass_at_1(skilled[s]) for s in SKILLS]
    assert rates[0] + 0.05 < rates[1] and rates[1] + 0.05 < rates[2], dict(
        zip(SKILLS, rates, strict=True)
    )


def test_a_stronger_skill_solves_most_of_what_a_weaker_one_solves(
    skilled: dict[float, Played],
) -> None:
    for weak, strong in [(0.1, 0.5), (0.5, 1.0), (0.1, 1.0)]:
        below, above = solved(skilled[weak]), solved(skilled[strong])
        assert below, f"skill {weak} solves nothing"
        assert len(below & above) >= 0.85 * len(below), (weak, strong, below - above)


async def test_a_skilled_agent_reads_no_gold_answer_either(
    dev_tasks: list[Task], sample: list[Task], skilled: dict[float, Played]
) -> None:
    bench = shoppingbench_for(dev_tasks)
    agent = HeuristicAgent(ModelRef(name="skill-050", skill=0.5))
    for task in sample:
        blind = await agent.rollout(bench, blinded(task), 0, SEED)
        assert blind.ok, blind.error
        assert [c["arguments"] for c in blind.trace["tool_calls"]] == [
            c["arguments"] for c in skilled[0.5][(task.id, 0)].trace["tool_calls"]
        ], f"skill 0.5 played {task.id} differently once its answer was hidden"
