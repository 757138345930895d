"""Keeping secrets out of the database.

Specs reference API keys only indirectly (a Secret, an environment variable's
name, a file path), so a spec stored as `to_wire()` holds no key. This module
is the second line of defence for everything the store writes that a user or
an endpoint controls: a field named like a credential that holds something
other than a reference, a `--api-key` argument of a model server, an env entry
with a literal value, credentials inside a URL (userinfo, or a query parameter such
as `?key=`), and key-shaped tokens in error messages and traces are all replaced by
REDACTED before they are stored. The URL and text rules live in domain.redaction,
shared with the agents' logs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from frontier.domain.redaction import REDACTED, redact_text, redact_url

__all__ = ["REDACTED", "has_credential_field", "redact_text", "redact_url", "scrub"]

_SECRETISH_NAME = re.compile(
    r"(api[-_]?key|secret|passw(or)?d|credential|authorization|(key|token)$)", re.I
)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_SECRET_FLAG = re.compile(
    r"^--?(api[-_]?key|token|password|secret|auth[-_]?token|hf[-_]?token)(=.*)?$", re.I
)

_CREDENTIAL_FIELD_IN_JSON = re.compile(
    r'"[^"\\]*(?:api[-_]?key|secret|passw(?:or)?d|credential|authorization)[^"\\]*"\s*:', re.I
)


def has_credential_field(json_text: str) -> bool:
    """Whether serialized JSON has an object field named like a credential (cheap pre-check).

    ASCII text holding none of the names is answered with substring scans, without the
    regex (the names are all ASCII, so such text cannot match it)."""
    if json_text.isascii():
        lowered = json_text.lower()
        if not (
            "secret" in lowered
            or "passw" in lowered
            or "credential" in lowered
            or "authorization" in lowered
            or ("api" in lowered and "key" in lowered)
        ):
            return False
    return bool(_CREDENTIAL_FIELD_IN_JSON.search(json_text))


def _is_reference(field: str, value: Any) -> bool:
    """Whether a credential-named field holds a reference (a Secret, a variable name, a path)."""
    lowered = field.lower()
    if isinstance(value, Mapping):
        # A SecretKeyRef: {name, key} naming a Kubernetes Secret and a key in it.
        return set(value) <= {"name", "key", "optional"} and all(
            isinstance(v, str | bool) for v in value.values()
        )
    if not isinstance(value, str):
        return value is None or isinstance(value, bool | int | float)
    if lowered.endswith("env") or lowered.endswith("envvar") or lowered.endswith("_env"):
        return bool(_ENV_NAME.match(value)) and redact_text(value) == value
    if lowered.endswith("file") or lowered.endswith("path"):
        return redact_text(value) == value
    if lowered in ("key",):  # the key inside a SecretKeyRef-like mapping, handled by the caller
        return redact_text(value) == value
    return False


def _scrub_args(args: list[Any]) -> list[Any]:
    out: list[Any] = []
    hide_next = False
    for arg in args:
        if hide_next:
            out.append(REDACTED)
            hide_next = False
            continue
        if isinstance(arg, str):
            match = _SECRET_FLAG.match(arg)
            if match:
                if match.group(2):
                    out.append(arg.split("=", 1)[0] + "=" + REDACTED)
                else:
                    out.append(arg)
                    hide_next = True
                continue
            out.append(redact_text(arg))
        else:
            out.append(scrub(arg))
    return out


def scrub(value: Any, field: str = "") -> Any:
    """A copy of a JSON-like value with anything that could be a credential replaced."""
    if isinstance(value, Mapping):
        env_entry = set(value) >= {"name", "value"} and isinstance(value.get("name"), str)
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = str(k)
            if (env_entry and key == "value" and _SECRETISH_NAME.search(value["name"])) or (
                _SECRETISH_NAME.search(key) and not _is_reference(key, v)
            ):
                out[key] = REDACTED
            elif isinstance(v, Mapping):
                out[key] = scrub(v, key)
            elif isinstance(v, list):
                out[key] = _scrub_args(v)
            elif isinstance(v, str):
                out[key] = redact_url(v) if "url" in key.lower() else redact_text(v)
            else:
                out[key] = v
        return out
    if isinstance(value, list):
        return _scrub_args(value)
    if isinstance(value, str):
        return redact_text(value)
    return value
