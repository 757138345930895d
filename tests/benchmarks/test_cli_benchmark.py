"""`frontier benchmark check` (src/frontier/cli/benchmark.py), through Typer's CliRunner."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from frontier.cli import benchmark
from tests.benchmarks.conftest import EXAMPLES, broken_copy

main = typer.Typer()
main.add_typer(benchmark.app, name="benchmark")
runner = CliRunner()


def check(*args: str) -> tuple[int, dict[str, object] | str]:
    result = runner.invoke(main, ["benchmark", "check", *args])
    try:
        return result.exit_code, json.loads(result.stdout)
    except ValueError:
        return result.exit_code, result.output


def test_the_dev_sample_checks_clean_with_no_line_skipped(dev_paths: list[str]) -> None:
    code, summary = check("--benchmark", "shoppingbench", "--on-error", "skip", *dev_paths)
    assert code == 0 and isinstance(summary, dict)
    assert summary["tasks_by_family"] == {"product": 100, "shop": 100, "voucher": 100, "web": 60}
    assert summary["load_errors"] == []
    assert (summary["gold_success_rate"], summary["decoy_success_rate"]) == (1.0, 0.0)
    assert summary["failing_tasks"] == {"gold_fails": [], "decoy_passes": [], "harness_errors": []}


def test_broken_lines_are_skipped_by_file_and_line_when_asked(
    dev_paths: list[str], tmp_path: Path
) -> None:
    web = broken_copy(dev_paths[-1], tmp_path)
    code, summary = check("--benchmark", "shoppingbench", "--on-error", "skip", web)
    assert code == 0 and isinstance(summary, dict)
    assert summary["tasks_by_family"] == {"web": 58}
    assert [e.split(": ")[0] for e in summary["load_errors"]] == [f"{web}:17", f"{web}:23"]  # type: ignore[union-attr]


def test_a_malformed_line_fails_the_check_naming_file_and_line(
    dev_paths: list[str], tmp_path: Path
) -> None:
    web = broken_copy(dev_paths[-1], tmp_path)
    result = runner.invoke(main, ["benchmark", "check", web])
    assert result.exit_code == 2
    assert "web.dev.jsonl:17: invalid JSON" in result.output and "--on-error skip" in result.output


def test_a_task_whose_gold_fails_is_listed_and_the_exit_code_is_1(tmp_path: Path) -> None:
    over_budget = {
        "query": "A pen, with a voucher.",
        "reward": [{"product_id": "77", "title": ["Pen"]}],
        "voucher": {
            "voucher_type": "platform",
            "threshold": 10,
            "discount_type": "fixed",
            "face_value": 5,
            "price_after_voucher": 100.0,
            "budget": 50,
        },
    }
    fine = {
        "query": "A mug.",
        "reward": {"product_id": "88", "title": ["Ceramic Mug"], "service": ["COD"]},
    }
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps(over_budget) + "\n" + json.dumps(fine) + "\n")
    code, summary = check(str(path))
    assert code == 1 and isinstance(summary, dict)
    assert (summary["gold_failures"], summary["decoy_passes"], summary["gold_success_rate"]) == (
        1,
        0,
        0.5,
    )
    [failure] = summary["failing_tasks"]["gold_fails"]  # type: ignore[index]
    assert failure["family"] == "voucher"
    assert any(c.startswith("voucher_budget") for c in failure["failed_checks"])


def test_the_jsonl_example_checks_clean_with_its_verifier() -> None:
    code, summary = check(
        "--benchmark",
        "jsonl",
        "--option",
        f"verifier={EXAMPLES / 'verifier.py'}:verify",
        str(EXAMPLES / "tasks.jsonl"),
    )
    assert code == 0 and isinstance(summary, dict)
    assert summary["tasks"] == 10 and summary["gold_success_rate"] == 1.0


def test_a_broken_verifier_is_reported_as_harness_errors(tmp_path: Path) -> None:
    command = json.dumps([sys.executable, "-c", "import sys; sys.exit(4)"])
    code, summary = check(
        "-b", "jsonl", "-o", f"verifier_command={command}", str(EXAMPLES / "tasks.jsonl")
    )
    assert code == 1 and isinstance(summary, dict)
    assert (
        summary["harness_errors"] == 10
        and summary["graded"] == 0
        and summary["gold_success_rate"] is None
    )


def test_bad_options_are_errors_that_name_them() -> None:
    result = runner.invoke(main, ["benchmark", "check", "--on-error", "ignore", "x.jsonl"])
    assert result.exit_code == 2 and "--on-error" in result.output
    result = runner.invoke(
        main, ["benchmark", "check", "-b", "jsonl", str(EXAMPLES / "tasks.jsonl")]
    )
    assert result.exit_code == 2 and "exactly one of the options verifier" in result.output
    result = runner.invoke(main, ["benchmark", "check", "-b", "nope", "x.jsonl"])
    assert result.exit_code == 2 and "unknown benchmark 'nope'" in result.output
