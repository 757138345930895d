"""Verifier functions for the JSONL tests, imported as `tests.benchmarks.jsonl.verifier_fixtures:NAME`."""

from __future__ import annotations

from typing import Any


def exact(task: dict[str, Any], answer: str) -> float:
    return 1.0 if answer.strip() == str(task["answer"]) else 0.0


def partial(task: dict[str, Any], answer: str) -> dict[str, Any]:
    return {"reward": 0.5, "details": {"why": "half"}}


def accepts_everything(task: dict[str, Any], answer: str) -> bool:
    return True


def raises(task: dict[str, Any], answer: str) -> float:
    raise KeyError("answer")


def returns_text(task: dict[str, Any], answer: str) -> str:
    return "yes"


def out_of_range(task: dict[str, Any], answer: str) -> float:
    return 1.5


def bad_checks(task: dict[str, Any], answer: str) -> dict[str, Any]:
    return {"reward": 1.0, "checks": [{"name": "x"}]}


NOT_CALLABLE = 3
