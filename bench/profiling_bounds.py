"""Bayes-optimal upper bounds for adaptive profiling (issue 10, goal 1), binary rewards.

bench/adaptive_profiling.py measures what frontier's policies reach; this script
says what any policy could reach, so the docs can tell a goal that is missed from
one that is out of reach. A task's true pass rate p is drawn from a prior; a
policy sees Bernoulli(p) rollouts one at a time, stops when it likes and decides
a band (frontier.domain.bands, default edges). Over many tasks with a mean budget
of B rollouts per task, the best P(decided band = band of p) is found by
Lagrangian relaxation: per-task dynamic programming over (n rollouts, s
successes), n <= NMAX, maximising P(correct) - lambda * n, swept over lambda; the
upper concave envelope of the (mean rollouts, accuracy) points at B is the bound
(a run may randomise between two lambdas). Two decision rules:

  MAP        the band with the highest posterior probability: a bound for ANY
             policy that knows the prior;
  observed   the band of the observed mean s/n (what the store records; MAP at
             n = 0): a bound for any policy deciding by the observed mean.

Priors: the empirical prior of each synthetic binary calibration set (point
masses at its tasks' true pass rates, bench/calibration.py: an oracle that knows
the set of pass rates but not which task has which, so the bound is for exactly
the tasks the adaptive bench scores), and the generator's continuous priors on a
midpoint grid. Second part, the "match fixed k=4" goal: the same DP over n <= 4,
where stopping scores the best chance of naming fixed k=4's band.

Bounds are expectations over rollouts with up to NMAX per task (the adaptive bench
allows 16), so they are loose, yet one draw of the bench's pools can beat them by
sampling noise (its fixed k=4 scores 0.795 on the binary set, expectation 0.787).

Run:  .venv/bin/python bench/profiling_bounds.py
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibration import synthetic_binary, synthetic_uniform

from frontier.domain.bands import Band, band_of
from frontier.domain.specs import BandSpec

Array = npt.NDArray[np.float64]
BANDS = BandSpec()
ORDER = (Band.UNREACHABLE, Band.HILLCLIMBABLE, Band.SATURATED)
NMAX = 64
GRID = 20_000
LAMBDAS = np.geomspace(1e-5, 0.3, 150)
K = 4


def band_index(mean: float) -> int:
    return ORDER.index(band_of(mean, BANDS))


def beta_cells(a: float, b: float, edges: Array) -> Array:
    """Beta(a, b) mass per cell: midpoint rule, the end cells integrated where the pdf diverges."""
    h = np.diff(edges)
    mid = (edges[:-1] + edges[1:]) / 2
    log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    mass = np.exp((a - 1) * np.log(mid) + (b - 1) * np.log1p(-mid) - log_beta) * h
    if a < 1:
        mass[0] = h[0] ** a / a / math.exp(log_beta)
    if b < 1:
        mass[-1] = h[-1] ** b / b / math.exp(log_beta)
    return mass


def continuous(components: list[tuple[float, float, float]]) -> tuple[Array, Array]:
    edges = np.linspace(0.0, 1.0, GRID + 1)
    w = sum(share * beta_cells(a, b, edges) for share, a, b in components)
    assert isinstance(w, np.ndarray) and abs(w.sum() - 1) < 1e-3, "grid too coarse"
    return (edges[:-1] + edges[1:]) / 2, w / w.sum()


def empirical(means: list[float | None]) -> tuple[Array, Array]:
    p = np.array(means, dtype=np.float64)
    return p, np.full(len(p), 1 / len(p))


class Tables:
    """Per prior, once: log of m_b[n, s] = sum over p in band b of w(p) p^s (1-p)^(n-s)."""

    def __init__(self, p: Array, w: Array) -> None:
        lp = np.log(np.maximum(p, 1e-300))
        lq = np.log1p(-np.minimum(p, 1 - 1e-16))
        which = np.array([band_index(float(x)) for x in p])
        self.lmb: Array = np.full((3, NMAX + 1, NMAX + 1), -np.inf)
        for n in range(NMAX + 1):
            s = np.arange(n + 1)[:, None]
            terms = np.log(w) + s * lp + (n - s) * lq
            for b in range(3):
                t = terms[:, which == b]
                if t.shape[1]:
                    top = t.max(axis=1)
                    self.lmb[b, n, : n + 1] = top + np.log(np.exp(t - top[:, None]).sum(axis=1))
        self.lm: Array = np.logaddexp.reduce(self.lmb, axis=0)
        valid = np.tri(NMAX + 1, dtype=bool)
        self.post: Array = np.where(valid, np.exp(self.lmb - np.where(valid, self.lm, 0.0)), 0.0)
        """P(true band = b | n, s)."""
        self.pred: Array = np.zeros((NMAX + 1, NMAX + 1))
        """P(next rollout succeeds | n, s)."""
        for n in range(NMAX):
            self.pred[n, : n + 1] = np.exp(self.lm[n + 1, 1 : n + 2] - self.lm[n, : n + 1])

    def fixed(self, k: int) -> float:
        """P(band of the mean of k rollouts = true band)."""
        return sum(
            math.comb(k, s) * math.exp(self.lmb[band_index(s / k), k, s]) for s in range(k + 1)
        )

    def stop_value(self, observed: bool) -> Array:
        value: Array = self.post.max(axis=0)
        if observed:
            for n in range(1, NMAX + 1):
                for s in range(n + 1):
                    value[n, s] = self.post[band_index(s / n), n, s]
        return value

    def k_agreement(self, k: int) -> Array:
        """Stop value for the match-fixed-k goal: max over b of P(k-rollout band = b | n, s)."""
        value = np.zeros((k + 1, k + 1))
        for n in range(k + 1):
            for s in range(n + 1):
                per = np.zeros(3)
                for r in range(k - n + 1):
                    log_p = self.lm[k, s + r] - self.lm[n, s]
                    per[band_index((s + r) / k)] += math.comb(k - n, r) * math.exp(log_p)
                value[n, s] = per.max()
        return value


def policies(pred: Array, stop: Array, lams: Array) -> npt.NDArray[np.bool_]:
    """Backward induction for every lambda at once: cont[l, n, s], continue at (n, s)."""
    top = stop.shape[0] - 1
    cont = np.zeros((len(lams), top + 1, top + 1), dtype=bool)
    val = np.repeat(stop[top][None, :], len(lams), axis=0)
    for n in range(top - 1, -1, -1):
        p1 = pred[n, : n + 1]
        go = -lams[:, None] + p1 * val[:, 1 : n + 2] + (1 - p1) * val[:, : n + 1]
        cont[:, n, : n + 1] = go > stop[n, : n + 1] + 1e-12
        val = np.where(cont[:, n, : n + 1], go, stop[n, : n + 1])
    return cont


def evaluate(pred: Array, stop: Array, cont: npt.NDArray[np.bool_]) -> tuple[Array, Array]:
    """Forward pass: (mean rollouts, mean stop value) of each policy in cont[l, n, s]."""
    top = stop.shape[0] - 1
    reach = np.zeros((cont.shape[0], top + 2))
    reach[:, 0] = 1.0
    rollouts, score = np.zeros(cont.shape[0]), np.zeros(cont.shape[0])
    for n in range(top + 1):
        r, go = reach[:, : n + 1], cont[:, n, : n + 1]
        score += (r * ~go * stop[n, : n + 1]).sum(axis=1)
        rollouts += (r * go).sum(axis=1)
        nxt = np.zeros_like(reach)
        nxt[:, 1 : n + 2] += r * go * pred[n, : n + 1]
        nxt[:, : n + 1] += r * go * (1 - pred[n, : n + 1])
        reach = nxt
    return rollouts, score


def upper_hull(xs: Array, ys: Array) -> list[tuple[float, float]]:
    hull: list[tuple[float, float]] = []
    for x, y in sorted(zip(xs.tolist(), ys.tolist(), strict=True)):
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1) >= -1e-12:
                hull.pop()
            else:
                break
        hull.append((x, y))
    return hull


def at(hull: list[tuple[float, float]], x: float) -> float:
    """The envelope at x (flat past its ends: a budget left unspent cannot help or hurt)."""
    return float(np.interp(x, [h[0] for h in hull], [h[1] for h in hull]))


def frontier(pred: Array, stop: Array) -> list[tuple[float, float]]:
    n, acc = evaluate(pred, stop, policies(pred, stop, LAMBDAS))
    # Never sampling at all is a policy too, so the envelope starts at zero rollouts.
    return upper_hull(np.append(n, 0.0), np.append(acc, stop[0, 0]))


def main() -> None:
    started = time.perf_counter()
    priors = {
        "synthetic binary, empirical": empirical([t.true_mean for t in synthetic_binary()]),
        "stress (uniform), empirical": empirical([t.true_mean for t in synthetic_uniform()]),
        "mixture prior, continuous": continuous(
            [(0.25, 0.3, 15), (0.35, 12, 0.6), (0.40, 1.2, 1.2)]
        ),
        "uniform prior, continuous": continuous([(1.0, 1.0, 1.0)]),
    }
    print(
        f"Bands: unreachable <= {BANDS.unreachable_at_most} < hillclimbable <= "
        f"{BANDS.saturated_above} < saturated. Binary rewards, n <= {NMAX}, "
        f"{len(LAMBDAS)} lambdas; continuous priors on a {GRID}-cell midpoint grid."
    )
    print("\nP(decided band = true band): fixed k, and the bound at a mean budget of B per task")
    head = "   ".join(f"{f'B={b} MAP':>8}{'observed':>9}" for b in (4, 8))
    print(f"  {'prior':<30}{'k=4':>7}{'k=8':>7}   {head}   0.85 at B=4 within reach of")
    tables = {}
    for name, (p, w) in priors.items():
        t = tables[name] = Tables(p, w)
        hulls = [frontier(t.pred, t.stop_value(observed)) for observed in (False, True)]
        row = "   ".join(f"{at(hulls[0], b):>8.3f}{at(hulls[1], b):>9.3f}" for b in (4, 8))
        goal = ["no policy", "MAP rule only", "both rules"][sum(at(h, 4) >= 0.85 for h in hulls)]
        print(f"  {name:<30}{t.fixed(4):>7.3f}{t.fixed(8):>7.3f}   {row}   {goal}")

    print(
        f"\nMatch fixed k={K}: P(decision = fixed k={K}'s band) against rollouts as a fraction"
        f" of {K}\n(the same DP over n <= {K}; stopping names the likeliest k={K} band)"
    )
    # Every deterministic rule over the states n < K, as continue masks, for the exact
    # best deterministic policy within the rollout limit (not only those a lambda finds).
    states = [(n, s) for n in range(K) for s in range(n + 1)]
    masks = (np.arange(2 ** len(states))[:, None] >> np.arange(len(states))) & 1
    every = np.zeros((len(masks), K + 1, K + 1), dtype=bool)
    for i, (n, s) in enumerate(states):
        every[:, n, s] = masks[:, i].astype(bool)
    for name, t in tables.items():
        stop = t.k_agreement(K)
        pred = t.pred[: K + 1, : K + 1]
        hull = [(n / K, a) for n, a in frontier(pred, stop)]
        vertex = max((a, r) for r, a in hull if r <= 0.80 + 1e-9)
        used, agree = evaluate(pred, stop, every)
        ok = used / K <= 0.80 + 1e-9
        best = int(np.flatnonzero(ok)[np.argmax(agree[ok])])
        envelope = at(hull, 0.80)
        verdict = " by a deterministic rule, ".join(
            "reachable" if x >= 0.97 else "OUT OF REACH" for x in (agree[best], envelope)
        )
        print(f"  {name}")
        print(
            "    vertices (ratio, agreement): " + "  ".join(f"({r:.3f}, {a:.3f})" for r, a in hull)
        )
        print(
            f"    ratio <= 0.80: envelope {envelope:.3f} (randomised), best vertex"
            f" ({vertex[1]:.3f}, {vertex[0]:.3f}), best of all {len(every)} deterministic rules"
            f" ({used[best] / K:.3f}, {agree[best]:.3f})"
        )
        print(f"    goal (agree >= 0.97 at ratio <= 0.80): {verdict} randomised")
    print(f"\n{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
