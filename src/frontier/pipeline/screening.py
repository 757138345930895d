"""Screening over a real benchmark and store: the inputs the pure screen (`domain.screening`)
cannot compute itself.

The benchmark checks each candidate's grounding, may add injection rules of its
own, and grades the parent's recorded answers with the child's grader for band
prediction; the store gives the frontier's tasks, the round's earlier candidates
and the solver's means.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from frontier.agents.teachers import TeacherProposal
from frontier.domain.injection import DEFAULT_RULES, InjectionRules, compile_rules
from frontier.domain.interfaces import Benchmark
from frontier.domain.screening import Candidate, Screen, Verdict
from frontier.domain.tasks import FinalAnswer, Rollout, Task
from frontier.pipeline.context import Context
from frontier.store import CandidateRecord


def replayed_rewards(
    benchmark: Benchmark, child: Task, parent_rollouts: Sequence[Rollout]
) -> list[float]:
    """The child's grader applied to the final answers the solver recorded on the parent.

    Only successful rollouts that recorded whether they answered count; one that
    finished without an answer is graded as no answer, as it was on the parent.
    """
    rewards: list[float] = []
    for r in parent_rollouts:
        if not r.ok or "answered" not in r.trace:
            continue
        content = r.trace.get("answer")
        answer = FinalAnswer(content=content) if isinstance(content, dict) else None
        rewards.append(benchmark.grade(child, answer).reward)
    return rewards


def injection_rules(benchmark: Benchmark) -> tuple[re.Pattern[str], ...]:
    """The built-in injection rules, plus the benchmark's own if it offers any."""
    if isinstance(benchmark, InjectionRules):
        return compile_rules(benchmark.injection_rules())
    return DEFAULT_RULES


class RoundScreen:
    """One shard's screen of a round: the domain `Screen`, fed by the benchmark.

    Call `begin(parent)` before the teacher proposes for a parent, then
    `screen(proposal, number)` for each proposal in the teacher's order.
    """

    def __init__(
        self,
        state: Screen,
        benchmark: Benchmark,
        answers: Mapping[str, Sequence[Rollout]],
        means: Mapping[str, float],
    ) -> None:
        self.state = state
        self.benchmark = benchmark
        self.answers = answers
        """The solver's rollouts of each parent (band prediction replays their answers)."""
        self.means = means
        """The solver's latest mean reward of each task (read only for band prediction)."""

    def begin(self, parent: Task) -> None:
        answers = self.answers.get(parent.id, [])

        def replay(child: Task) -> list[float]:
            return replayed_rewards(self.benchmark, child, answers)

        self.state.begin(parent, parent_mean=self.means.get(parent.id), replay=replay)

    def screen(self, proposal: TeacherProposal, number: int) -> Verdict:
        """The verdict on the parent's `number`th proposal (the benchmark checks its grounding)."""
        task = proposal.task
        return self.state.screen(
            Candidate(
                number=number,
                motif=proposal.motif,
                task=task,
                grounding=self.benchmark.check_grounding(task) if task is not None else None,
                detail=proposal.detail,
            )
        )


def open_screen(
    ctx: Context,
    round_number: int,
    benchmark: Benchmark,
    tasks: Iterable[Task],
    recorded: Iterable[CandidateRecord],
    *,
    answers: Mapping[str, Sequence[Rollout]],
    means: Mapping[str, float],
) -> RoundScreen:
    """The screen of a round over the frontier's `tasks` and the round's `recorded` candidates.

    `benchmark` is the screening instance (`Context.screening_benchmark`), never the one
    rollouts are played in: checking a candidate may add to its environment.
    """
    state = Screen.open(
        round_number,
        ctx.spec.admission,
        ctx.spec.bands,
        tasks,
        [(c.task_id, c.parent_id) for c in recorded],
        rules=injection_rules(benchmark),
    )
    return RoundScreen(state, benchmark, answers, means)
