"""The Agent protocol every pipeline stage rolls out through, and the factory for a ModelRef.

A stage never cares whether a model is the heuristic baseline or an endpoint:
it calls `build_agent(model)` and `await agent.rollout(...)`, and gets a Rollout
that is either graded (status "ok") or a harness error (status "error").
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
    """Plays one attempt of one task and returns its Rollout.

    Harness failures come back as a Rollout with status "error"; `rollout`
    raises only for configuration errors (an unknown profile, a missing key).
    """

    async def rollout(
        self, benchmark: Benchmark, task: Task, attempt: int, seed: int
    ) -> Rollout: ...


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


def build_agent(model: ModelRef, *, pool: EndpointPool | None = None) -> Agent:
    """The agent for `model`: heuristic, or an OpenAI solver whose endpoint comes from `pool`.

    Pass one `pool` per run (per event loop) so models on the same endpoint
    share its adaptive limit, and read `pool.history()` at the end.
    """
    if model.provider == "heuristic":
        return HeuristicAgent(model)
    pool = pool if pool is not None else EndpointPool()
    return OpenAIAgent(model, pool.get(model, endpoint_url(model)))
