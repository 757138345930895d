"""Small, fast Frontier specs over the real ShoppingBench dev sample, for pipeline and CLI tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from frontier.domain.specs import FrontierSpec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "shoppingbench.yaml"
SHARED_DATA = ROOT.parent / "shared" / "data" / "shoppingbench"
DEV_SAMPLE_DIRS = [ROOT / "data" / "shoppingbench", SHARED_DATA]


def dev_sample_dir() -> Path:
    """Where the ShoppingBench dev sample is. Without it a developer's run skips the tests
    that read it; CI fails instead, so a missing ../shared never passes as green."""
    found = next((d for d in DEV_SAMPLE_DIRS if list(d.glob("*.dev.jsonl"))), None)
    if found is not None:
        return found
    where = ", ".join(map(str, DEV_SAMPLE_DIRS))
    if os.environ.get("CI"):
        pytest.fail(f"CI needs the ShoppingBench dev sample in one of {where}")
    pytest.skip(f"no ShoppingBench dev sample in {where}")


def scripted_model(url: str, name: str = "solver-scripted", **fields: Any) -> dict[str, Any]:
    """A model reference (camelCase, as in a manifest) on the scripted OpenAI-compatible server
    at `url`; `fields` override or add to the defaults."""
    return {
        "name": name,
        "provider": "openai",
        "baseUrl": url,
        "model": "scripted-model",
        "temperature": 0.0,
        "maxSteps": 4,
        "timeoutSeconds": 10,
        "maxRetries": 3,
        **fields,
    }


def example_document() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    return doc


def small_document(per_family: int = 4, **spec_overrides: Any) -> dict[str, Any]:
    """The example manifest with absolute task paths, a few tasks per family, no calibration
    panel, and overrides."""
    doc = example_document()
    spec = doc["spec"]
    spec["benchmark"]["source"]["paths"] = [str(SHARED_DATA / "*.dev.jsonl")]
    spec["benchmark"]["source"]["limitPerFamily"] = per_family
    spec["mutation"]["parentsPerRound"] = 6
    spec.pop("calibration", None)  # no panel unless a test asks: its runs would change counts
    for key, value in spec_overrides.items():
        if isinstance(value, dict) and isinstance(spec.get(key), dict):
            spec[key] = {**spec[key], **value}
        else:
            spec[key] = value
    return doc


def small_spec(per_family: int = 4, **spec_overrides: Any) -> FrontierSpec:
    return FrontierSpec.model_validate(small_document(per_family, **spec_overrides)["spec"])
