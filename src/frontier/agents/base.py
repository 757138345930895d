"""The Agent protocol every pipeline stage rolls out through, and the factory for a ModelRef.

A stage never cares whether a model is the heuristic baseline or an endpoint:
it calls `build_agent(model, pool=pool)` and `await agent.rollout(...)`, and gets a Rollout
that is either graded (status "ok") or a harness error (status "error"), so a
failure of the machinery is never scored as a failure of the model.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from frontier.agents.endpoint import EndpointPool
from frontier.agents.heuristic import HeuristicAgent
from frontier.agents.solver import OpenAIAgent
from frontier.agents.tracing import error_rollout
from frontier.domain.interfaces import Benchmark
from frontier.domain.secrets import base_url_env_name
from frontier.domain.specs import ModelRef
from frontier.domain.tasks import Rollout, Task

__all__ = ["Agent", "build_agent", "endpoint_url", "error_rollout"]


@runtime_checkable
class Agent(Protocol):
    """Plays one attempt of one task in a benchmark's episode and returns its graded Rollout.

    Each shard of a run (`pipeline.profile.run_shard`: profile, candidate and
    verification runs) builds one agent with `build_agent` (the heuristic
    baseline or the OpenAI-compatible solver; a new kind of agent is added
    there, there is no entry point for agents), and the rollout engine
    (`pipeline.rollouts.roll_out`) awaits `rollout` for every planned (task,
    attempt).

    What must hold:

    - Concurrency: up to `model.concurrency` calls of `rollout` run at once as
      asyncio tasks on one event loop (never from several threads), sharing the
      agent and the benchmark. Keep each attempt's state local to the call (the
      OpenAI agent makes a fresh `_Run` per call) and open a fresh
      `benchmark.episode(task)` per attempt. A call may be cancelled when the
      shard stops (another call raised): let `asyncio.CancelledError` through.
    - Determinism: draw any randomness from (seed, task.id, attempt) alone (see
      `heuristic.attempt_seed`), so a rerun with the same seed reproduces every
      rollout; the heuristic agent does, a model endpoint cannot promise it.
    - Usage: put the tokens and cost of the attempt on the Rollout
      (`input_tokens`, `output_tokens`, `cost_usd`), on an error rollout too
      (what was billed before the failure). Run totals, the cost metrics and
      `spec.budget` (which estimates the next wave from the mean cost per
      attempt stored so far) read only these fields.
    """

    async def rollout(self, benchmark: Benchmark, task: Task, attempt: int, seed: int) -> Rollout:
        """Play and grade one attempt.

        Args:
            benchmark: the prepared benchmark (every task of the frontier in its
                environment), shared by all attempts of the shard.
            task: the task to play.
            attempt: the attempt number, from 0. A rollout is stored under
                (run, task, attempt): an attempt that ended in an error is played
                again later with the same number and overwrites it.
            seed: the run's seed.

        Returns: a Rollout for exactly this `task.id` and `attempt` (the engine
        files it by them), built with `frontier.agents.tracing`:

        - `graded_rollout` (status "ok") when the episode ran to the end, however
          badly the model did: a wrong or missing answer, malformed or unknown
          tool calls, arguments a tool rejected (the OpenAI agent feeds a tool's
          ValueError, TypeError or KeyError back to the model), running out of
          steps are model failures, graded by
          `benchmark.grade(task, episode.answer())` (no answer is graded as None).
          Its trace keys are read downstream: `answered` and `answer` (band
          prediction replays the solver's answers on a child), `failed_checks`
          and `tool_calls` (what the teacher is told about failures). The engine
          counts an "ok" rollout without a reward as an error.
        - `error_rollout` (status "error", no reward) for a harness failure:
          the endpoint stayed down or the retry budget was spent (`HarnessError`
          from `frontier.agents.errors`), or the environment or the grader
          raised. An error is never reward 0: it is left out of every metric
          and the attempt is played again, up to the engine's retries; when more
          than `spec.failure.maxErroredShare` of a shard's attempts still end in
          an error, the run fails (`RunFailedError`) and nothing is published.

        Raises: only for a configuration error no retry can fix (the heuristic
        agent: a profile the benchmark does not offer; the OpenAI agent's, such as
        a missing API key, are raised earlier, by `build_agent`). The exception
        stops the shard, which is recorded as failed; the rollouts finished so far
        are stored, and a rerun resumes from them.
        """
        ...


def endpoint_url(model: ModelRef, environ: Mapping[str, str] | None = None) -> str:
    """The model's base URL; a sidecar server without one is reached where the Job says.

    The operator's Job builder sets `base_url_env_name(model.name)` for a sidecar;
    without it (a local run) the sidecar's port on localhost is used.
    """
    if model.base_url is not None:
        return model.base_url
    if model.server is not None:
        env = os.environ if environ is None else environ
        return env.get(base_url_env_name(model.name)) or (
            f"http://127.0.0.1:{model.server.port}/v1"
        )
    raise ValueError(f"model {model.name!r} has no baseUrl and no server")


def build_agent(model: ModelRef, *, pool: EndpointPool) -> Agent:
    """The agent for `model`: heuristic, or an OpenAI solver whose endpoint comes from `pool`.

    Args:
        model: the model reference from a spec.
        pool: one per run (per event loop), so models on the same endpoint share
            its adaptive limit; read `pool.history()` at the end. The caller owns
            it and closes it (`async with EndpointPool() as pool:`): it holds the
            endpoints' HTTP sessions, which is why there is no default.

    Returns:
        An Agent whose `rollout` never raises for a failure of the machinery.
    """
    if model.provider == "heuristic":
        return HeuristicAgent(model)
    return OpenAIAgent(model, pool.get(model, endpoint_url(model)))
