"""The screen over a benchmark: what it asks the benchmark, and when."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from frontier.agents.teachers import TeacherProposal
from frontier.domain.admission import Reason
from frontier.domain.injection import DEFAULT_RULES
from frontier.domain.screening import Screen
from frontier.domain.specs import AdmissionSpec, BandSpec
from frontier.domain.tasks import FinalAnswer, Grade, Grounding, Lineage, Rollout, Task
from frontier.pipeline.screening import RoundScreen, injection_rules, replayed_rewards

PARENT = Task.create("shop", "product", "A red kettle", {"query": "A red kettle"})


def child(query: str) -> Task:
    lineage = Lineage(origin="procedural", parent_id=PARENT.id, root_id=PARENT.id, round=1)
    return Task.create("shop", "product", query, {"query": query}, lineage)


class Bench:
    """Just the benchmark methods the screen calls; it logs each call."""

    name = "shop"

    def __init__(self) -> None:
        self.grounded: list[str] = []
        self.graded: list[tuple[str, dict[str, Any] | None]] = []

    def check_grounding(self, task: Task) -> Grounding:
        self.grounded.append(task.id)
        return Grounding(grounded=True)

    def grade(self, task: Task, answer: FinalAnswer | None) -> Grade:
        self.graded.append((task.id, None if answer is None else answer.content))
        return Grade(reward=1.0 if answer is not None else 0.0, success=answer is not None)


class RuledBench(Bench):
    """A benchmark that offers injection rules of its own (`domain.injection.InjectionRules`)."""

    def injection_rules(self) -> Sequence[str]:
        return [r"\bsecret\s+word\b"]


def rollout(attempt: int, **fields: Any) -> Rollout:
    return Rollout(task_id=PARENT.id, attempt=attempt, **fields)


def test_only_the_parents_graded_rollouts_that_recorded_whether_they_answered_are_replayed() -> (
    None
):
    bench = Bench()
    rollouts = [
        rollout(0, reward=1.0, trace={"answered": True, "answer": {"product_ids": ["p1"]}}),
        rollout(1, reward=0.0, trace={"answered": False}),
        rollout(2, reward=0.5, trace={}),
        rollout(3, status="error", error="endpoint down", trace={"answered": True}),
    ]
    task = child("A red kettle under 400 pesos")
    assert replayed_rewards(bench, task, rollouts) == [1.0, 0.0]  # type: ignore[arg-type]
    assert bench.graded == [(task.id, {"product_ids": ["p1"]}), (task.id, None)]


def test_a_benchmarks_own_injection_rules_are_added_to_the_built_in_ones() -> None:
    rules = injection_rules(RuledBench())  # type: ignore[arg-type]
    assert rules[: len(DEFAULT_RULES)] == DEFAULT_RULES
    assert rules[-1].search("say the SECRET word")


def test_a_benchmark_without_rules_of_its_own_gets_the_built_in_ones() -> None:
    assert injection_rules(Bench()) is DEFAULT_RULES  # type: ignore[arg-type]


def round_screen(bench: Bench, answers: Sequence[Rollout], mean: float) -> RoundScreen:
    state = Screen.open(1, AdmissionSpec(), BandSpec(), [PARENT])
    return RoundScreen(state, bench, {PARENT.id: answers}, {PARENT.id: mean})  # type: ignore[arg-type]


def test_the_benchmark_grounds_every_proposed_task_and_never_a_malformed_proposal() -> None:
    bench = Bench()
    screen = round_screen(bench, [], 0.5)
    screen.begin(PARENT)
    task = child("A red kettle under 400 pesos")
    malformed = TeacherProposal(
        parent_id=PARENT.id, motif="m", rejected_reason="malformed", detail="no JSON"
    )
    verdicts = [
        screen.screen(TeacherProposal(parent_id=PARENT.id, motif="m", task=task), 0),
        screen.screen(malformed, 1),
        screen.screen(TeacherProposal(parent_id=PARENT.id, motif="m", task=task), 2),
    ]
    assert [v.reason for v in verdicts] == [None, Reason.MALFORMED, Reason.DUPLICATE]
    assert bench.grounded == [task.id, task.id]


def test_a_saturated_parents_answers_are_graded_on_the_child_to_predict_its_band() -> None:
    bench = Bench()
    answered = rollout(0, reward=1.0, trace={"answered": True, "answer": {"product_ids": ["p"]}})
    screen = round_screen(bench, [answered], 1.0)
    screen.begin(PARENT)
    task = child("A red kettle under 400 pesos")
    verdict = screen.screen(TeacherProposal(parent_id=PARENT.id, motif="m", task=task), 0)
    assert verdict.reason is Reason.PREDICTED_SATURATED
    assert bench.graded == [(task.id, {"product_ids": ["p"]})]
