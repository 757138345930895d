"""Deterministic names for runs and rounds, shared by the operator and `frontier run`.

The same Frontier always yields the same child names, so a restarted operator
or a re-run command finds the work it already started instead of repeating it.
"""

from __future__ import annotations

import hashlib
import json

from frontier.domain.specs import FrontierSpec, ModelRef

MAX_NAME = 63


def bounded(name: str, limit: int = MAX_NAME) -> str:
    """`name` if short enough, else a prefix plus a stable hash suffix."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-')}-{digest}"


def base_profile_run(frontier: str, fingerprint: str) -> str:
    """The base ProfileRun for one solver and task source (`fingerprint` digests them)."""
    return bounded(f"{frontier}-profile-{fingerprint}")


def round_name(frontier: str, number: int) -> str:
    return bounded(f"{frontier}-round-{number}")


def candidates_run(frontier: str, number: int) -> str:
    return bounded(f"{frontier}-round-{number}-candidates")


def verification_name(frontier: str, slice_version: int) -> str:
    return bounded(f"{frontier}-verify-s{slice_version}")


def verification_run(frontier: str, slice_version: int, model: str) -> str:
    return bounded(f"{frontier}-verify-s{slice_version}-{model}")


def panel_slice_run_of(frontier: str, spec: FrontierSpec, model: ModelRef, version: int) -> str:
    """A calibration panel model's ProfileRun over the tasks slice `version` adds."""
    return bounded(
        f"{frontier}-panel-{model.name}-s{version}-{_profile_digest(spec, 'panel', model)}"
    )


def panel_seed(spec: FrontierSpec, model: ModelRef) -> int:
    """The seed a calibration panel model rolls out on: its own, derived from its name.

    The heuristic ladder draws its weak plays per (seed, task, attempt), so rungs on one
    seed fail in nested patterns, far more alike than independent models, and the fit
    reads that as extreme discrimination (median a 3.3 on the example's bank).
    """
    offset = int(hashlib.sha256(f"panel/{model.name}".encode()).hexdigest()[:8], 16)
    return spec.profile.seed + offset


def placement_run(frontier: str, slice_version: int, model: str, calibration: int) -> str:
    """A model's placement on a slice's items of one calibration: the same test, the same run."""
    return bounded(f"{frontier}-place-s{slice_version}-c{calibration}-{model}")


def profile_fingerprint(spec: FrontierSpec) -> str:
    """A short digest of what a base profile depends on: solver, task source, k, seed, adaptivity.

    The base ProfileRun is named after it, so editing the teacher or the slice
    size does not re-profile, while a new solver or task source does.
    """
    return _profile_digest(spec, "solver", spec.solver)


def _profile_digest(spec: FrontierSpec, role: str, model: ModelRef) -> str:
    """A digest of a profile over the base tasks: the model (under `role`), the task source,
    and the profile settings but its shards."""
    relevant = {
        role: model.to_wire(),
        "benchmark": spec.benchmark.to_wire(),
        "profile": {k: v for k, v in spec.profile.to_wire().items() if k != "shards"},
    }
    canonical = json.dumps(relevant, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:8]


def base_profile_run_of(frontier: str, spec: FrontierSpec) -> str:
    """The base ProfileRun's name for this spec (what the operator and `frontier run` both use)."""
    return base_profile_run(frontier, profile_fingerprint(spec))


def panel_profile_run_of(frontier: str, spec: FrontierSpec, model: ModelRef) -> str:
    """A calibration panel model's ProfileRun over the base tasks (operator and `frontier run`)."""
    return bounded(f"{frontier}-panel-{model.name}-{_profile_digest(spec, 'panel', model)}")
