"""The procedural teacher: grounded mutations, motifs chosen from the parent's failure trace."""

from __future__ import annotations

import asyncio
import random

import pytest

from frontier.agents.heuristic import HeuristicAgent
from frontier.agents.teachers import ProceduralTeacher, TeacherProposal, failed_checks
from frontier.domain.interfaces import Benchmark
from frontier.domain.specs import ModelRef
from frontier.domain.tasks import Task
from tests.agents.conftest import shoppingbench_for
from tests.agents.toy_benchmark import ToyBenchmark, make_task

PARENT = make_task(42)


async def propose(
    teacher: ProceduralTeacher, failed: list[str], n: int, seed: int = 0, parent: Task = PARENT
) -> list[TeacherProposal]:
    return await teacher.propose(parent, failed, n, random.Random(seed), round=1)


# --- on the toy benchmark: the selection rules -------------------------------------------


async def test_a_failed_exact_check_makes_shift_target_the_first_motif(toy: ToyBenchmark) -> None:
    for seed in range(5):
        [first] = await propose(ProceduralTeacher(toy), ["exact"], 1, seed)
        assert first.motif == "shift_target"


async def test_motifs_follow_the_failed_checks_in_order(toy: ToyBenchmark) -> None:
    proposals = await propose(ProceduralTeacher(toy), ["in_range", "exact"], 2)
    assert [p.motif for p in proposals] == ["narrow_range", "shift_target"]


async def test_random_selection_ignores_the_failure_trace(toy: ToyBenchmark) -> None:
    teacher = ProceduralTeacher(toy, motif_selection="random")
    firsts = {(await propose(teacher, ["exact"], 1, seed))[0].motif for seed in range(12)}
    assert len(firsts) > 1


async def test_without_failures_the_other_allowed_motifs_are_used(toy: ToyBenchmark) -> None:
    teacher = ProceduralTeacher(toy, motifs=["narrow_range", "widen_range"])
    proposals = await propose(teacher, [], 2)
    assert sorted(p.motif for p in proposals) == ["narrow_range", "widen_range"]


async def test_a_suggested_motif_that_is_not_allowed_is_not_used(toy: ToyBenchmark) -> None:
    teacher = ProceduralTeacher(toy, motifs=["widen_range"])
    proposals = await propose(teacher, ["exact"], 2)
    assert {p.motif for p in proposals} == {"widen_range"}
    assert all(p.accepted for p in proposals)


async def test_a_motif_that_fails_is_a_malformed_proposal_and_the_round_goes_on(
    toy: ToyBenchmark,
) -> None:
    teacher = ProceduralTeacher(toy, motifs=["unstable", "widen_range"])
    proposals = await propose(teacher, [], 3)
    [broken] = [p for p in proposals if not p.accepted]
    assert broken.motif == "unstable" and broken.rejected_reason == "malformed"
    assert broken.detail == "mutation unstable failed: unstable motif cannot apply"
    accepted = [p for p in proposals if p.accepted]
    assert len(accepted) == 3 and {p.motif for p in accepted} == {"widen_range"}


async def test_proposals_are_distinct_children_of_the_parent(toy: ToyBenchmark) -> None:
    proposals = await propose(ProceduralTeacher(toy), ["exact"], 4)
    tasks = [p.task for p in proposals if p.task is not None]
    assert len(tasks) == 4
    assert len({t.id for t in tasks}) == 4 and PARENT.id not in {t.id for t in tasks}
    for task in tasks:
        assert task.lineage.parent_id == PARENT.id and task.lineage.round == 1
        assert task.lineage.origin == "procedural"


async def test_proposals_are_deterministic_for_a_seed(toy: ToyBenchmark) -> None:
    teacher = ProceduralTeacher(toy)
    first = await propose(teacher, ["exact"], 3, seed=9)
    again = await propose(teacher, ["exact"], 3, seed=9)
    assert [p.task.id for p in first if p.task] == [p.task.id for p in again if p.task]


def test_unknown_motifs_are_refused_by_name(toy: ToyBenchmark) -> None:
    with pytest.raises(ValueError, match=r"\['teleport'\] are not motifs of toy"):
        ProceduralTeacher(toy, motifs=["teleport", "widen_range"])


# --- on ShoppingBench: real failure traces from the heuristic baseline -----------------


@pytest.fixture(scope="module")
def shopping(dev_tasks: list[Task]) -> Benchmark:
    return shoppingbench_for(dev_tasks)


def first_parent_failing(
    bench: Benchmark, tasks: list[Task], family: str, check: str, profile: str
) -> tuple[Task, list[str]]:
    """The first dev task of `family` whose most frequent failed check (under `profile`) is `check`."""
    agent = HeuristicAgent(ModelRef(name=f"baseline-{profile}", profile=profile))

    async def scan() -> tuple[Task, list[str]] | None:
        for task in (t for t in tasks if t.family == family):
            rollouts = [await agent.rollout(bench, task, attempt, 0) for attempt in range(4)]
            failed = failed_checks(rollouts)
            if failed and failed[0] == check:
                return task, failed
        return None

    found = asyncio.run(scan())
    if found is None:
        pytest.fail(f"no {family} task in the dev sample fails {check!r} most under {profile}")
    return found


def test_a_price_miss_suggests_a_price_motif(shopping: Benchmark, dev_tasks: list[Task]) -> None:
    parent, failed = first_parent_failing(shopping, dev_tasks, "product", "price", "hasty")
    teacher = ProceduralTeacher(shopping)
    for seed in range(4):  # whatever the round's rng, the trace decides the motif
        [proposal] = asyncio.run(propose(teacher, failed, 1, seed, parent=parent))
        assert proposal.motif == "price_shift"
    child = proposal.task
    assert child is not None
    assert child.payload["reward"]["price"] != parent.payload["reward"].get("price")
    assert shopping.check_grounding(child).grounded


def test_a_wrong_shop_suggests_a_same_shop_motif(
    shopping: Benchmark, dev_tasks: list[Task]
) -> None:
    parent, failed = first_parent_failing(shopping, dev_tasks, "shop", "shop", "novice")
    teacher = ProceduralTeacher(shopping)
    for seed in range(4):
        [proposal] = asyncio.run(propose(teacher, failed, 1, seed, parent=parent))
        assert proposal.motif == "add_shop_item"
    child = proposal.task
    assert child is not None
    assert len(child.payload["reward"]) == len(parent.payload["reward"]) + 1
    assert shopping.check_grounding(child).grounded


def test_a_missed_attribute_suggests_adding_one(shopping: Benchmark, dev_tasks: list[Task]) -> None:
    parent, failed = first_parent_failing(shopping, dev_tasks, "product", "attribute", "hasty")
    for seed in range(4):
        [proposal] = asyncio.run(
            propose(ProceduralTeacher(shopping), failed, 1, seed, parent=parent)
        )
        assert proposal.motif == "add_attribute"
