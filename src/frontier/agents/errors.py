"""The one exception that means "the harness failed, not the model".

Every failure of the machinery around a model (endpoint down, retry budget
spent, a benchmark backend that raised) is a `HarnessError`; the agents turn it
into a Rollout with status "error" and its cause, never into reward 0.
"""

from __future__ import annotations


class HarnessError(Exception):
    """A failure of the harness; `cause` is a short, secret-free description."""

    def __init__(self, cause: str, *, retries: int = 0, status: int | None = None) -> None:
        super().__init__(cause)
        self.cause = cause
        self.retries = retries
        self.status = status
        """The HTTP status of the last failed request, when there was one."""
