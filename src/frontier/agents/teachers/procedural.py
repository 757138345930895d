"""The procedural teacher: the benchmark's own grounded mutations, aimed by the failure trace.

With motif selection "failure" the motifs come from
`benchmark.suggest_motifs(parent, failed_checks)` (a price miss suggests a
price motif, a wrong shop a same-shop motif), falling back to the other allowed
motifs when those give nothing; with "random" they are shuffled by the round's
rng. No model is called, so it is free and deterministic for a seed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal

from frontier.agents.teachers.proposal import MALFORMED, TeacherProposal
from frontier.domain.interfaces import Benchmark
from frontier.domain.tasks import Task


class ProceduralTeacher:
    def __init__(
        self,
        benchmark: Benchmark,
        *,
        motifs: Sequence[str] = (),
        motif_selection: Literal["failure", "random"] = "failure",
    ) -> None:
        available = benchmark.motifs()
        unknown = [m for m in motifs if m not in available]
        if unknown:
            raise ValueError(
                f"teacher motifs {unknown} are not motifs of {benchmark.name} ({', '.join(available)})"
            )
        self.benchmark = benchmark
        self.allowed = list(motifs) or list(available)
        self.motif_selection = motif_selection

    def motif_order(
        self, parent: Task, failed_checks: Sequence[str], rng: random.Random
    ) -> list[str]:
        """Allowed motifs, most promising first."""
        rest = list(self.allowed)
        rng.shuffle(rest)
        if self.motif_selection != "failure":
            return rest
        suggested = [
            m
            for m in dict.fromkeys(self.benchmark.suggest_motifs(parent, failed_checks))
            if m in self.allowed
        ]
        return suggested + [m for m in rest if m not in suggested]

    async def propose(
        self,
        parent: Task,
        failed_checks: Sequence[str],
        n: int,
        rng: random.Random,
        round: int,
        *,
        failure_summary: str = "",
    ) -> list[TeacherProposal]:
        order = self.motif_order(parent, failed_checks, rng)
        proposals: list[TeacherProposal] = []
        seen: set[str] = {parent.id}
        broken: set[str] = set()
        accepted = 0
        # Cycle through the motifs (a motif may give a different variant on another pass)
        # until n candidates exist or a whole pass adds nothing new.
        while accepted < n and order:
            progress = False
            for motif in order:
                if accepted >= n:
                    break
                if motif in broken:
                    continue
                try:
                    made = self.benchmark.mutate(parent, motifs=[motif], rng=rng, round=round)
                except ValueError as exc:
                    broken.add(motif)
                    proposals.append(
                        TeacherProposal(
                            parent_id=parent.id,
                            motif=motif,
                            rejected_reason=MALFORMED,
                            detail=f"mutation {motif} failed: {exc}",
                        )
                    )
                    continue
                for mutation in made:
                    if accepted >= n or mutation.task.id in seen:
                        continue
                    seen.add(mutation.task.id)
                    proposals.append(
                        TeacherProposal(
                            parent_id=parent.id,
                            motif=mutation.motif,
                            task=mutation.task,
                            detail=mutation.note,
                        )
                    )
                    accepted += 1
                    progress = True
            if not progress:
                break
        return proposals
