"""Agents: the solver that plays a benchmark's episodes, and the teachers that propose new tasks.

Everything a pipeline stage needs is re-exported here; the modules say why
each piece exists.
"""

from frontier.agents.base import Agent, build_agent, error_rollout
from frontier.agents.credentials import MissingApiKey, api_key_env_name, resolve_api_key
from frontier.agents.endpoint import Endpoint, EndpointPool
from frontier.agents.errors import HarnessError
from frontier.agents.heuristic import HeuristicAgent, attempt_seed
from frontier.agents.limiter import AdaptiveConcurrency, LimitChange
from frontier.agents.retry import RetryPolicy
from frontier.agents.solver import OpenAIAgent
from frontier.agents.usage import Usage

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
