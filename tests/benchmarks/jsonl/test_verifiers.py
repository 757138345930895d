"""User verifiers: a Python function or a command; anything but a verdict is a VerifierError."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from frontier.benchmarks.jsonl.verifiers import (
    CommandVerifier,
    PythonVerifier,
    VerifierError,
    make_verifier,
    parse_verdict,
)

FIXTURES = "tests.benchmarks.jsonl.verifier_fixtures"
TASK = {"prompt": "2+2?", "answer": "4"}


def test_a_function_verifier_returns_its_reward() -> None:
    verify = PythonVerifier(f"{FIXTURES}:exact")
    assert verify(TASK, "4").reward == 1.0 and verify(TASK, "5").reward == 0.0


def test_an_object_verdict_keeps_its_success_checks_and_details() -> None:
    verdict = parse_verdict(
        {
            "reward": 0.25,
            "success": True,
            "checks": [{"name": "n", "passed": False, "detail": "d"}],
            "details": {"a": 1},
        },
        "v",
    )
    assert (verdict.reward, verdict.success, verdict.details) == (0.25, True, {"a": 1})
    assert [(c.name, c.passed, c.detail) for c in verdict.checks] == [("n", False, "d")]
    assert parse_verdict(True, "v").reward == 1.0 and parse_verdict(0, "v").success is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("raises", "raised KeyError"),
        ("returns_text", "returned str; expected a number"),
        ("out_of_range", r"reward must be in \[0, 1\], got 1.5"),
        ("bad_checks", r"checks\[0\] needs a name and a boolean passed"),
        ("NOT_CALLABLE", "is not callable"),
        ("missing", "cannot load: AttributeError"),
    ],
)
def test_a_function_that_gives_no_verdict_is_a_verifier_error(name: str, message: str) -> None:
    with pytest.raises(VerifierError, match=message):
        PythonVerifier(f"{FIXTURES}:{name}")(TASK, "4")


def test_a_verifier_in_a_file_is_found_next_to_the_tasks(tmp_path: Path) -> None:
    (tmp_path / "check.py").write_text(
        "def verify(task, answer):\n    return answer == task['answer']\n"
    )
    assert PythonVerifier("check.py:verify", [tmp_path])(TASK, "4").reward == 1.0
    with pytest.raises(VerifierError, match="file not found"):
        PythonVerifier("nowhere.py:verify")(TASK, "4")


def test_a_verifier_spec_without_a_function_is_refused() -> None:
    with pytest.raises(ValueError, match="must look like 'module:function'"):
        PythonVerifier("just_a_module")


SCRIPT = """
import json, sys
request = json.load(sys.stdin)
mode = request["task"].get("mode", "ok")
if mode == "crash":
    print("bad things", file=sys.stderr); sys.exit(3)
if mode == "sleep":
    import time; time.sleep(5)
if mode == "noise":
    print("not json"); sys.exit(0)
print("some log line")
print(json.dumps({"reward": 1.0 if request["answer"] == request["task"]["answer"] else 0.0}))
"""


@pytest.fixture
def script(tmp_path: Path) -> list[str]:
    path = tmp_path / "verify.py"
    path.write_text(SCRIPT)
    return [sys.executable, str(path)]


def test_a_command_reads_the_task_and_answer_on_stdin_and_prints_the_verdict(
    script: list[str],
) -> None:
    verify = CommandVerifier(script)
    assert verify(TASK, "4").reward == 1.0 and verify(TASK, "5").reward == 0.0


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("crash", "exited with status 3: bad things"),
        ("noise", "printed no JSON verdict"),
        ("sleep", "timed out after 0.5 s"),
    ],
)
def test_a_command_that_fails_is_a_verifier_error(
    script: list[str], mode: str, message: str
) -> None:
    with pytest.raises(VerifierError, match=message):
        CommandVerifier(script, timeout=0.5)({**TASK, "mode": mode}, "4")


def test_a_command_that_cannot_start_is_a_verifier_error(tmp_path: Path) -> None:
    with pytest.raises(VerifierError, match="could not start"):
        CommandVerifier([str(tmp_path / "no-such-binary")])(TASK, "4")


def test_exactly_one_verifier_option_is_required() -> None:
    with pytest.raises(ValueError, match="exactly one of the options verifier"):
        make_verifier({})
    with pytest.raises(ValueError, match="exactly one of the options verifier"):
        make_verifier({"verifier": "a:b", "verifier_command": "true"})
    assert isinstance(
        make_verifier({"verifier_command": "python -c 1", "verifier_timeout": 3}), CommandVerifier
    )
