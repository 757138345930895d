"""User-supplied verifiers for the JSONL benchmark: a Python function or a command.

Both receive the task record and the answer and give back a reward. The
contract (see docs/BENCHMARKS.md):

- Python: `module:function` (an importable module) or `path/to/file.py:function`,
  called as `function(task: dict, answer: str)`.
- Command: run once per grade with `{"task": {...}, "answer": "..."}` as JSON on
  stdin; it prints one JSON value on stdout.

Either returns a number or bool (the reward), or an object `{"reward": x,
"success": bool?, "checks": [{name, passed, detail?}]?, "details": {...}?}`.
Anything else — an exception, a non-zero exit, a timeout, output that is not
JSON, a reward outside [0, 1] — is a VerifierError: a harness error that the
agents record as an error rollout, never as reward 0.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from frontier.domain.tasks import Check

STDERR_LIMIT = 500


class VerifierError(RuntimeError):
    """The verifier could not produce a verdict (a harness error, not a failed answer)."""


class Verdict:
    """A verifier's parsed result."""

    def __init__(
        self, reward: float, success: bool | None, checks: list[Check], details: dict[str, Any]
    ) -> None:
        self.reward = reward
        self.success = success
        self.checks = checks
        self.details = details


def parse_verdict(value: Any, source: str) -> Verdict:
    """Read a verifier's return value; raises VerifierError naming `source` when it is not valid."""
    if isinstance(value, bool):
        return Verdict(1.0 if value else 0.0, value, [], {})
    if isinstance(value, int | float):
        return Verdict(_reward(value, source), None, [], {})
    if not isinstance(value, dict):
        raise VerifierError(
            f"{source} returned {type(value).__name__}; expected a number, a bool, "
            'or an object with "reward"'
        )
    if "reward" not in value:
        raise VerifierError(f'{source} returned an object without "reward"')
    raw = value["reward"]
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise VerifierError(f"{source}: reward must be a number in [0, 1], got {raw!r}")
    reward = _reward(raw, source)
    success = value.get("success")
    if success is not None and not isinstance(success, bool):
        raise VerifierError(f"{source}: success must be true or false, got {success!r}")
    checks_raw = value.get("checks", [])
    if not isinstance(checks_raw, list):
        raise VerifierError(f"{source}: checks must be a list")
    checks = []
    for i, c in enumerate(checks_raw):
        if not isinstance(c, dict) or "name" not in c or not isinstance(c.get("passed"), bool):
            raise VerifierError(f"{source}: checks[{i}] needs a name and a boolean passed")
        checks.append(
            Check(name=str(c["name"]), passed=c["passed"], detail=str(c.get("detail", "")))
        )
    details = value.get("details", {})
    if not isinstance(details, dict):
        raise VerifierError(f"{source}: details must be an object")
    return Verdict(reward, success, checks, details)


def _reward(value: float, source: str) -> float:
    reward = float(value)
    if math.isnan(reward) or not 0.0 <= reward <= 1.0:
        raise VerifierError(f"{source}: reward must be in [0, 1], got {value!r}")
    return reward


class PythonVerifier:
    """`module:function` or `file.py:function`, imported once on first use."""

    def __init__(self, spec: str, search_dirs: Sequence[Path] = ()) -> None:
        module, sep, function = spec.rpartition(":")
        if not sep or not module or not function:
            raise ValueError(
                f"jsonl option verifier must look like 'module:function' or "
                f"'path/to/file.py:function', got {spec!r}"
            )
        self.spec = spec
        self.module = module
        self.function = function
        self.search_dirs = list(search_dirs)
        self._fn: Callable[..., Any] | None = None

    def _resolve(self) -> Callable[..., Any]:
        if self._fn is not None:
            return self._fn
        try:
            if self.module.endswith(".py") or "/" in self.module:
                mod = self._load_file()
            else:
                mod = importlib.import_module(self.module)
            fn = getattr(mod, self.function)
        except VerifierError:
            raise
        except Exception as exc:
            raise VerifierError(
                f"verifier {self.spec}: cannot load: {type(exc).__name__}: {exc}"
            ) from exc
        if not callable(fn):
            raise VerifierError(f"verifier {self.spec}: {self.function} is not callable")
        resolved: Callable[..., Any] = fn
        self._fn = resolved
        return resolved

    def _load_file(self) -> Any:
        path = Path(self.module)
        candidates = [path] if path.is_absolute() else [path, *(d / path for d in self.search_dirs)]
        found = next((p for p in candidates if p.is_file()), None)
        if found is None:
            looked = ", ".join(str(p) for p in candidates)
            raise VerifierError(f"verifier {self.spec}: file not found (looked at {looked})")
        name = f"frontier_jsonl_verifier_{abs(hash(str(found.resolve())))}"
        spec = importlib.util.spec_from_file_location(name, found)
        if spec is None or spec.loader is None:
            raise VerifierError(f"verifier {self.spec}: cannot import {found}")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        return mod

    def __call__(self, task: dict[str, Any], answer: str) -> Verdict:
        fn = self._resolve()
        try:
            value = fn(task, answer)
        except Exception as exc:
            raise VerifierError(f"verifier {self.spec} raised {type(exc).__name__}: {exc}") from exc
        return parse_verdict(value, f"verifier {self.spec}")


class CommandVerifier:
    """A command reading `{"task", "answer"}` as JSON on stdin and printing a JSON verdict."""

    def __init__(
        self, command: str | Sequence[str], *, timeout: float = 30.0, cwd: str | None = None
    ) -> None:
        argv = shlex.split(command) if isinstance(command, str) else [str(c) for c in command]
        if not argv:
            raise ValueError("jsonl option verifier_command is empty")
        self.argv = argv
        self.timeout = timeout
        self.cwd = cwd
        self.label = f"verifier command {shlex.join(argv)!r}"

    def __call__(self, task: dict[str, Any], answer: str) -> Verdict:
        stdin = json.dumps({"task": task, "answer": answer}, ensure_ascii=False)
        try:
            proc = subprocess.run(
                self.argv,
                input=stdin,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                cwd=self.cwd,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise VerifierError(f"{self.label} timed out after {self.timeout:g} s") from None
        except OSError as exc:
            raise VerifierError(f"{self.label} could not start: {exc}") from exc
        if proc.returncode != 0:
            err = proc.stderr.strip()[-STDERR_LIMIT:]
            raise VerifierError(f"{self.label} exited with status {proc.returncode}: {err}")
        out = proc.stdout.strip()
        try:
            value = json.loads(out.splitlines()[-1] if out else "")
        except ValueError:
            raise VerifierError(
                f"{self.label} printed no JSON verdict on its last line: {out[-STDERR_LIMIT:]!r}"
            ) from None
        return parse_verdict(value, self.label)


Verifier = PythonVerifier | CommandVerifier


def make_verifier(options: dict[str, Any], search_dirs: Sequence[Path] = ()) -> Verifier:
    """The verifier the options name: exactly one of `verifier` or `verifier_command`."""
    spec, command = options.get("verifier"), options.get("verifier_command")
    if (spec is None) == (command is None):
        raise ValueError(
            "jsonl needs exactly one of the options verifier ('module:function') "
            "or verifier_command (a command reading JSON on stdin)"
        )
    if spec is not None:
        if not isinstance(spec, str):
            raise ValueError(f"jsonl option verifier must be a string, got {spec!r}")
        return PythonVerifier(spec, search_dirs)
    if not isinstance(command, str | list):
        raise ValueError("jsonl option verifier_command must be a string or a list of strings")
    cwd = options.get("verifier_cwd")
    return CommandVerifier(
        command,
        timeout=float(options.get("verifier_timeout", 30)),
        cwd=str(cwd) if cwd is not None else None,
    )
