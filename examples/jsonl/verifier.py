"""An example verifier for the generic JSONL benchmark (examples/jsonl/tasks.jsonl).

Use it as a Python entry point, `verifier: verifier.py:verify` (or
`examples/jsonl/verifier.py:verify` from the project root), or as a command,
`verifier_command: python examples/jsonl/verifier.py`, which reads
{"task": ..., "answer": ...} on stdin and prints the verdict as JSON.

Numbers are compared as numbers (so "42.0" and "42 pesos" count); text is
compared case- and space-insensitively against `answer` and any `aliases`. A
numeric answer within 1% earns partial credit (0.5), so rewards are not all 0/1.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z ]+", " ", text.lower()).split())


def verify(task: dict[str, Any], answer: str) -> dict[str, Any]:
    reference = str(task["answer"])
    if NUMBER.fullmatch(reference.strip()):
        found = NUMBER.search(answer.replace(",", ""))
        if found is None:
            return {
                "reward": 0.0,
                "checks": [{"name": "number", "passed": False, "detail": "no number"}],
            }
        got, want = float(found.group()), float(reference)
        exact = abs(got - want) < 1e-9
        close = want != 0 and abs(got - want) / abs(want) <= 0.01
        reward = 1.0 if exact else 0.5 if close else 0.0
        return {
            "reward": reward,
            "success": exact,
            "checks": [{"name": "number", "passed": exact, "detail": f"{got:g} vs {want:g}"}],
        }
    accepted = {_norm(reference), *(_norm(a) for a in task.get("aliases", []))}
    ok = _norm(answer) in accepted
    return {
        "reward": 1.0 if ok else 0.0,
        "checks": [{"name": "text", "passed": ok, "detail": f"{answer!r} vs {reference!r}"}],
    }


if __name__ == "__main__":
    request = json.load(sys.stdin)
    print(json.dumps(verify(request["task"], request["answer"])))
