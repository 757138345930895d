"""Agents: the solver that plays a benchmark's episodes, and the teachers that propose new tasks.

Everything a pipeline stage needs is re-exported here, imported on first use;
the modules say why each piece exists.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from frontier.agents.base import Agent, build_agent, error_rollout
    from frontier.agents.credentials import MissingApiKey, api_key_env_name, resolve_api_key
    from frontier.agents.endpoint import Endpoint, EndpointPool
    from frontier.agents.errors import HarnessError
    from frontier.agents.heuristic import HeuristicAgent, attempt_seed
    from frontier.agents.limiter import AdaptiveConcurrency, LimitChange
    from frontier.agents.retry import RetryPolicy
    from frontier.agents.solver import OpenAIAgent
    from frontier.agents.usage import Usage

_HOMES = {
    "Agent": "base",
    "build_agent": "base",
    "error_rollout": "base",
    "MissingApiKey": "credentials",
    "api_key_env_name": "credentials",
    "resolve_api_key": "credentials",
    "Endpoint": "endpoint",
    "EndpointPool": "endpoint",
    "HarnessError": "errors",
    "HeuristicAgent": "heuristic",
    "attempt_seed": "heuristic",
    "AdaptiveConcurrency": "limiter",
    "LimitChange": "limiter",
    "RetryPolicy": "retry",
    "OpenAIAgent": "solver",
    "Usage": "usage",
}


def __getattr__(name: str) -> Any:
    """Import on first use: the OpenAI SDK takes about a second to import, and a command
    that only needs an error class or the heuristic agent should not pay for it."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "AdaptiveConcurrency",
    "Agent",
    "Endpoint",
    "EndpointPool",
    "HarnessError",
    "HeuristicAgent",
    "LimitChange",
    "MissingApiKey",
    "OpenAIAgent",
    "RetryPolicy",
    "Usage",
    "api_key_env_name",
    "attempt_seed",
    "build_agent",
    "error_rollout",
    "resolve_api_key",
]
