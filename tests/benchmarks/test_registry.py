"""Benchmarks are found through the `frontier.benchmarks` entry points."""

from __future__ import annotations

import pytest

from frontier.benchmarks.jsonl import JsonlBenchmark
from frontier.benchmarks.registry import available_benchmarks, load_benchmark
from frontier.benchmarks.shoppingbench import ShoppingBench
from frontier.domain.interfaces import Benchmark


def test_both_shipped_benchmarks_are_registered() -> None:
    assert {"shoppingbench", "jsonl"} <= set(available_benchmarks())


def test_load_benchmark_builds_the_plugin_with_its_options() -> None:
    shopping = load_benchmark("shoppingbench", {"seed": 3})
    jsonl = load_benchmark("jsonl", {"verifier": "json:loads"})
    assert isinstance(shopping, ShoppingBench) and shopping.seed == 3
    assert isinstance(jsonl, JsonlBenchmark)
    assert isinstance(shopping, Benchmark) and isinstance(jsonl, Benchmark)


def test_an_unknown_benchmark_names_the_available_ones() -> None:
    with pytest.raises(
        ValueError, match=r"unknown benchmark 'nope'; available: .*jsonl.*shoppingbench"
    ):
        load_benchmark("nope")
