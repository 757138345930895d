"""Screening: what a teacher's candidate must pass before a single rollout is spent on it.

It is pure so that every verdict can be tested from plain tasks: the benchmark's
grounding verdict and the replay of the parent's recorded answers come in as
inputs, and `pipeline.screening` supplies them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from frontier.domain import admission
from frontier.domain.admission import Decision, Reason, novelty
from frontier.domain.injection import DEFAULT_RULES, addressed_to_the_harness
from frontier.domain.prediction import predict_band, skip_by_prediction
from frontier.domain.similarity import shingle_pool, shingles
from frontier.domain.specs import AdmissionSpec, BandSpec
from frontier.domain.tasks import Grounding, Task

MALFORMED_DETAIL = "the teacher's proposal was malformed"
"""The detail of a malformed candidate whose teacher gave none."""

Replay = Callable[[Task], Sequence[float]]
"""A child's grader applied to the answers the solver recorded on its parent."""


def _no_replay(child: Task) -> Sequence[float]:
    return ()


@dataclass(frozen=True)
class Candidate:
    """One teacher proposal, as the screen sees it.

    `task` is None when the teacher's answer could not be made into a task
    (`detail` then says why); otherwise `grounding` is the benchmark's
    `check_grounding(task)`.
    """

    number: int
    """Its position among the parent's proposals (part of a rejection's stable id)."""
    motif: str
    task: Task | None
    grounding: Grounding | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        if (self.task is None) != (self.grounding is None):
            raise ValueError("a candidate with a task needs its grounding, and only then")


@dataclass(frozen=True)
class Verdict:
    """The screen's answer for one candidate, and the id it is recorded under."""

    candidate_id: str
    """The task's id, or a stable id of its own for a rejection that is not a task of its
    own (malformed, or a task already recorded as a candidate of this round)."""
    task: Task | None
    decision: Decision | None
    """None: screened in, to be rolled out; otherwise a rejection with its reason."""

    @property
    def screened_in(self) -> bool:
        return self.decision is None

    @property
    def reason(self) -> Reason | None:
        return None if self.decision is None else self.decision.reason


def rejection_id(parent_id: str, candidate: Candidate) -> str:
    """A stable id for a rejected candidate that is not a task of its own.

    Used when the candidate has no task (malformed) or its task is already a
    candidate of this round, so its rejection cannot overwrite that candidate.
    """
    same_as = candidate.task.id if candidate.task is not None else ""
    key = f"{parent_id}:{candidate.number}:{candidate.motif}:{same_as}:{candidate.detail}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def unrelated(pool: Mapping[str, frozenset[str]], kin: set[str]) -> dict[str, frozenset[str]]:
    """The similarity pool without the candidate's own mutation tree (same root task).

    A grounded mutation restates its parent's request plus one changed
    constraint, so it reads almost like every task of its tree by construction;
    the near-duplicate screen is for rewordings of other tasks. Exact duplicates
    are still caught by content id against every task.
    """
    return {task_id: s for task_id, s in pool.items() if task_id not in kin}


@dataclass
class Screen:
    """One round's screen: what the frontier already holds, and what this screen let in.

    Open it with `Screen.open`, call `begin(parent)` before each parent's
    proposals are judged, then `screen(candidate)` for each of them in the
    order the teacher gave them. The checks, in order (the first that fails
    decides):

    1. malformed: the teacher's answer is not a task;
    2. injection: a string of the task's text addresses the harness (`rules`);
    3. ungrounded: the benchmark cannot check it against evidence;
    4. duplicate: same content id as a task the frontier holds or one screened in
       earlier (this round included), or the same query as a task outside the
       candidate's own mutation tree;
    5. near_duplicate: query similarity at or above the spec's threshold to a
       task outside its own mutation tree;
    6. predicted_saturated (with `spec.predict_band`): the solver saturated the
       parent and every answer it recorded there still saturates the child.

    A parent redone after a crash is screened as if for the first time: `begin`
    forgets the tasks and candidates the earlier attempt at it left.
    """

    round: int
    spec: AdmissionSpec
    bands: BandSpec
    rules: Sequence[re.Pattern[str]] = DEFAULT_RULES
    tasks: Mapping[str, Task] = field(default_factory=dict)
    """The frontier's tasks when the screen opened (never changed)."""
    recorded_by_parent: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """This round's candidate ids recorded before the screen opened, by parent."""
    known: set[str] = field(default_factory=set)
    """Ids of the tasks a new candidate duplicates: the frontier's, then those screened in."""
    texts: dict[str, frozenset[str]] = field(default_factory=dict)
    """Shingles of the known tasks' queries, for the near-duplicate check."""
    recorded: set[str] = field(default_factory=set)
    """Candidate ids recorded in this round, so no verdict overwrites an earlier one."""
    parent: Task | None = None
    kin: set[str] = field(default_factory=set)
    """The current parent's mutation tree (same root task), exempt from the similarity check."""
    parent_mean: float | None = None
    replay: Replay = _no_replay

    @classmethod
    def open(
        cls,
        round: int,
        spec: AdmissionSpec,
        bands: BandSpec,
        tasks: Iterable[Task],
        recorded: Iterable[tuple[str, str | None]] = (),
        *,
        rules: Sequence[re.Pattern[str]] = DEFAULT_RULES,
    ) -> Screen:
        """The screen of round `round` over the frontier's `tasks` and this round's
        candidates recorded so far, as (candidate id, parent id) pairs."""
        by_id = {t.id: t for t in tasks}
        pairs = list(recorded)
        by_parent: dict[str, set[str]] = {}
        for candidate_id, parent_id in pairs:
            if parent_id is not None:
                by_parent.setdefault(parent_id, set()).add(candidate_id)
        return cls(
            round=round,
            spec=spec,
            bands=bands,
            rules=rules,
            tasks=by_id,
            recorded_by_parent={p: frozenset(ids) for p, ids in by_parent.items()},
            known=set(by_id),
            texts=shingle_pool((t.id, t.query) for t in by_id.values()),
            recorded={candidate_id for candidate_id, _ in pairs},
        )

    def begin(
        self, parent: Task, *, parent_mean: float | None = None, replay: Replay = _no_replay
    ) -> None:
        """Start judging `parent`'s proposals.

        Args:
            parent: the task the teacher mutates.
            parent_mean: the solver's latest mean reward on it (band prediction needs it).
            replay: grades the parent's recorded solver answers with a child's grader;
                called only for a candidate that passed every other check, and only
                with `spec.predict_band`.
        """
        own = {
            t
            for t, task in self.tasks.items()
            if task.lineage.parent_id == parent.id and task.lineage.round == self.round
        }
        self.known -= own
        self.recorded -= self.recorded_by_parent.get(parent.id, frozenset())
        for task_id in own:
            self.texts.pop(task_id, None)
        root = parent.root_id
        self.parent = parent
        self.kin = {t for t, task in self.tasks.items() if task.root_id == root}
        self.parent_mean = parent_mean
        self.replay = replay

    def screen(self, candidate: Candidate) -> Verdict:
        """The verdict on one candidate of the current parent; a candidate screened in
        joins what later candidates are compared with."""
        if self.parent is None:
            raise ValueError("call begin(parent) before screening its candidates")
        decision = self._decide(candidate)
        task = candidate.task
        if task is None or (decision is not None and task.id in self.recorded):
            candidate_id = rejection_id(self.parent.id, candidate)
        else:
            candidate_id = task.id
        self.recorded.add(candidate_id)
        if decision is None:
            assert task is not None
            self.known.add(task.id)
            self.texts[task.id] = shingles(task.query)
            self.kin.add(task.id)
        return Verdict(candidate_id=candidate_id, task=task, decision=decision)

    def _decide(self, candidate: Candidate) -> Decision | None:
        task = candidate.task
        if task is None:
            return Decision.reject(Reason.MALFORMED, candidate.detail or MALFORMED_DETAIL)
        assert candidate.grounding is not None
        found = novelty(task.id, task.query, self.known, unrelated(self.texts, self.kin))
        decision = admission.screen(
            candidate.grounding,
            found,
            self.spec,
            injection=addressed_to_the_harness([task.query, task.payload], self.rules),
        )
        if decision is None and self.spec.predict_band:
            replayed = self.replay(task)
            decision = skip_by_prediction(
                predict_band(replayed, self.bands), self.parent_mean, self.bands
            )
        return decision
