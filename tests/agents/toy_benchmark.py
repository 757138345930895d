"""A toy benchmark for the agent tests: find a hidden number with probes.

It implements the Benchmark protocol in a few lines so the agents are tested
against the contract, not against ShoppingBench. Tools: `probe(guess)` answers
higher / lower / correct, `hint()` gives the parity, `submit(number)` is the
final answer. Reward is 1 for the exact number, up to 0.5 for a near miss.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from frontier.domain.interfaces import Episode, LoadResult, MutationProposal, ToolOutcome
from frontier.domain.tasks import Check, FinalAnswer, Grade, Grounding, Lineage, Task

NAME = "toy"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "probe",
            "description": "Compare a guess with the hidden number.",
            "parameters": {
                "type": "object",
                "properties": {"guess": {"type": "integer"}},
                "required": ["guess"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "hint",
            "description": "The parity of the hidden number.",
            "parameters": {"type": "object", "properties": {}},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "submit",
            "description": "Give the final answer.",
            "parameters": {
                "type": "object",
                "properties": {"number": {"type": "integer"}},
                "required": ["number"],
            },
        },
    },
]


def make_task(target: int, low: int = 1, high: int = 100, **extra: Any) -> Task:
    payload = {"low": low, "high": high, "target": target, **extra}
    return Task.create(NAME, "number", f"Find the hidden number between {low} and {high}.", payload)


class ToyEpisode:
    def __init__(self, task: Task) -> None:
        self.task = task
        self.low = int(task.payload["low"])
        self.high = int(task.payload["high"])
        self._target = int(task.payload["target"])
        self._answer: FinalAnswer | None = None

    def system_prompt(self) -> str:
        return "You find hidden numbers. Use the tools; submit the number when sure."

    def user_prompt(self) -> str:
        return self.task.query

    def tools(self) -> list[dict[str, Any]]:
        return TOOLS

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        if self.task.payload.get("backend_down"):
            raise ConnectionError("toy backend unreachable")
        if name == "probe":
            guess = arguments["guess"]  # a missing key raises KeyError: the model's fault
            if not isinstance(guess, int):
                return ToolOutcome(content="guess must be an integer", is_error=True)
            if guess == self._target:
                return ToolOutcome(content="correct")
            return ToolOutcome(content="higher" if self._target > guess else "lower")
        if name == "hint":
            return ToolOutcome(content="even" if self._target % 2 == 0 else "odd")
        if name == "submit":
            number = arguments.get("number")
            if not isinstance(number, int):
                return ToolOutcome(content="number must be an integer", is_error=True)
            self._answer = FinalAnswer(content={"number": number})
            return ToolOutcome(content="submitted", final=True)
        return ToolOutcome(content=f"unknown tool {name}", is_error=True)

    def answer(self) -> FinalAnswer | None:
        return self._answer


class HastyPolicy:
    """Guesses once, at random."""

    async def play(self, episode: Episode, rng: random.Random) -> None:
        assert isinstance(episode.task.payload["low"], int)
        low, high = episode.task.payload["low"], episode.task.payload["high"]
        await episode.call("submit", {"number": rng.randint(low, high)})


class CarefulPolicy:
    """Binary search from a random start, with a probe budget."""

    def __init__(self, budget: int = 12) -> None:
        self.budget = budget

    async def play(self, episode: Episode, rng: random.Random) -> None:
        low, high = episode.task.payload["low"], episode.task.payload["high"]
        guess = rng.randint(low, high)
        for _ in range(self.budget):
            outcome = await episode.call("probe", {"guess": guess})
            if outcome.content == "correct":
                break
            if outcome.content == "higher":
                low = guess + 1
            else:
                high = guess - 1
            guess = (low + high) // 2
        await episode.call("submit", {"number": guess})


class BrokenPolicy:
    async def play(self, episode: Episode, rng: random.Random) -> None:
        await episode.call("hint", {})
        raise RuntimeError("script bug")


class ToyBenchmark:
    name = NAME

    def __init__(self) -> None:
        self.parsed: list[dict[str, Any]] = []

    def load(self, paths: Sequence[str], *, on_error: str = "fail") -> LoadResult:
        return LoadResult(tasks=[])

    def prepare(self, tasks: Sequence[Task]) -> None:
        return None

    def episode(self, task: Task) -> ToyEpisode:
        return ToyEpisode(task)

    def grade(self, task: Task, answer: FinalAnswer | None) -> Grade:
        low, high, target = task.payload["low"], task.payload["high"], task.payload["target"]
        if answer is None:
            return Grade(reward=0.0, success=False, checks=[Check(name="answered", passed=False)])
        number = answer.content["number"]
        exact = number == target
        in_range = low <= number <= high
        near = 1 - abs(number - target) / max(1, high - low)
        reward = 1.0 if exact else (0.5 * max(0.0, near) if in_range else 0.0)
        return Grade(
            reward=reward,
            success=exact,
            checks=[
                Check(name="answered", passed=True),
                Check(name="in_range", passed=in_range),
                Check(name="exact", passed=exact, detail=f"gave {number}"),
            ],
        )

    def motifs(self) -> list[str]:
        return ["narrow_range", "shift_target", "widen_range", "unstable"]

    def mutate(
        self, task: Task, *, motifs: Sequence[str], rng: random.Random, round: int
    ) -> list[MutationProposal]:
        out = []
        for motif in motifs:
            payload = dict(task.payload)
            if motif == "unstable":
                raise ValueError("unstable motif cannot apply")
            if motif == "narrow_range":
                payload["low"] = max(payload["low"], payload["target"] - rng.randint(1, 10))
            elif motif == "shift_target":
                payload["target"] = rng.randint(payload["low"], payload["high"])
            elif motif == "widen_range":
                payload["high"] = payload["high"] + rng.randint(1, 100)
            lineage = Lineage(
                origin="procedural",
                parent_id=task.id,
                root_id=task.root_id,
                motif=motif,
                round=round,
                depth=task.lineage.depth + 1,
            )
            child = Task.create(NAME, "number", task.query, payload, lineage)
            out.append(MutationProposal(task=child, motif=motif))
        return out

    def suggest_motifs(self, task: Task, failed_checks: Sequence[str]) -> list[str]:
        by_check = {"exact": "shift_target", "in_range": "narrow_range"}
        return list(dict.fromkeys(by_check[c] for c in failed_checks if c in by_check))

    def check_grounding(self, task: Task) -> Grounding:
        p = task.payload
        ok = p["low"] <= p["target"] <= p["high"]
        return Grounding(grounded=ok, reason="" if ok else "target outside range")

    def parse_candidate(
        self, parent: Task, payload: dict[str, Any], motif: str, round: int
    ) -> Task:
        for key in ("low", "high", "target"):
            if not isinstance(payload.get(key), int):
                raise ValueError(f"field {key!r} must be an integer")
        self.parsed.append(payload)
        lineage = Lineage(
            origin="llm",
            parent_id=parent.id,
            root_id=parent.root_id,
            motif=motif,
            round=round,
            depth=parent.lineage.depth + 1,
        )
        return Task.create(NAME, "number", parent.query, dict(payload), lineage)

    def export(self, task: Task) -> dict[str, Any]:
        return {"id": task.id, "query": task.query, **task.payload}

    def scripted_policy(self, profile: str) -> HastyPolicy | CarefulPolicy | BrokenPolicy:
        policies: dict[str, type[HastyPolicy | CarefulPolicy | BrokenPolicy]] = {
            "hasty": HastyPolicy,
            "careful": CarefulPolicy,
            "broken": BrokenPolicy,
        }
        return policies[profile]()

    def profiles(self) -> list[str]:
        return ["careful", "hasty", "broken"]
