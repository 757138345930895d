"""Item response theory (issue 20): the 2PL item bank on synthetic frontiers, with baselines.

The generator is a frontier's shape: M models with θ ~ N(0, 1), T tasks with
log a ~ N(0, 0.5) and b ~ N(0, 1), k rollouts per (model, task) cell, 20% of
cells missing (a model did not roll out the task). Goals and what is printed:

1. recovery at 40 models × 300 tasks × k=4: corr(fitted, true) of b (goal
   >= 0.95), a (>= 0.85) and θ, and wall time, for frontier.pipeline.irt.fit and
   the PyPI libraries as baselines (girth 2PL MML and JML, mirt 2PL EM), which
   take Bernoulli matrices only: each rollout becomes a pseudo-respondent of
   its model and the model's θ is the mean of its k pseudo-respondents';
2. placement: a bank calibrated on the 40 models, each model placed again from
   fresh rollouts (k=4 per item) by adaptive 10% of the bank vs random 30% vs
   random 10% vs the full bank (and adaptive 10% choosing items on their true a
   and b but scoring on the fitted ones: selection without capitalisation on chance): θ RMSE against the true ability (mapped onto
   the bank's scale), and Kendall τ of the 40 models' ranking against the
   full-bank ranking (goal: adaptive 10% RMSE <= random 30% RMSE, τ >= 0.90);
3. 5% of tasks with inverted grading: precision (goal >= 0.9) and recall
   (>= 0.8) of `suspect_grading`, pooled over the repetitions;
4. linking: "slice v1" (tasks 0-199) and "slice v3" (tasks 100-299, the new
   ones harder), old models rolled out on v1 only, new (stronger) models on v3
   only, one concurrent calibration; a model of unchanged ability placed on
   each slice: how often the two θ agree within 1 and 1.96 SE of their
   difference, and the mean and RMS of θ_v3 - θ_v1, against separate fits of
   the two slices. The issue's "within one SE in >= 95%" cannot hold for
   unbiased estimates (68% by chance), so the goal is read as a 95% interval
   check: >= 95% within 1.96 SE of the difference (calibrated, unbiased);
6. cost: calibration of 100 models × 5,000 tasks × k=4 (goal < 30 s).

Goal 5 (real rollouts of the heuristic ladder on ShoppingBench) is bench/irt_real.py.

Usage: python bench/irt.py [--reps N] [--seed S] [--cost-baselines] [--slow-baselines]
(girth's MML takes ~40 s a fit, so it runs only with --slow-baselines.)
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import numpy as np
import numpy.typing as npt

from frontier.domain.irt import ItemParams, p_success
from frontier.pipeline.irt import Responses, Selector, estimate_theta, fit, place

Array = npt.NDArray[np.float64]


@dataclass
class Frontier:
    theta: Array
    a: Array
    b: Array
    responses: Responses
    flipped: set[int]


def frontier(
    models: int,
    tasks: int,
    k: int = 4,
    *,
    seed: int,
    missing: float = 0.2,
    flip: float = 0.0,
    theta: Array | None = None,
    b: Array | None = None,
    a: Array | None = None,
    mask: npt.NDArray[np.bool_] | None = None,
) -> Frontier:
    """A synthetic 2PL frontier; `flip` of the tasks have inverted grading (a negated)."""
    rng = np.random.default_rng(seed)
    th = rng.normal(0, 1, models) if theta is None else theta
    aa = rng.lognormal(0, 0.5, tasks) if a is None else a.copy()
    bb = rng.normal(0, 1, tasks) if b is None else b
    flipped = set(rng.choice(tasks, round(flip * tasks), replace=False).tolist())
    aa[list(flipped)] *= -1
    p = 1 / (1 + np.exp(-aa * (th[:, None] - bb)))
    n = np.where(rng.random((models, tasks)) < missing, 0, k)
    if mask is not None:
        n = np.where(mask, n, 0)
    s = rng.binomial(n, p)
    names_m = tuple(f"m{i:03d}" for i in range(models))
    names_t = tuple(f"t{j:04d}" for j in range(tasks))
    return Frontier(th, aa, bb, Responses(names_m, names_t, s, n), flipped)


def corr(x: Any, y: Any) -> float:
    return float(np.corrcoef(np.asarray(x, float), np.asarray(y, float))[0, 1])


def kendall_tau(x: list[float], y: list[float]) -> float:
    concordant = discordant = 0
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            sign = (x[i] - x[j]) * (y[i] - y[j])
            concordant += sign > 0
            discordant += sign < 0
    return (concordant - discordant) / (len(x) * (len(x) - 1) / 2)


# --- baselines: Bernoulli-matrix libraries, one pseudo-respondent per rollout ---------------


def pseudo_respondents(r: Responses, k: int, seed: int) -> npt.NDArray[np.int64]:
    """(M·k) × T matrix of 0/1, -1 missing: a cell's successes spread at random over its k rollouts."""
    rng = np.random.default_rng(seed)
    m, t = r.trials.shape
    out = -np.ones((m * k, t), dtype=np.int64)
    for i in range(m):
        for j in range(t):
            n, s = int(r.trials[i, j]), int(r.successes[i, j])
            if n:
                outcomes = np.array([1] * s + [0] * (n - s))
                rng.shuffle(outcomes)
                out[i * k : i * k + n, j] = outcomes
    return out


def per_model(theta_pseudo: Array, k: int) -> Array:
    return np.nanmean(theta_pseudo.reshape(-1, k), axis=1)


def fit_ours(r: Responses, k: int, seed: int) -> tuple[Array, Array, Array]:
    cal = fit(r)
    return (
        np.array([i.a for i in cal.items]),
        np.array([i.b for i in cal.items]),
        np.array([m.theta for m in cal.abilities]),
    )


def fit_girth(method: str) -> Callable[[Responses, int, int], tuple[Array, Array, Array]]:
    def run(r: Responses, k: int, seed: int) -> tuple[Array, Array, Array]:
        import girth

        x = pseudo_respondents(r, k, seed).T  # girth: items × respondents
        data = np.where(x < 0, girth.INVALID_RESPONSE, x)
        est = girth.twopl_mml(data) if method == "mml" else girth.twopl_jml(data)
        a, b = np.asarray(est["Discrimination"]), np.asarray(est["Difficulty"])
        theta = girth.ability_eap(data, b, a)
        return a, b, per_model(np.asarray(theta, float), k)

    return run


def fit_mirt(r: Responses, k: int, seed: int) -> tuple[Array, Array, Array]:
    import mirt

    x = pseudo_respondents(r, k, seed)
    res = mirt.fit_mirt(x, model="2PL")
    a = np.asarray(res.model.parameters["discrimination"], float).ravel()
    b = np.asarray(res.model.parameters["difficulty"], float).ravel()
    theta = np.asarray(mirt.fscores(res, x).theta, float).ravel()
    return a, b, per_model(theta, k)


BASELINES: dict[str, tuple[str, Callable[[Responses, int, int], tuple[Array, Array, Array]]]] = {
    "frontier (numpy, binomial)": ("numpy", fit_ours),
    "girth 2PL JML": ("girth", fit_girth("jml")),
    "mirt 2PL EM": ("mirt", fit_mirt),
    "girth 2PL MML": ("girth", fit_girth("mml")),  # ~40 s a fit: only with --slow-baselines
}
SLOW = {"girth 2PL MML"}


def recovery(reps: int, seed: int, slow: bool) -> None:
    print("1. Recovery: 40 models × 300 tasks × k=4, 20% cells missing")
    print(
        f"   {'estimator':<28} {'version':>8} {'corr b':>7} {'corr a':>7} {'corr θ':>7} "
        f"{'seconds':>8} {'min a, 5% flipped':>18}"
    )
    for name, (package, run) in BASELINES.items():
        if name in SLOW and not slow:
            continue
        try:
            ver = version(package)
        except Exception:
            print(f"   {name:<28} not installed")
            continue
        rows = []
        for rep in range(reps):
            syn = frontier(40, 300, seed=seed + rep)
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                a, b, th = run(syn.responses, 4, seed + rep)
            secs = time.perf_counter() - started
            rows.append((corr(b, syn.b), corr(a, syn.a), corr(th, syn.theta), secs))
        flipped = frontier(40, 300, seed=seed + 100, flip=0.05)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a_f, _, _ = run(flipped.responses, 4, seed + 100)
        cb, ca, ct, secs = (statistics.mean(col) for col in zip(*rows, strict=True))
        print(
            f"   {name:<28} {ver:>8} {cb:>7.3f} {ca:>7.3f} {ct:>7.3f} {secs:>8.2f} "
            f"{float(np.min(a_f)):>18.2f}"
        )
    print("   goals: corr b >= 0.95, corr a >= 0.85 (means over the repetitions)")
    # are the standard errors right? coverage of the 95% intervals, truth mapped onto the
    # fitted scale by the abilities' regression
    cover: dict[str, list[float]] = {"a": [], "b": []}
    for rep in range(reps):
        syn = frontier(40, 300, seed=seed + rep)
        cal = fit(syn.responses)
        slope, intercept = np.polyfit(syn.theta, [m.theta for m in cal.abilities], 1)
        truth = {"a": syn.a / slope, "b": slope * syn.b + intercept}
        for p in ("a", "b"):
            est = np.array([getattr(i, p) for i in cal.items])
            se = np.array([getattr(i, p + "_se") for i in cal.items])
            cover[p].append(float(np.mean(np.abs(est - truth[p]) <= 1.96 * se)))
    print(
        f"   frontier's 95% intervals cover the true b {statistics.mean(cover['b']):.1%}, "
        f"the true a {statistics.mean(cover['a']):.1%} of the time"
    )
    print()


# --- placement ------------------------------------------------------------------------------


def answerer(
    syn: Frontier, true: float, rng: np.random.Generator
) -> Callable[[str], tuple[int, int]]:
    index = {t: j for j, t in enumerate(syn.responses.tasks)}

    def answer(task_id: str) -> tuple[int, int]:
        j = index[task_id]
        return int(rng.binomial(4, p_success(true, syn.a[j], syn.b[j]))), 4

    return answer


def to_bank_scale(syn: Frontier, thetas: list[float]) -> Callable[[float], float]:
    slope, intercept = np.polyfit(syn.theta, thetas, 1)
    return lambda t: float(slope * t + intercept)


def chosen_on_truth(
    true_items: list[ItemParams],
    fitted: dict[str, ItemParams],
    answer: Callable[[str], tuple[int, int]],
    most: int,
) -> float:
    """Adaptive θ with each item chosen on its true a and b, the answers scored on the fitted ones."""
    selector = Selector(true_items)
    theta = 0.0
    answers: list[tuple[ItemParams, int, int]] = []
    while len(answers) < most:
        item = selector.next((it.task_id for it, _, _ in answers), theta)
        if item is None:
            break
        answers.append((fitted[item.task_id], *answer(item.task_id)))
        theta, _ = estimate_theta(answers)
    return theta


def placement(reps: int, seed: int) -> None:
    print(
        "2. Placement: bank of 300 tasks calibrated on 40 models, each placed again (k=4 per item)"
    )
    strategies = [
        "adaptive 10%",
        "random 30%",
        "random 10%",
        "full bank",
        "adaptive to SE 0.3",
        "adaptive 10%, chosen on true a b",
        "adaptive to SE 0.3, items as exact",
    ]
    err: dict[str, list[float]] = {s: [] for s in strategies}
    taus: dict[str, list[float]] = {s: [] for s in strategies}
    asked: dict[str, list[int]] = {s: [] for s in strategies}
    secs: dict[str, float] = dict.fromkeys(strategies, 0.0)
    for rep in range(reps):
        syn = frontier(40, 300, seed=seed + rep)
        cal = fit(syn.responses)
        usable = [i for i in cal.items if i.flag is None and i.a > 0]
        scale = to_bank_scale(syn, [m.theta for m in cal.abilities])
        # the same tasks with their true a and b on the bank's scale: items chosen without
        # their estimation error (no capitalisation on chance), θ still scored on the fitted ones
        slope, intercept = scale(1.0) - scale(0.0), scale(0.0)
        index = {t: j for j, t in enumerate(syn.responses.tasks)}
        true_items = [
            ItemParams(
                i.task_id,
                float(syn.a[index[i.task_id]] / slope),
                float(slope * syn.b[index[i.task_id]] + intercept),
                0.0,
                0.0,
            )
            for i in usable
        ]
        fitted = {i.task_id: i for i in usable}
        rng = np.random.default_rng(seed + 1000 + rep)
        placed: dict[str, list[float]] = {s: [] for s in strategies}
        for true in syn.theta:
            answer = answerer(syn, float(true), rng)
            for s in strategies:
                started = time.perf_counter()
                if "true" in s:  # chosen on the true a and b, scored on the fitted ones
                    theta, used = chosen_on_truth(true_items, fitted, answer, 30), 30
                elif s.startswith("adaptive"):
                    target, most = (0.3, 300) if "SE" in s else (0.0, 30)
                    p = place(
                        usable,
                        answer,
                        target_se=target,
                        max_items=most,
                        item_error="exact" not in s,
                    )
                    theta, used = p.theta, len(p.items)
                else:
                    size = {"random 30%": 90, "random 10%": 30}.get(s, len(usable))
                    pick: list[ItemParams] = [
                        usable[j] for j in rng.choice(len(usable), size, replace=False)
                    ]
                    answers = [(it, *answer(it.task_id)) for it in pick]
                    theta, _ = estimate_theta(answers)
                    used = size
                secs[s] += time.perf_counter() - started
                placed[s].append(theta)
                err[s].append(theta - scale(float(true)))
                asked[s].append(used)
        for s in strategies:
            taus[s].append(kendall_tau(placed[s], placed["full bank"]))
    print(f"   {'strategy':<34} {'items':>6} {'θ RMSE':>7} {'τ vs full':>9} {'ms/model':>9}")
    for s in strategies:
        rmse = math.sqrt(statistics.mean(e * e for e in err[s]))
        print(
            f"   {s:<34} {statistics.mean(asked[s]):>6.1f} {rmse:>7.3f} "
            f"{statistics.mean(taus[s]):>9.3f} {1000 * secs[s] / len(err[s]):>9.1f}"
        )
    rmse = {s: math.sqrt(statistics.mean(e * e for e in err[s])) for s in strategies}
    print(
        f"   adaptive 10% / random 30% RMSE: {rmse['adaptive 10%'] / rmse['random 30%']:.2f}x "
        f"(goal <= 1); adaptive 10% / random 10%: {rmse['adaptive 10%'] / rmse['random 10%']:.2f}x; "
        "goal τ >= 0.90"
    )
    print(
        "   adaptive 10% chosen on the true a and b (scored on the fitted) / random 30%: "
        f"{rmse['adaptive 10%, chosen on true a b'] / rmse['random 30%']:.2f}x"
    )
    print()


# --- flipped grading ------------------------------------------------------------------------


def flipped_grading(reps: int, seed: int) -> None:
    print("3. Inverted grading on 5% of tasks (40 models × 300 tasks × k=4)")
    true_pos = flagged = planted = 0
    for rep in range(reps):
        syn = frontier(40, 300, seed=seed + 200 + rep, flip=0.05)
        cal = fit(syn.responses)
        suspect = {j for j, it in enumerate(cal.items) if it.flag == "suspect_grading"}
        true_pos += len(suspect & syn.flipped)
        flagged += len(suspect)
        planted += len(syn.flipped)
    precision = true_pos / flagged if flagged else float("nan")
    print(
        f"   planted {planted}, flagged {flagged}, right {true_pos}: precision {precision:.3f} "
        f"(goal >= 0.9), recall {true_pos / planted:.3f} (goal >= 0.8)"
    )
    print()


# --- linking --------------------------------------------------------------------------------


def linking(reps: int, seed: int) -> None:
    print(
        "4. Linking: slice v1 (tasks 0-199) and v3 (100-299, new tasks 0.7 harder), one calibration"
    )
    rng = np.random.default_rng(seed + 300)
    tasks, models = 300, 40
    b = rng.normal(0, 1, tasks)
    b[200:] += 0.7
    theta = np.concatenate([rng.normal(0, 1, 20), rng.normal(0.5, 1, 20)])
    mask = np.zeros((models, tasks), dtype=bool)
    mask[:20, :200] = True  # old models: v1 only
    mask[20:, 100:] = True  # new models: v3 only
    syn = frontier(models, tasks, seed=seed + 301, theta=theta, b=b, mask=mask)
    v1 = set(syn.responses.tasks[:200])
    v3 = set(syn.responses.tasks[100:])
    concurrent = fit(syn.responses)
    # baseline: each slice fitted alone on its own models, each standardised on them
    r = syn.responses
    separate = {
        name: fit(
            Responses(r.models[rows], r.tasks[cols], r.successes[rows, cols], r.trials[rows, cols])
        )
        for name, rows, cols in (
            ("v1", slice(0, 20), slice(0, 200)),
            ("v3", slice(20, 40), slice(100, 300)),
        )
    }
    one = (
        [i for i in concurrent.items if i.task_id in v1],
        [i for i in concurrent.items if i.task_id in v3],
    )
    banks = {  # θ's SE counting the items' calibration error, or taking them as exact
        "one concurrent calibration": (*one, True),
        "  the same, items as exact": (*one, False),
        "separate fits per slice": (list(separate["v1"].items), list(separate["v3"].items), True),
    }
    print(
        f"   {'calibration':<28} {'within 1 SE':>11} {'within 1.96 SE':>14} {'mean v3-v1':>10} "
        f"{'RMS v3-v1':>9} {'mean SE':>7}"
    )
    for name, (bank1, bank3, item_error) in banks.items():
        bank1 = [i for i in bank1 if i.flag is None and i.a > 0]
        bank3 = [i for i in bank3 if i.flag is None and i.a > 0]
        within1 = within196 = 0
        diffs = []
        ses = []
        for rep in range(reps):
            true = float(rng.normal(0.25, 1))
            draw = np.random.default_rng(seed + 400 + rep)
            p1 = place(
                bank1, answerer(syn, true, draw), target_se=0.3, max_items=60, item_error=item_error
            )
            p3 = place(
                bank3, answerer(syn, true, draw), target_se=0.3, max_items=60, item_error=item_error
            )
            se = math.hypot(p1.se, p3.se)
            d = p3.theta - p1.theta
            diffs.append(d)
            ses.append(se)
            within1 += abs(d) <= se
            within196 += abs(d) <= 1.96 * se
        print(
            f"   {name:<28} {within1 / reps:>11.1%} {within196 / reps:>14.1%} "
            f"{statistics.mean(diffs):>+10.3f} {math.sqrt(statistics.mean(d * d for d in diffs)):>9.3f} "
            f"{statistics.mean(ses):>7.3f}"
        )
    print(
        "   goal, as a 95% interval check: >= 95% of the differences within 1.96 SE of the "
        "difference (calibrated intervals, no bias); within 1 SE is 68% by chance alone"
    )
    print()


# --- cost -----------------------------------------------------------------------------------


def cost(seed: int, baselines: bool, slow: bool) -> None:
    print("6. Cost: calibration of 100 models × 5,000 tasks × k=4 (20% missing)")
    syn = frontier(100, 5000, seed=seed + 500)
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        cal = fit(syn.responses)
        runs.append(time.perf_counter() - started)
    a = [i.a for i in cal.items]
    print(
        f"   frontier (numpy): {statistics.median(runs):.2f} s median of 3 "
        f"({int(cal.fit['iterations'])} iterations, {int(cal.fit['responses'])} cells, "
        f"corr a {corr(a, syn.a):.3f}, corr b {corr([i.b for i in cal.items], syn.b):.3f}); "
        "goal < 30 s"
    )
    if baselines:
        for name, (_, run) in BASELINES.items():
            if name.startswith("frontier") or (name in SLOW and not slow):
                continue
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                run(syn.responses, 4, seed)
            print(f"   {name}: {time.perf_counter() - started:.1f} s (one run, pseudo-respondents)")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="repetitions of goals 1-3")
    parser.add_argument("--link-reps", type=int, default=400, help="repetitions of goal 4")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--cost-baselines", action="store_true", help="also time the libraries at 100 × 5,000"
    )
    parser.add_argument(
        "--slow-baselines", action="store_true", help="also run girth's MML (~40 s a fit)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    recovery(args.reps, args.seed, args.slow_baselines)
    placement(args.reps, args.seed)
    flipped_grading(max(args.reps, 5), args.seed)
    linking(args.link_reps, args.seed)
    cost(args.seed, args.cost_baselines, args.slow_baselines)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
