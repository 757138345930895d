"""A parent's failure trace, condensed for a teacher: which checks fail, how often, and how.

The pipeline passes the parent's solver rollouts; the procedural teacher needs
the failed check names, the LLM teacher also a short readable summary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from frontier.domain.tasks import Rollout


def failed_checks(rollouts: Sequence[Rollout]) -> list[str]:
    """Failed check names over the graded rollouts, most frequent first (ties by name)."""
    counts = Counter(
        name
        for rollout in rollouts
        if rollout.ok
        for name in rollout.trace.get("failed_checks", [])
    )
    return [name for name, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def summarize_failures(rollouts: Sequence[Rollout], *, max_chars: int = 2000) -> str:
    """A few lines: rewards, failed checks with counts, and the last tool calls of a failed attempt."""
    graded = [r for r in rollouts if r.ok]
    if not graded:
        return "No graded attempts."
    rewards = ", ".join(f"{r.reward:.2f}" for r in graded if r.reward is not None)
    successes = sum(1 for r in graded if r.success)
    lines = [f"{len(graded)} attempts, {successes} succeeded; rewards: {rewards}."]
    counts = Counter(name for r in graded for name in r.trace.get("failed_checks", []))
    if counts:
        listed = ", ".join(f"{name} ({n}x)" for name, n in counts.most_common())
        lines.append(f"Failed checks: {listed}.")
    failed = next((r for r in graded if not r.success), None)
    if failed is not None:
        calls = failed.trace.get("tool_calls", [])[-4:]
        for call in calls:
            arguments = call.get("arguments", call.get("arguments_raw", ""))
            lines.append(
                f"- {call.get('name')}({arguments}) -> {str(call.get('result', ''))[:160]}"
            )
        if not failed.trace.get("answered", True):
            lines.append("The attempt gave no final answer.")
    text = "\n".join(lines)
    return text if len(text) <= max_chars else text[: max_chars - 3] + "..."
