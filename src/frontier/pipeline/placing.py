"""The adaptive test as a rollout allocation, so a placement runs on the shared rollout engine.

Each wave asks one task, the most informative at the model's current ability,
k rollouts of it; the next wave re-estimates θ from every graded rollout so far.
The state is the stored rollouts themselves, so a resumed run recomputes the same
θ, finishes a half-asked task first, and asks nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable

from frontier.domain.irt import ItemParams
from frontier.domain.placement import PlacementPlan
from frontier.pipeline.context import Context
from frontier.pipeline.irt import Selector, estimate_theta
from frontier.pipeline.rollouts import TaskState, missing_attempts
from frontier.store import NotFoundError, RunRecord, StoreError


class Placing:
    """Ask the item of maximum information at the current θ until the plan says stop.

    Args:
        items: the calibration's items; only those among the run's tasks and usable
            (not flagged, a > 0) are ever asked.
        k: rollouts per asked task.
        plan: the stopping rule and prior.
    """

    def __init__(self, items: Iterable[ItemParams], k: int, plan: PlacementPlan) -> None:
        self.items = {it.task_id: it for it in items}
        self.k = k
        self.test = plan
        self._selector: Selector | None = None

    def asked(self, states: dict[str, TaskState]) -> list[str]:
        """The tasks the test has asked so far (any attempt made), in id order."""
        return sorted(t for t, s in states.items() if s.attempted and t in self.items)

    def estimate(self, states: dict[str, TaskState]) -> tuple[float, float]:
        """θ and its posterior SD from every graded rollout of the asked tasks."""
        return estimate_theta(
            ((self.items[t], len(states[t].solved), len(states[t].ok)) for t in self.asked(states)),
            prior_mean=self.test.prior_mean,
            prior_sd=self.test.prior_sd,
        )

    def plan(self, states: dict[str, TaskState], error_retries: int) -> dict[str, list[int]]:
        asked = self.asked(states)
        unfinished = {
            t: a for t in asked if (a := missing_attempts(states[t], self.k, error_retries))
        }
        if unfinished:
            return unfinished
        theta, se = self.estimate(states)
        if self.test.done(se, len(asked)):
            return {}
        if self._selector is None:
            self._selector = Selector(self.items[t] for t in states if t in self.items)
        item = self._selector.next(asked, theta)
        if item is None:
            return {}
        return {item.task_id: missing_attempts(states[item.task_id], self.k, error_retries)}

    def order(self, states: dict[str, TaskState]) -> list[str]:
        """The asked tasks in the order the test asked them, replayed from the answers (the
        selection is deterministic); any the replay does not reach follow in id order.

        `states` may hold the asked tasks only: each task asked was the most informative of
        all the run's tasks at the θ of its turn, so it is also the most informative of the
        asked ones still unasked then.
        """
        asked = set(self.asked(states))
        if not asked:
            return []
        selector = Selector(self.items[t] for t in states if t in self.items)
        out: list[str] = []
        while len(out) < len(asked):
            theta, _ = self.estimate({t: states[t] for t in out})
            item = selector.next(out, theta)
            if item is None or item.task_id not in asked:
                break
            out.append(item.task_id)
        return out + sorted(asked - set(out))


def placing_for(ctx: Context, run: RunRecord) -> Placing:
    """The allocation of a placement run, on the calibration its plan names."""
    if run.plan is None:
        raise StoreError(f"placement run {run.name!r} has no plan")
    plan = PlacementPlan.from_wire(run.plan)
    record = ctx.store.calibration(ctx.frontier, plan.calibration)
    if record is None:
        raise NotFoundError(f"{ctx.frontier} has no calibration v{plan.calibration}")
    return Placing(record.calibration.items, run.k, plan)
