"""Finding credentials in URLs and free text, in one place for every layer.

The store scrubs what it writes with these, the report what it shows, and the agents
what they log, so a rule added here covers all of them. A credential is replaced
whole by REDACTED: no head or tail of it is kept, since a provider's masked echo
("sk-proj-****wxyz") already gives away what a key starts and ends with.
"""

from __future__ import annotations

import re
from typing import TypeVar, cast
from urllib.parse import parse_qsl, urlsplit, urlunsplit

T = TypeVar("T")

REDACTED = "<redacted>"

CREDENTIAL_PARAMETERS = frozenset(
    {
        # API keys as some providers take them (Google ?key=, Azure subscription-key, ...)
        "key",
        "apikey",
        "api_key",
        "x_api_key",
        "x_goog_api_key",
        "subscription_key",
        "access_key",
        "secret_key",
        "code",  # Azure Functions' function key
        # tokens and passwords
        "token",
        "access_token",
        "auth_token",
        "id_token",
        "refresh_token",
        "session_token",
        "security_token",
        "private_token",
        "jwt",
        "bearer",
        "auth",
        "authorization",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "pwd",
        "credential",
        "credentials",
        # signed URLs (Azure SAS, S3 presigned)
        "sig",
        "signature",
        "x_amz_signature",
        "x_amz_credential",
        "x_amz_security_token",
    }
)
"""Query (or fragment) parameter names whose value is a credential. Compared
case-insensitively with '-' read as '_', so `api-key`, `API_KEY` and `Api-Key` all match."""


def is_credential_parameter(name: str) -> bool:
    return name.strip().lower().replace("-", "_") in CREDENTIAL_PARAMETERS


_TOKEN_PATTERNS = (
    # OpenAI-style and similar provider keys, HuggingFace tokens, bearer headers.
    re.compile(r"\b(?:sk|rk|pk)-[A-Za-z0-9_\-]{16,}"),
    re.compile(r"\bhf_[A-Za-z0-9]{20,}"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._\-~+/]{12,}=*"),
    re.compile(r"(?i)(api[-_]?key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{8,}"),
    # A key a server echoed masked: "Incorrect API key provided: sk-abcd****wxyz".
    re.compile(r"(?i)(api key provided:?\s*)(?:(?!\.(?:\s|$))[^\s\"',;])+"),
    # Other masked echoes: key-shaped heads, or a head and a tail around a mask.
    re.compile(r"\b(?:sk|rk|pk)-[A-Za-z0-9_\-]*(?:\*{2,}|•{2,}|\.{3}|…)[A-Za-z0-9_\-]*"),
    re.compile(r"[A-Za-z0-9_\-]{2,}(?:\*{3,}|•{3,})[A-Za-z0-9_\-]{2,}"),
)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@\"'<>?#]+@")
_PARAMETER = re.compile(r"([?&;#])([A-Za-z0-9_.\-]{1,64})=([^&#;\s\"'<>\\]*)")
_HINT = re.compile(r"sk-|rk-|pk-|hf_|\*\*|•|…|\.\.\.|://|=|(?i:bearer|api[-_ ]?key)")


def _parameter(match: re.Match[str]) -> str:
    sep, name, value = match.groups()
    if value and is_credential_parameter(name):
        return f"{sep}{name}={REDACTED}"
    return match.group()


def _hinted(text: str) -> bool:
    """Whether `text` may hold a credential: `_HINT.search(text)`, without the regex for
    ASCII text (substring scans are several times faster; redaction is on the ingest path
    of every trace). Non-ASCII text, where case folding differs, goes to the regex."""
    if not text.isascii():
        return _HINT.search(text) is not None
    if (
        "=" in text
        or "sk-" in text
        or "rk-" in text
        or "pk-" in text
        or "hf_" in text
        or "**" in text
        or "://" in text
        or "..." in text
    ):
        return True
    lowered = text.lower()
    return "bearer" in lowered or (
        "api" in lowered
        and (
            "apikey" in lowered
            or "api-key" in lowered
            or "api_key" in lowered
            or "api key" in lowered
        )
    )


def redact_text(text: str) -> str:
    """Replace key-shaped tokens, URL userinfo and credential URL parameters in free text
    (error messages, serialized traces, log lines)."""
    if not text or not _hinted(text):
        return text
    for pattern in _TOKEN_PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        else:
            text = pattern.sub(REDACTED, text)
    text = _USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    return _PARAMETER.sub(_parameter, text)


def _redacted_parameters(part: str) -> str:
    if "=" not in part:
        return part
    pairs = parse_qsl(part, keep_blank_values=True)
    if not any(is_credential_parameter(name) for name, _ in pairs):
        return part
    return _PARAMETER.sub(_parameter, "?" + part)[1:]


def redact_url(value: str) -> str:
    """A URL with its userinfo and its credential query and fragment parameters redacted."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return redact_text(value)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[-1]}"
    query = _redacted_parameters(parts.query)
    fragment = _redacted_parameters(parts.fragment)
    if (netloc, query, fragment) == (parts.netloc, parts.query, parts.fragment):
        return value
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def redact_deep(value: T) -> T:
    """`value` with redact_text applied to every string in it, through dicts and lists."""
    result: object = value
    if isinstance(value, str):
        result = redact_text(value)
    elif isinstance(value, dict):
        result = {k: redact_deep(v) for k, v in value.items()}
    elif isinstance(value, list):
        result = [redact_deep(v) for v in value]
    elif isinstance(value, tuple):
        result = tuple(redact_deep(v) for v in value)
    return cast(T, result)
