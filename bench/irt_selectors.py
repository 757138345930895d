"""Item response theory, goal 2: which selection rule makes adaptive 10% placement beat random 30%.

The placement setting of bench/irt.py (a bank of 300 tasks calibrated on 40
models × k=4, each model placed again with 30 items), with every (model,
task) answer drawn once per repetition so all rules see the same answers
(common random numbers: the differences between rules are not draw noise).
Rules, each choosing the unasked item with the largest score:

- max information at the EAP θ (what `Selector` does, through catsim);
- information with a shrunk discrimination: a - SE; a's empirical-Bayes
  posterior mean (shrunk towards the bank's mean by its SE); the same on log a;
- information expected over a's estimation error (a ± SE, 5-point Gauss-Hermite);
- posterior-weighted information (over the EAP posterior on the grid), with
  the fitted and the shrunk a;
- Kullback-Leibler information (Chang & Ying) over θ ± 3/√(n+1);
- a-stratified selection (Chang & Ying): strata of ascending a, asked in
  turn, b nearest θ or max information within the stratum;
- bounds that are not selection rules: max information with θ scored on the
  shrunk a, and items chosen on their true a and b (scored on the fitted).

Printed: adaptive 10% RMSE / random 30% RMSE per seed and the mean, and the
smallest Kendall τ against the full-bank ranking.

    PYTHONPATH=src python bench/irt_selectors.py [--seeds 0 10 20 30 40] [--reps 3]
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Callable

import numpy as np
from irt import Array, frontier, kendall_tau, to_bank_scale

from frontier.pipeline.irt import fit

GRID = np.linspace(-8, 8, 321)
GH_X, GH_W = np.polynomial.hermite_e.hermegauss(5)
GH_W = GH_W / GH_W.sum()
LENGTH = 30
Rule = Callable[[float, Array, int], Array]  # (θ, posterior on GRID, items asked) -> score


def expit(z: Array) -> Array:
    out: Array = 0.5 * (1 + np.tanh(0.5 * z))
    return out


def info(theta: float | Array, a: Array, b: Array) -> Array:
    p = expit(a * (theta - b))
    out: Array = a * a * p * (1 - p)
    return out


def shrink(x: Array, se: Array) -> Array:
    """Empirical-Bayes posterior means: x shrunk towards its mean by its SE."""
    spread = max(float(x.var() - (se**2).mean()), 1e-3)
    out: Array = x.mean() + spread / (spread + se**2) * (x - x.mean())
    return out


def rules(a: Array, b: Array, a_se: Array, true_a: Array, true_b: Array) -> dict[str, Rule]:
    a_shr = shrink(a, a_se)
    a_log = np.exp(shrink(np.log(a), a_se / a))
    a_mse = np.maximum(a - a_se, 0.05)
    order = np.argsort(a)

    def strata(k: int) -> Array:
        out = np.empty(len(a))
        out[order] = np.arange(len(a)) * k // len(a)
        return out

    def expected(theta: float, post: Array, n: int) -> Array:
        draws = a[None, :] + GH_X[:, None] * a_se[None, :]
        out: Array = (GH_W[:, None] * info(theta, draws, b[None, :])).sum(0)
        return out

    def kl(theta: float, post: Array, n: int) -> Array:
        d = 3 / math.sqrt(n + 1)
        ts = np.linspace(theta - d, theta + d, 9)
        p0 = expit(a * (theta - b))
        p = expit(a[None, :] * (ts[:, None] - b[None, :]))
        out: Array = (p0 * np.log(p0 / p) + (1 - p0) * np.log((1 - p0) / (1 - p))).mean(0)
        return out

    def stratified(k: int, within: str) -> Rule:
        s = strata(k)

        def rule(theta: float, post: Array, n: int) -> Array:
            here = s == min(n * k // LENGTH, k - 1)
            score = -np.abs(b - theta) if within == "b" else info(theta, a, b)
            return np.where(here, score, -np.inf)

        return rule

    return {
        "max information (Selector)": lambda t, post, n: info(t, a, b),
        "a - SE": lambda t, post, n: info(t, a_mse, b),
        "a shrunk (empirical Bayes)": lambda t, post, n: info(t, a_shr, b),
        "log a shrunk": lambda t, post, n: info(t, a_log, b),
        "expected over a ± SE": expected,
        "posterior-weighted": lambda t, post, n: post @ info(GRID[:, None], a, b),
        "posterior-weighted, a shrunk": lambda t, post, n: post @ info(GRID[:, None], a_shr, b),
        "Kullback-Leibler": kl,
        "a-stratified 3, b nearest θ": stratified(3, "b"),
        "a-stratified 5, b nearest θ": stratified(5, "b"),
        "a-stratified 5, max info": stratified(5, "info"),
        "max info, θ scored on a shrunk": lambda t, post, n: info(t, a, b),
        "chosen on the true a and b": lambda t, post, n: info(t, true_a, true_b),
    }


def run(seed: int, reps: int) -> dict[str, tuple[float, float]]:
    sq: dict[str, list[float]] = {}
    taus: dict[str, list[float]] = {}
    for rep in range(reps):
        syn = frontier(40, 300, seed=seed + rep)
        cal = fit(syn.responses)
        items = [i for i in cal.items if i.flag is None and i.a > 0]
        index = {t: j for j, t in enumerate(syn.responses.tasks)}
        cols = np.array([index[i.task_id] for i in items])
        a = np.array([i.a for i in items])
        b = np.array([i.b for i in items])
        a_se = np.array([i.a_se for i in items])
        scale = to_bank_scale(syn, [m.theta for m in cal.abilities])
        slope, intercept = scale(1.0) - scale(0.0), scale(0.0)
        rng = np.random.default_rng(seed + 1000 + rep)
        p_true = expit(syn.a[cols][None, :] * (syn.theta[:, None] - syn.b[cols][None, :]))
        answers = rng.binomial(4, p_true)  # one draw for every rule

        def loglik(m: int, j: int, slope_a: Array, b: Array = b, answers: Array = answers) -> Array:
            z = slope_a[j] * (GRID - b[j])
            out: Array = answers[m, j] * z - 4 * np.logaddexp(0, z)
            return out

        def eap(log_post: Array) -> tuple[float, Array]:
            w = np.exp(log_post - log_post.max())
            w /= w.sum()
            return float((w * GRID).sum()), w

        a_shr = shrink(a, a_se)
        placed: dict[str, list[float]] = {}
        for name, rule in rules(
            a, b, a_se, syn.a[cols] / slope, slope * syn.b[cols] + intercept
        ).items():
            scoring = a_shr if "scored on a shrunk" in name else a
            placed[name] = []
            for m in range(len(syn.theta)):
                log_post = -0.5 * GRID**2
                theta, post = eap(log_post)
                asked = np.zeros(len(a), bool)
                for n in range(LENGTH):
                    score = np.array(rule(theta, post, n), dtype=float)
                    score[asked] = -np.inf
                    j = int(np.argmax(score))
                    asked[j] = True
                    theta, post = eap(log_post := log_post + loglik(m, j, scoring))
                placed[name].append(theta)
        for name, size in (("random 30%", 90), ("random 10%", 30), ("full bank", len(a))):
            placed[name] = []
            for m in range(len(syn.theta)):
                pick = rng.choice(len(a), size, replace=False)
                log_post = -0.5 * GRID**2 + sum(loglik(m, int(j), a) for j in pick)
                placed[name].append(eap(log_post)[0])
        truth = [scale(float(t)) for t in syn.theta]
        for name, thetas in placed.items():
            sq.setdefault(name, []).extend((x - y) ** 2 for x, y in zip(thetas, truth, strict=True))
            taus.setdefault(name, []).append(kendall_tau(thetas, placed["full bank"]))
    return {n: (math.sqrt(statistics.mean(sq[n])), statistics.mean(taus[n])) for n in sq}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 10, 20, 30, 40])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    results = {seed: run(seed, args.reps) for seed in args.seeds}
    first = results[args.seeds[0]]
    print(f"adaptive 10% RMSE / random 30% RMSE on seeds {args.seeds}; smallest τ vs the full bank")
    for name in first:
        ratios = [results[s][name][0] / results[s]["random 30%"][0] for s in args.seeds]
        tau = min(results[s][name][1] for s in args.seeds)
        print(
            f"   {name:<32} "
            + " ".join(f"{r:.2f}" for r in ratios)
            + f"   mean {statistics.mean(ratios):.2f}  max {max(ratios):.2f}  min τ {tau:.3f}"
        )


if __name__ == "__main__":
    main()
