"""The heuristic baseline agent: a benchmark's scripted policy, seeded, traced and graded.

It needs no model, so the embedded default and most tests run it. Its
randomness comes from (seed, task, attempt) alone, so the k attempts of a task
differ while a rerun with the same seed reproduces every rollout.

With `ModelRef.skill` set it plays the benchmark's `skilled_policy` (the optional
`SkilledPolicies`) instead: the profile, each decision point played the weak way with
probability 1 - skill. `ladder` builds a panel of such models of evenly spaced skill.
"""

from __future__ import annotations

import hashlib
import random
import time

from frontier.agents.tracing import TracedEpisode, error_rollout, grade_episode, graded_rollout
from frontier.domain.interfaces import Benchmark, ScriptedPolicy, SkilledPolicies
from frontier.domain.specs import ModelRef
from frontier.domain.tasks import Rollout, Task


def attempt_seed(seed: int, task_id: str, attempt: int) -> int:
    """A 64-bit seed for one attempt, stable across processes (no Python hash())."""
    digest = hashlib.sha256(f"{seed}:{task_id}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def ladder(n: int, profile: str | None = None) -> list[ModelRef]:
    """`n` heuristic models of evenly spaced skill from 0 to 1, weakest first.

    Named `heuristic-s000` ... `heuristic-s100` (the skill in percent), for an
    item-response calibration panel. Without a profile each plays the benchmark's
    strongest profile (see `HeuristicAgent.profile_for`).
    """
    if not 2 <= n <= 101:
        raise ValueError(f"a ladder has 2 to 101 rungs (distinct percent names), not {n}")
    skills = [i / (n - 1) for i in range(n)]
    return [
        ModelRef(name=f"heuristic-s{round(100 * s):03d}", profile=profile, skill=s) for s in skills
    ]


class HeuristicAgent:
    """Plays `benchmark.scripted_policy(profile)`; the profile defaults to the benchmark's first.

    With a skill, it plays `benchmark.skilled_policy(profile, skill)` and the profile
    defaults to the benchmark's last (strongest), so a ladder spans weak to strong.
    """

    def __init__(self, model: ModelRef) -> None:
        if model.provider != "heuristic":
            raise ValueError(
                f"model {model.name!r} has provider {model.provider!r}, not 'heuristic'"
            )
        self.model = model

    def profile_for(self, benchmark: Benchmark) -> str:
        profiles = benchmark.profiles()
        if not profiles:
            raise ValueError(f"benchmark {benchmark.name!r} offers no heuristic profiles")
        default = profiles[0] if self.model.skill is None else profiles[-1]
        profile = self.model.profile or default
        if profile not in profiles:
            raise ValueError(
                f"model {self.model.name!r}: profile {profile!r} is not one of "
                f"{benchmark.name}'s profiles ({', '.join(profiles)})"
            )
        return profile

    def policy_for(self, benchmark: Benchmark, profile: str) -> ScriptedPolicy:
        skill = self.model.skill
        if skill is None:
            return benchmark.scripted_policy(profile)
        if not isinstance(benchmark, SkilledPolicies):
            raise ValueError(
                f"model {self.model.name!r}: benchmark {benchmark.name!r} offers no "
                "skill levels (skilled_policy); drop skill"
            )
        return benchmark.skilled_policy(profile, skill)

    async def rollout(self, benchmark: Benchmark, task: Task, attempt: int, seed: int) -> Rollout:
        profile = self.profile_for(benchmark)  # a wrong profile is a configuration error: raise
        policy = self.policy_for(benchmark, profile)  # and so is a skill it cannot play
        started = time.perf_counter()
        derived = attempt_seed(seed, task.id, attempt)
        trace: dict[str, object] = {
            "agent": "heuristic",
            "model": self.model.name,
            "profile": profile,
            **({} if self.model.skill is None else {"skill": self.model.skill}),
            "seed": seed,
            "attempt_seed": derived,
        }
        episode: TracedEpisode | None = None
        try:
            episode = TracedEpisode(benchmark.episode(task))
            trace["messages"] = [
                {"role": "system", "content": episode.system_prompt()},
                {"role": "user", "content": episode.user_prompt()},
            ]
            await policy.play(episode, random.Random(derived))
            answer, grade = grade_episode(benchmark, task, episode)
        except Exception as exc:  # the script and the environment are harness, not model
            if episode is not None:
                trace["tool_calls"] = episode.tool_calls
            return error_rollout(
                task,
                attempt,
                f"heuristic agent failed: {type(exc).__name__}: {exc}",
                dict(trace),
                wall_seconds=time.perf_counter() - started,
            )
        trace["tool_calls"] = episode.tool_calls
        trace["steps"] = len(episode.tool_calls)
        trace["stop_reason"] = "final" if episode.finished else "no_final_call"
        return graded_rollout(
            task, attempt, answer, grade, dict(trace), wall_seconds=time.perf_counter() - started
        )
