"""Names of the environment variables that carry secrets into worker containers.

The operator mounts each model's API key from its Secret (secretKeyRef, never an
inline value) into a variable whose name is derived from the model name; the agents
read the same name back. Keeping the rule here lets both sides import it without
depending on each other.
"""

from __future__ import annotations

import re

API_KEY_ENV_PREFIX = "FRONTIER_API_KEY_"
DATABASE_DSN_ENV = "FRONTIER_DATABASE_DSN"

_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


def api_key_env_name(model_name: str) -> str:
    """`FRONTIER_API_KEY_<UPPER_SNAKE>` for a model name, e.g. gpt-4o -> FRONTIER_API_KEY_GPT_4O."""
    snake = _NOT_ALNUM.sub("_", model_name.upper()).strip("_")
    if not snake:
        raise ValueError(f"model name {model_name!r} has no letters or digits")
    return API_KEY_ENV_PREFIX + snake


BASE_URL_ENV_PREFIX = "FRONTIER_BASE_URL_"


def base_url_env_name(model_name: str) -> str:
    """`FRONTIER_BASE_URL_<UPPER_SNAKE>`: where a model served by a sidecar is reached.

    Not a secret, but it follows the same naming rule as the API key variable, so the
    operator and the agents agree on it in one place.
    """
    return BASE_URL_ENV_PREFIX + api_key_env_name(model_name).removeprefix(API_KEY_ENV_PREFIX)
