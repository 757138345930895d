"""Fit the 2PL item bank to a frontier's binomial (model, task) counts, and place a new model adaptively.

No IRT library on PyPI fits binomial counts with missing cells, standard errors
and negative discriminations (an inverted grader) at once (docs/PERFORMANCE.md,
"Item response theory", has the measurements), so the fit is a vectorised numpy
penalised joint likelihood; placement selects items with catsim's maximum
information selector and scores the binomial answers by EAP on a grid.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from frontier.domain.irt import (
    UNINFORMATIVE_BELOW,
    Ability,
    Calibration,
    Flag,
    ItemParams,
    askable,
    inverted_by_fdr,
)

LIBRARY = "numpy"

# Weak Gaussian priors of the penalised joint likelihood (z = a(θ - b)): they keep an
# all-pass or all-fail item, a flat item (a near 0, b unidentified) and a model that
# solves everything finite. a's prior is centred on 1 but wide enough for an inverted
# grader to go negative.
PRIOR_THETA_SD = 1.0
PRIOR_A_MEAN = 1.0
PRIOR_A_SD = 1.0
PRIOR_B_SD = 2.0
# The second pass replaces b's prior by the tasks' own spread (empirical Bayes), no
# narrower than this: tasks share one difficulty distribution.
MIN_B_SD = 0.5


@dataclass(frozen=True, eq=False)
class Responses:
    """Binomial counts per (model, task): `successes` and `trials` are M×T int arrays; 0 trials = missing."""

    models: tuple[str, ...]
    tasks: tuple[str, ...]
    successes: npt.NDArray[np.int64]
    trials: npt.NDArray[np.int64]

    def __post_init__(self) -> None:
        shape = (len(self.models), len(self.tasks))
        if self.successes.shape != shape or self.trials.shape != shape:
            raise ValueError(
                f"successes {self.successes.shape} and trials {self.trials.shape} must be {shape}"
            )
        if len(set(self.models)) != len(self.models) or len(set(self.tasks)) != len(self.tasks):
            raise ValueError("models and tasks must be unique")
        if (self.successes < 0).any() or (self.successes > self.trials).any():
            raise ValueError("need 0 <= successes <= trials in every cell")

    @classmethod
    def from_cells(cls, cells: Iterable[tuple[str, str, int, int]]) -> Responses:
        """Build from (model, task, successes, trials) cells; a repeated cell adds up.

        Args:
            cells: one tuple per stored (model, task) count, errored rollouts already left out.

        Returns:
            Responses with models and tasks in sorted order and 0 trials where no cell was given.
        """
        rows = list(cells)
        models = tuple(sorted({r[0] for r in rows}))
        tasks = tuple(sorted({r[1] for r in rows}))
        mi = {m: i for i, m in enumerate(models)}
        ti = {t: j for j, t in enumerate(tasks)}
        s = np.zeros((len(models), len(tasks)), dtype=np.int64)
        n = np.zeros_like(s)
        for model, task, succ, trials in rows:
            s[mi[model], ti[task]] += succ
            n[mi[model], ti[task]] += trials
        return cls(models, tasks, s, n)


@dataclass(frozen=True)
class Placement:
    """Where adaptive placement put a new model: θ on the bank's scale, its SE, the tasks asked."""

    theta: float
    se: float
    items: tuple[str, ...]
    trials: int = 0
    answers: tuple[tuple[int, int], ...] = field(default=(), repr=False)


def _expit(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The logistic function, overflow-free (through tanh)."""
    out: npt.NDArray[np.float64] = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


def _objective(
    s: npt.NDArray[np.float64],
    n: npt.NDArray[np.float64],
    theta: npt.NDArray[np.float64],
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
    b_prior: tuple[float, float],
) -> tuple[float, float]:
    """(log-likelihood, log-posterior up to a constant) of the penalised joint likelihood."""
    z = a * (theta[:, None] - b)
    loglik = float((s * z - n * np.logaddexp(0.0, z)).sum())
    prior = (
        (theta**2).sum() / PRIOR_THETA_SD**2
        + ((a - PRIOR_A_MEAN) ** 2).sum() / PRIOR_A_SD**2
        + ((b - b_prior[0]) ** 2).sum() / b_prior[1] ** 2
    )
    return loglik, loglik - 0.5 * float(prior)


def _start_items(
    s: npt.NDArray[np.float64], n: npt.NDArray[np.float64], theta: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Start each item from a logistic regression on the starting abilities.

    In slope-intercept form (z = aθ + c) each item is a concave problem, so its
    slope comes out with the right sign; starting every item at a = 1 instead
    leaves an inverted item in the flat mode (a near 0+, b far out).
    """
    t = s.shape[1]
    a = np.full(t, PRIOR_A_MEAN)
    c = np.zeros(t)
    th = theta[:, None]
    for _ in range(8):
        p = _expit(th * a + c)
        r = s - n * p
        w = n * p * (1 - p)
        g_a = (r * th).sum(0) - (a - PRIOR_A_MEAN) / PRIOR_A_SD**2
        g_c = r.sum(0) - c / 9.0
        h_aa = (w * th * th).sum(0) + 1 / PRIOR_A_SD**2
        h_ac = (w * th).sum(0)
        h_cc = w.sum(0) + 1 / 9.0
        det = h_aa * h_cc - h_ac * h_ac
        a = a + np.clip((h_cc * g_a - h_ac * g_c) / det, -1.0, 1.0)
        c = c + np.clip((h_aa * g_c - h_ac * g_a) / det, -1.0, 1.0)
    a_safe = np.where(np.abs(a) < 0.1, np.where(a < 0, -0.1, 0.1), a)
    return a, np.clip(-c / a_safe, -2 * PRIOR_B_SD, 2 * PRIOR_B_SD)


def _positive(
    system: Callable[..., tuple[npt.NDArray[np.float64], ...]],
    theta: npt.NDArray[np.float64],
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], ...]:
    """The Newton system with the observed information where it is positive definite, else the expected."""
    parts = system(theta, a, b, True)
    try:
        np.linalg.cholesky(parts[-1])
    except np.linalg.LinAlgError:
        parts = system(theta, a, b, False)
    return parts


def _joint_fit(
    s: npt.NDArray[np.float64],
    n: npt.NDArray[np.float64],
    *,
    tol: float,
    max_iter: int,
    b_prior: tuple[float, float] = (0.0, PRIOR_B_SD),
    start: tuple[npt.NDArray[np.float64], ...] | None = None,
) -> tuple[npt.NDArray[np.float64], ...]:
    """Penalised joint maximum likelihood by Newton steps on all parameters at once.

    The information (observed where positive definite, else expected) is
    block-structured: abilities do not touch each other, items are 2×2 blocks (a and b of z = a(θ - b)), so the
    Newton system is solved through the M×M Schur complement on the abilities
    (M is small). The same matrices give the full covariance for the standard
    errors. A step that lowers the log-posterior is halved.
    """
    if start is None:
        rate_m = (s.sum(1) + 0.5) / (n.sum(1) + 1.0)
        theta = np.log(rate_m / (1 - rate_m))
        theta = (theta - theta.mean()) / (theta.std() or 1.0)
        a, b = _start_items(s, n, theta)
    else:
        theta, a, b = start
    b_mean, b_sd = b_prior
    _, best = _objective(s, n, theta, a, b, b_prior)
    iterations = 0
    converged = False

    def system(
        theta: npt.NDArray[np.float64],
        a: npt.NDArray[np.float64],
        b: npt.NDArray[np.float64],
        observed: bool,
    ) -> tuple[npt.NDArray[np.float64], ...]:
        d = theta[:, None] - b
        p = _expit(a * d)
        r = s - n * p
        w = n * p * (1 - p)
        g_t = (r * a).sum(1) - theta / PRIOR_THETA_SD**2
        g_a = (r * d).sum(0) - (a - PRIOR_A_MEAN) / PRIOR_A_SD**2
        g_b = -a * r.sum(0) - (b - b_mean) / b_sd**2
        d_t = (w * a * a).sum(1) + 1 / PRIOR_THETA_SD**2
        h_aa = (w * d * d).sum(0) + 1 / PRIOR_A_SD**2
        h_ab = -a * (w * d).sum(0)
        h_bb = a * a * w.sum(0) + 1 / b_sd**2
        b1 = w * a * d  # cross information θ_m × a_t
        if observed:  # the observed information adds the residual terms of ∂²z/∂a∂b and ∂²z/∂θ∂a
            h_ab_obs = h_ab + r.sum(0)
            ok = h_aa * h_bb - h_ab_obs * h_ab_obs > 0  # items where it is positive definite
            h_ab = np.where(ok, h_ab_obs, h_ab)
            b1 = b1 - np.where(ok, r, 0.0)
        det = h_aa * h_bb - h_ab * h_ab
        i_aa, i_ab, i_bb = h_bb / det, -h_ab / det, h_aa / det  # item blocks inverted
        b2 = -w * a * a  # cross information θ_m × b_t
        schur = (
            np.diag(d_t)
            - (b1 * i_aa) @ b1.T
            - (b1 * i_ab) @ b2.T
            - (b2 * i_ab) @ b1.T
            - (b2 * i_bb) @ b2.T
        )
        return g_t, g_a, g_b, i_aa, i_ab, i_bb, b1, b2, schur

    for _ in range(max_iter):
        iterations += 1
        g_t, g_a, g_b, i_aa, i_ab, i_bb, b1, b2, schur = _positive(system, theta, a, b)
        # eliminate the items: x_i = I_i^-1 (g_i - B_i^T dθ)
        u_a = i_aa * g_a + i_ab * g_b
        u_b = i_ab * g_a + i_bb * g_b
        rhs = g_t - b1 @ u_a - b2 @ u_b
        dt = np.linalg.solve(schur, rhs)
        v_a = g_a - b1.T @ dt
        v_b = g_b - b2.T @ dt
        da = i_aa * v_a + i_ab * v_b
        db = i_ab * v_a + i_bb * v_b
        step = 1.0
        for _ in range(30):
            cand = (theta + step * dt, a + step * da, b + step * db)
            _, value = _objective(s, n, *cand, b_prior)
            if value >= best - 1e-9:
                break
            step /= 2
        theta, a, b = cand
        gain = value - best
        best = max(best, value)
        size = step * max(
            float(np.abs(dt).max(initial=0)),
            float(np.abs(da).max(initial=0)),
            float(np.abs(db).max(initial=0)),
        )
        if size < tol or 0 <= gain < tol * 1e-3:
            converged = True
            break
    # covariance from the inverse observed information: Cov(θ) = S^-1, Cov(item t) = I_t^-1 + I_t^-1 B_t^T S^-1 B_t I_t^-1
    _, _, _, i_aa, i_ab, i_bb, b1, b2, schur = _positive(system, theta, a, b)
    s_inv = np.linalg.inv(schur)
    q1, q2 = s_inv @ b1, s_inv @ b2
    k11, k12, k22 = (b1 * q1).sum(0), (b1 * q2).sum(0), (b2 * q2).sum(0)
    # I^-1 K I^-1 for 2×2 symmetric blocks, elementwise over items
    e_aa = i_aa * i_aa * k11 + 2 * i_aa * i_ab * k12 + i_ab * i_ab * k22
    e_bb = i_ab * i_ab * k11 + 2 * i_ab * i_bb * k12 + i_bb * i_bb * k22
    var_a, var_b = i_aa + e_aa, i_bb + e_bb
    loglik, _ = _objective(s, n, theta, a, b, b_prior)
    stats = np.array([loglik, float(iterations), 1.0 if converged else 0.0])
    return theta, np.diag(s_inv).copy(), a, b, var_a, var_b, stats


def _uninformative(a: float) -> Flag | None:
    """An item not flagged inverted is uninformative when it barely separates models."""
    return "uninformative" if abs(a) < UNINFORMATIVE_BELOW else None


def fit(
    responses: Responses,
    *,
    anchor_tasks: Sequence[str] | None = None,
    tol: float = 1e-6,
    max_iter: int = 200,
) -> Calibration:
    """Calibrate the 2PL item bank on every (model, task) count of a frontier.

    Args:
        responses: binomial counts; cells with 0 trials are missing and add nothing.
        anchor_tasks: tasks whose difficulties are put at mean 0, sd 1 (at least two with
            trials, not all of one difficulty); None puts the abilities at mean 0, sd 1.
            A refit with the same anchors lands on the same scale.
        tol, max_iter: convergence of the Newton steps (largest parameter step).

    Returns:
        A Calibration with one ItemParams per task and one Ability per model that has
        trials (others are left out), standard errors from the inverse observed
        information (the uncertainty of the anchoring itself not counted), each item
        flagged suspect_grading (`inverted_by_fdr` over the bank) or uninformative, and
        `fit` holding log_likelihood, iterations, converged, responses (cells), trials
        and seconds. The weak priors act before the scale is
        anchored, on the abilities' own scale.
    """
    started = time.perf_counter()
    n_all = responses.trials
    keep_m = n_all.sum(1) > 0
    keep_t = n_all.sum(0) > 0
    if keep_m.sum() < 2 or keep_t.sum() < 2:
        raise ValueError("need at least two models and two tasks with trials")
    models = [m for m, k in zip(responses.models, keep_m, strict=True) if k]
    tasks = [t for t, k in zip(responses.tasks, keep_t, strict=True) if k]
    s = responses.successes[np.ix_(keep_m, keep_t)].astype(np.float64)
    n = n_all[np.ix_(keep_m, keep_t)].astype(np.float64)
    theta, var_t, a, b, var_a, var_b, stats = _joint_fit(s, n, tol=tol, max_iter=max_iter)
    # empirical Bayes: b's prior becomes the tasks' spread net of their estimation error
    b_mean = float(b.mean())
    b_sd = math.sqrt(max(float(b.var() - var_b.mean()), MIN_B_SD**2))
    b_sd = min(b_sd, PRIOR_B_SD)
    first_iterations = float(stats[1])
    theta, var_t, a, b, var_a, var_b, stats = _joint_fit(
        s, n, tol=tol, max_iter=max_iter, b_prior=(b_mean, b_sd), start=(theta, a, b)
    )

    if anchor_tasks is not None:
        index = {t: j for j, t in enumerate(tasks)}
        missing = [t for t in anchor_tasks if t not in index]
        if missing:
            raise ValueError(f"anchor tasks without trials: {missing[:5]}")
        ref = b[[index[t] for t in anchor_tasks]]
        anchor = f"{len(ref)} anchor tasks: mean b 0, sd 1"
    else:
        ref = theta
        anchor = f"{len(ref)} models: mean θ 0, sd 1"
    mu, sd = float(ref.mean()), float(ref.std())
    if len(ref) < 2 or not sd > 0:
        raise ValueError("the anchor needs at least two values that differ")
    theta, b, a = (theta - mu) / sd, (b - mu) / sd, a * sd
    se_t, se_b, se_a = np.sqrt(var_t) / sd, np.sqrt(var_b) / sd, np.sqrt(var_a) * sd

    n_t = n.sum(0).astype(int)
    n_m = n.sum(1).astype(int)
    inverted = inverted_by_fdr([float(x) for x in a], [float(x) for x in se_a])
    items = tuple(
        ItemParams(
            task_id=tasks[j],
            a=float(a[j]),
            b=float(b[j]),
            a_se=float(se_a[j]),
            b_se=float(se_b[j]),
            flag="suspect_grading" if inverted[j] else _uninformative(float(a[j])),
            n=int(n_t[j]),
        )
        for j in range(len(tasks))
    )
    abilities = tuple(
        Ability(model=models[i], theta=float(theta[i]), se=float(se_t[i]), n=int(n_m[i]))
        for i in range(len(models))
    )
    return Calibration(
        items=items,
        abilities=abilities,
        anchor=anchor,
        library=LIBRARY,
        library_version=np.__version__,
        fit={
            "log_likelihood": float(stats[0]),
            "iterations": first_iterations + float(stats[1]),
            "converged": float(stats[2]),
            "responses": float((n > 0).sum()),
            "trials": float(n.sum()),
            "prior_b_sd": b_sd / sd,
            "seconds": time.perf_counter() - started,
        },
    )


# EAP grid for placement: θ on the bank's scale
_GRID = np.linspace(-8.0, 8.0, 321)


def _log_prior(mean: float, sd: float) -> npt.NDArray[np.float64]:
    """A normal log-prior on the grid, up to a constant."""
    if not sd > 0:
        raise ValueError(f"prior_sd must be > 0, got {sd}")
    out: npt.NDArray[np.float64] = -0.5 * ((_GRID - mean) / sd) ** 2
    return out


def _eap(log_post: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Posterior mean and SD of θ from log-posterior values on the grid."""
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    mean = float((w * _GRID).sum())
    return mean, math.sqrt(float((w * (_GRID - mean) ** 2).sum()))


# Gauss-Hermite nodes (probabilists') for integrating an item's likelihood over its
# calibration error: 7 points per parameter are exact for polynomials of degree 13.
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(7)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()
_LOG_W2 = np.log(np.outer(_WEIGHTS, _WEIGHTS)).ravel()


def _log_likelihood(item: ItemParams, successes: int, trials: int, marginal: bool) -> Any:
    """log P(successes of trials | θ) on the grid, for the item's point estimate or, when
    `marginal`, averaged over its calibration error (a ~ N(a, a_se²), b ~ N(b, b_se²))."""
    if not marginal or (item.a_se <= 0 and item.b_se <= 0):
        z = item.a * (_GRID - item.b)
        return successes * z - trials * np.logaddexp(0.0, z)
    a = (item.a + item.a_se * _NODES)[:, None, None]
    b = (item.b + item.b_se * _NODES)[None, :, None]
    z = (a * (_GRID[None, None, :] - b)).reshape(-1, _GRID.size)
    per_node = successes * z - trials * np.logaddexp(0.0, z)
    return np.logaddexp.reduce(per_node + _LOG_W2[:, None], axis=0)


def estimate_theta(
    answers: Iterable[tuple[ItemParams, int, int]],
    *,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    item_error: bool = True,
) -> tuple[float, float]:
    """EAP ability from binomial answers on calibrated items, under a normal prior.

    θ is the posterior mean with the items as fitted (the plug-in estimate). Its standard
    error, with `item_error`, also counts the items' calibration error (their a_se and
    b_se): the root mean square distance from θ of the posterior whose likelihood is
    integrated over that error (Gauss-Hermite), in the spirit of Cheng & Yuan (2010). A
    plug-in SD alone let one task of overestimated discrimination claim θ to ±0.3 on
    the example's bank; a test that stops at a target SE needs the honest one.

    Args:
        answers: (item, successes, trials) per item asked, in any order.
        prior_mean, prior_sd: the prior on θ, on the items' scale (e.g. the calibrated
            abilities' mean and sd when the scale is anchored on tasks).
        item_error: count the items' calibration error in the SE; False gives the plug-in
            posterior SD (the items taken as exact).

    Returns:
        (θ, its SE) on the items' scale; about the prior's (mean, sd) with no answers.
    """
    rows = list(answers)
    plug_in = _log_prior(prior_mean, prior_sd)
    for it, succ, trials in rows:
        plug_in = plug_in + _log_likelihood(it, succ, trials, marginal=False)
    theta, se = _eap(plug_in)
    if not item_error:
        return theta, se
    integrated = _log_prior(prior_mean, prior_sd)
    for it, succ, trials in rows:
        integrated = integrated + _log_likelihood(it, succ, trials, marginal=True)
    w = np.exp(integrated - integrated.max())
    w /= w.sum()
    return theta, math.sqrt(float((w * (_GRID - theta) ** 2).sum()))


class Selector:
    """The next task of an adaptive test: catsim's MaxInfoSelector over a calibrated bank.

    Only usable items are ever asked: flagged ones and a <= 0 are left out (an item whose
    success falls with ability says nothing about where a model sits).
    """

    def __init__(self, items: Iterable[ItemParams]) -> None:
        from catsim.item_bank import ItemBank
        from catsim.selection import MaxInfoSelector

        self.items = tuple(it for it in items if askable(it))
        if not self.items:
            raise ValueError("no usable items: every item is flagged or has a <= 0")
        self._index = {it.task_id: j for j, it in enumerate(self.items)}
        params = np.array([[it.a, it.b, 0.0, 1.0] for it in self.items], dtype=np.float64)
        self._bank = ItemBank(params, validate=False)  # validation prints; a > 0 holds here
        self._selector = MaxInfoSelector()

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._index

    def next(self, asked: Iterable[str], theta: float) -> ItemParams | None:
        """The unasked item of maximum Fisher information at `theta`; None when all were asked.

        Information is proportional to the rollouts per item, so the choice does not
        depend on how many the caller runs.
        """
        done = sorted({self._index[t] for t in asked if t in self._index})
        if len(done) == len(self.items):
            return None
        nxt: Any = self._selector.select(
            item_bank=self._bank, administered_items=done, est_theta=theta
        )
        return self.items[int(nxt)]


def place(
    items: Sequence[ItemParams],
    answer: Callable[[str], tuple[int, int]],
    *,
    target_se: float = 0.3,
    max_items: int = 60,
    start_theta: float = 0.0,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    item_error: bool = True,
) -> Placement:
    """Place a new model on a calibrated bank by adaptive testing.

    The next item is the one of maximum Fisher information at the current θ
    (`Selector`), and θ is re-estimated after each answer by EAP under a normal
    prior with the binomial likelihood of every answer so far (`estimate_theta`).

    Args:
        items: the calibrated bank (e.g. `Calibration.items`).
        answer: rolls the model out on a task: answer(task_id) -> (successes, trials);
            trials may vary (errored rollouts left out).
        target_se: stop once the posterior SD of θ is at most this.
        max_items: stop after this many items at most.
        start_theta: θ at which the first item is chosen.
        prior_mean, prior_sd: the normal prior of the EAP, on the bank's scale.
        item_error: count the items' calibration error in θ's SE, and so in the stop
            (`estimate_theta`).

    Returns:
        The Placement: EAP θ, its posterior SD, and the tasks asked in order.
    """
    selector = Selector(items)
    theta, se = start_theta, prior_sd
    asked: list[ItemParams] = []
    answers: list[tuple[int, int]] = []
    while len(asked) < max_items and se > target_se:
        item = selector.next((it.task_id for it in asked), theta)
        if item is None:
            break
        succ, trials = answer(item.task_id)
        if not 0 <= succ <= trials:
            raise ValueError(f"answer for {item.task_id} gave {succ} of {trials}")
        asked.append(item)
        answers.append((succ, trials))
        theta, se = estimate_theta(
            ((it, s, n) for it, (s, n) in zip(asked, answers, strict=True)),
            prior_mean=prior_mean,
            prior_sd=prior_sd,
            item_error=item_error,
        )
    return Placement(
        theta=theta,
        se=se,
        items=tuple(it.task_id for it in asked),
        trials=sum(n for _, n in answers),
        answers=tuple(answers),
    )
