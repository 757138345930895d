"""The worker's exit codes: the contract between `frontier worker` and its Job's podFailurePolicy.

The worker exits with one of these and the Job's rules act on it, so both sides read
the numbers from here.
"""

from __future__ import annotations

TRANSIENT_FAILURE = 1
"""A retry may pass (the database or a model endpoint was unreachable): the Job retries the index."""

PERMANENT_FAILURE = 3
"""A retry cannot fix it (bad input, a missing frontier): the Job fails the index at once."""

BUDGET_STOP = 4
"""The next wave or teacher call would cross spec.budget: the Job stops every shard at once
(FailJob), and the operator holds the run until the budget is raised."""
