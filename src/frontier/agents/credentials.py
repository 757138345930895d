"""Where an endpoint's API key comes from, and the one env var name the operator injects.

A ModelRef names its key by an environment variable (local runs), a mounted
file, or a Kubernetes Secret. For a Secret the operator's Job builder mounts it
as the variable `api_key_env_name(model.name)` (frontier.domain.secrets), and
the worker reads the same name here, so the two sides agree by construction.
The key itself is never logged or put in a trace or an exception message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar, cast

from frontier.domain.secrets import API_KEY_ENV_PREFIX, api_key_env_name
from frontier.domain.specs import ModelRef

__all__ = [
    "API_KEY_ENV_PREFIX",
    "NO_KEY",
    "MissingApiKey",
    "api_key_env_name",
    "redact",
    "resolve_api_key",
]

T = TypeVar("T")
NO_KEY = "no-key"
"""Sent when a model names no key at all (a local vLLM server accepts any)."""


class MissingApiKey(ValueError):
    """The configured key source is absent (names the variable or file, never a value)."""


def resolve_api_key(model: ModelRef, environ: dict[str, str] | None = None) -> str:
    """The API key for `model`, from apiKeyEnv, apiKeyFile or apiKeySecret (via its env var)."""
    env = os.environ if environ is None else environ
    if model.api_key_env is not None:
        value = env.get(model.api_key_env)
        if not value:
            raise MissingApiKey(
                f"model {model.name!r}: apiKeyEnv names {model.api_key_env}, which is not set"
            )
        return value.strip()
    if model.api_key_file is not None:
        path = Path(model.api_key_file)
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise MissingApiKey(
                f"model {model.name!r}: apiKeyFile {path} cannot be read ({exc.strerror or type(exc).__name__})"
            ) from None
        if not value:
            raise MissingApiKey(f"model {model.name!r}: apiKeyFile {path} is empty")
        return value
    if model.api_key_secret is not None:
        name = api_key_env_name(model.name)
        value = env.get(name)
        if not value:
            raise MissingApiKey(
                f"model {model.name!r}: apiKeySecret {model.api_key_secret.name}/{model.api_key_secret.key} "
                f"should be mounted as {name}, which is not set"
            )
        return value.strip()
    return NO_KEY


def redact(value: T, secret: str | None) -> T:
    """`value` with every occurrence of `secret` replaced, through nested dicts and lists."""
    if not secret or secret == NO_KEY or len(secret) < 4:
        return value
    result: object = value
    if isinstance(value, str):
        result = value.replace(secret, "[redacted]")
    elif isinstance(value, dict):
        result = {k: redact(v, secret) for k, v in value.items()}
    elif isinstance(value, list):
        result = [redact(v, secret) for v in value]
    elif isinstance(value, tuple):
        result = tuple(redact(v, secret) for v in value)
    return cast(T, result)
