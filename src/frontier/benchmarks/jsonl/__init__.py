"""A generic JSON Lines benchmark with a user-supplied verifier (module:function or a command)."""

from frontier.benchmarks.jsonl.benchmark import JsonlBenchmark
from frontier.benchmarks.jsonl.verifiers import VerifierError

__all__ = ["JsonlBenchmark", "VerifierError"]
