"""Deterministic names for runs and rounds, shared by the operator and `frontier run`.

The same Frontier always yields the same child names, so a restarted operator
or a re-run command finds the work it already started instead of repeating it.
"""

from __future__ import annotations

import hashlib

MAX_NAME = 63


def bounded(name: str, limit: int = MAX_NAME) -> str:
    """`name` if short enough, else a prefix plus a stable hash suffix."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-')}-{digest}"


def base_profile_run(frontier: str, generation: int) -> str:
    return bounded(f"{frontier}-profile-base-g{generation}")


def round_name(frontier: str, number: int) -> str:
    return bounded(f"{frontier}-round-{number}")


def candidates_run(frontier: str, number: int) -> str:
    return bounded(f"{frontier}-round-{number}-candidates")


def verification_name(frontier: str, slice_version: int) -> str:
    return bounded(f"{frontier}-verify-s{slice_version}")


def verification_run(frontier: str, slice_version: int, model: str) -> str:
    return bounded(f"{frontier}-verify-s{slice_version}-{model}")
