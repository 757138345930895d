"""The report's figures, drawn with matplotlib into PNG bytes.

Figures are built on `matplotlib.figure.Figure` objects, not pyplot, so drawing
holds no global state and needs no display. Every figure is drawn even when its
data is empty (it then says so), so the page always has the same sections.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from frontier.report.data import ModelView, ReportData

DPI = 110
BAND_COLORS = {"saturated": "#4c78a8", "hillclimbable": "#54a24b", "unreachable": "#e45756"}
METRIC_COLORS = {"pass@1": "#4c78a8", "best-of-k": "#f58518", "pass^k": "#72b7b2"}
REASON_COLORS = ["#e45756", "#ff9da6", "#b279a2", "#9d755d", "#bab0ac", "#eeca3b", "#79706e"]
ADMITTED_COLOR = "#54a24b"


@dataclass(frozen=True)
class RenderedFigure:
    slug: str
    title: str
    caption: str
    png: bytes


def render_all(data: ReportData) -> list[RenderedFigure]:
    """Every figure of the report, in page order."""
    makers: list[tuple[str, str, Callable[[ReportData], tuple[Figure, str]]]] = [
        ("bands", "Bands per model", bands_figure),
        ("band-history", "How the bands moved", band_history_figure),
        ("pass-metrics", "pass@1, best-of-k and pass^k per model", pass_figure),
        ("rounds", "History of rounds", rounds_figure),
        ("lineage", "Lineage of admitted tasks", lineage_figure),
        ("bank", "The item bank: ability and difficulty on one scale", bank_figure),
    ]
    out = []
    for slug, title, make in makers:
        fig, caption = make(data)
        out.append(RenderedFigure(slug, title, caption, to_png(fig)))
    return out


def to_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _empty(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11, color="#555555")
    ax.set_axis_off()


def _tidy(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def bands_figure(data: ReportData) -> tuple[Figure, str]:
    """Stacked horizontal bars: saturated / hillclimbable / unreachable counts per model."""
    models = data.models
    fig = Figure(figsize=(9, 0.8 + 0.7 * max(len(models), 1)), layout="constrained")
    ax = fig.add_subplot()
    if not models or all(m.bands.total == 0 for m in models):
        _empty(ax, f"no rollouts on the {data.scope} yet")
        return fig, "No model has been rolled out on these tasks yet."
    labels = [f"{m.model}\n({m.role})" for m in models]
    y = list(range(len(models)))[::-1]
    left = [0.0] * len(models)
    for band, color in BAND_COLORS.items():
        counts = [getattr(m.bands, band) for m in models]
        bars = ax.barh(y, counts, left=left, color=color, label=band, height=0.6)
        ax.bar_label(
            bars,
            labels=[str(c) if c else "" for c in counts],
            label_type="center",
            color="white",
            fontsize=9,
            fontweight="bold",
        )
        left = [a + b for a, b in zip(left, counts, strict=True)]
    for yi, m, width in zip(y, models, left, strict=True):
        ax.text(width + max(left) * 0.01, yi, _reward_and_pass(m), va="center", fontsize=9)
    ax.set_yticks(y, labels, fontsize=9)
    ax.set_xlim(0, max(left) * 1.45 or 1)
    ax.set_xlabel(f"tasks of the {data.scope}")
    ax.legend(ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize=9)
    _tidy(ax)
    b = data.bands_spec
    return fig, (
        f"Tasks of the {data.scope} by band of each model's mean reward over its rollouts "
        f"(unreachable ≤ {b.unreachable_at_most:g} < hillclimbable ≤ {b.saturated_above:g} "
        "< saturated). Mean reward gives partial credit (CAR); pass@1 counts only full "
        "successes (ASR), so a saturated task can still fail most attempts: the table below "
        "gives each band's share of fully successful rollouts."
    )


def _reward_and_pass(m: ModelView) -> str:
    if m.mean_reward is None or m.pass_at_1 is None:
        return "no data"
    return f"mean reward {m.mean_reward:.2f}\npass@1 {m.pass_at_1:.2f}"


MODEL_COLORS = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d"]


def band_history_figure(data: ReportData) -> tuple[Figure, str]:
    """Saturated and hillclimbable shares per model, from the base tasks through each slice version."""
    points = [p for p in data.band_history if p.bands.total]
    fig = Figure(figsize=(12, 3.4), layout="constrained")
    saturated, hillclimbable = fig.subplots(1, 2, sharex=True)
    if not points:
        _empty(saturated, "no bands yet")
        _empty(hillclimbable, "")
        return fig, "No model has been profiled yet."
    scopes = list(dict.fromkeys(p.scope for p in points))
    models = list(dict.fromkeys(p.model for p in points))
    for ax, band in ((saturated, "saturated"), (hillclimbable, "hillclimbable")):
        for i, model in enumerate(models):
            mine = [p for p in points if p.model == model]
            ax.plot(
                [scopes.index(p.scope) for p in mine],
                [getattr(p.bands, band) / p.bands.total * 100 for p in mine],
                marker="o",
                color=MODEL_COLORS[i % len(MODEL_COLORS)],
                linestyle="-" if mine[0].role == "solver" else "--",
                label=f"{model} ({mine[0].role})",
            )
        ax.set_xticks(range(len(scopes)), scopes)
        ax.set_ylim(-3, 105)
        ax.set_ylabel(f"{band} share (%)")
        ax.set_title(f"{band} tasks", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        _tidy(ax)
    hillclimbable.legend(fontsize=8, frameon=False, loc="best")
    return fig, (
        "The share of tasks each model saturates (left) and finds hillclimbable (right): the "
        "solver on the base tasks, then every model on each slice version it was run on."
    )


PASS_METRICS = ("pass@1", "best-of-k", "pass^k")


def pass_figure(data: ReportData) -> tuple[Figure, str]:
    """Grouped bars with 95% bootstrap intervals: pass@1, best-of-k, pass^k per model."""
    models = [m for m in data.models if m.metrics is not None]
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax = fig.add_subplot()
    if not models:
        _empty(ax, "no metrics yet")
        return fig, "No model has finished rollouts on these tasks yet."
    width = 0.8 / len(PASS_METRICS)
    for i, name in enumerate(PASS_METRICS):
        xs, heights, lows, highs = [], [], [], []
        for j, m in enumerate(models):
            assert m.metrics is not None
            interval = {
                "pass@1": m.metrics.pass_at_1,
                "best-of-k": m.metrics.best_of_k,
                "pass^k": m.metrics.pass_hat_k,
            }[name]
            xs.append(j + (i - 1) * width)
            heights.append(interval.estimate)
            lows.append(max(interval.estimate - interval.low, 0.0))
            highs.append(max(interval.high - interval.estimate, 0.0))
        bars = ax.bar(
            xs,
            heights,
            width=width * 0.95,
            yerr=[lows, highs],
            capsize=3,
            color=METRIC_COLORS[name],
            label=name,
            error_kw={"elinewidth": 1, "ecolor": "#333333"},
        )
        ax.bar_label(bars, labels=[f"{h:.2f}" for h in heights], padding=2, fontsize=8)
    ax.set_xticks(range(len(models)), [f"{m.model} (k={m.metrics.k})" for m in models if m.metrics])
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("share of tasks")
    ax.legend(ncols=3, loc="upper right", frameon=False, fontsize=9)
    _tidy(ax)
    return fig, (
        f"Over the {data.scope}: pass@1 (one attempt succeeds), best-of-k (any of the k "
        "attempts succeeded) and pass^k (all k succeed); whiskers are 95% bootstrap intervals "
        "over tasks."
    )


def rounds_figure(data: ReportData) -> tuple[Figure, str]:
    """Per round: candidates by outcome, yield and cost per admitted task; slice size per version."""
    fig = Figure(figsize=(12, 4.2), layout="constrained")
    grid = fig.add_gridspec(2, 3)
    funnel = fig.add_subplot(grid[:, 0])
    yields = fig.add_subplot(grid[0, 1])
    cost = fig.add_subplot(grid[1, 1], sharex=yields)
    sizes = fig.add_subplot(grid[:, 2])
    rounds = data.rounds
    if not rounds:
        _empty(funnel, "no rounds yet")
        _empty(yields, "")
        _empty(cost, "")
    else:
        _funnel(funnel, data)
        _yield_and_cost(yields, cost, data)
    if data.slices:
        versions = [s.version for s in data.slices]
        bars = sizes.bar(versions, [s.size for s in data.slices], color="#4c78a8", width=0.6)
        sizes.bar_label(bars, padding=2, fontsize=8)
        sizes.set_xticks(versions, [f"v{v}" for v in versions])
        sizes.set_title("slice size per version", fontsize=10)
        sizes.set_ylabel("tasks")
        sizes.margins(y=0.15)
        _tidy(sizes)
    else:
        _empty(sizes, "no slice published yet")
    return fig, (
        "Left: each round's candidates, admitted or rejected by reason (the number above a bar "
        "is how many the teacher generated). Middle: admission yield (top) and the candidate "
        "rollouts spent per admitted task (bottom). Right: the size of each published slice version."
    )


def _funnel(ax: Axes, data: ReportData) -> None:
    rounds = data.rounds
    xs = [r.number for r in rounds]
    reasons = sorted({reason for r in rounds for reason in r.counts.by_reason})
    bottom = [0] * len(rounds)
    admitted = [r.counts.admitted for r in rounds]
    ax.bar(xs, admitted, color=ADMITTED_COLOR, label="admitted", width=0.6)
    bottom = admitted[:]
    for i, reason in enumerate(reasons):
        counts = [r.counts.by_reason.get(reason, 0) for r in rounds]
        ax.bar(
            xs,
            counts,
            bottom=bottom,
            color=REASON_COLORS[i % len(REASON_COLORS)],
            label=f"rejected: {reason}",
            width=0.6,
        )
        bottom = [a + b for a, b in zip(bottom, counts, strict=True)]
    pending = [r.counts.pending for r in rounds]
    if any(pending):
        ax.bar(xs, pending, bottom=bottom, color="#cccccc", label="pending", width=0.6)
    for x, r in zip(xs, rounds, strict=True):
        ax.text(
            x, r.counts.generated, str(r.counts.generated), ha="center", va="bottom", fontsize=8
        )
    ax.set_xticks(xs, [f"round {x}" for x in xs], fontsize=8)
    ax.set_ylabel("candidates")
    ax.set_title("candidates per round", fontsize=10)
    ax.set_ylim(0, max(r.counts.generated for r in rounds) * 1.45 or 1)
    ax.legend(fontsize=7, frameon=False, loc="upper left", ncols=2)
    _tidy(ax)


MAX_VALUE_LABELS = 10
"""Past this many rounds only every n-th round's values are printed (counting back from the
latest, which is always shown), so neighbouring labels never collide."""


def _labelled(count: int) -> list[bool]:
    step = -(-count // MAX_VALUE_LABELS)
    return [(count - 1 - i) % step == 0 for i in range(count)]


def _yield_and_cost(yields: Axes, cost: Axes, data: ReportData) -> None:
    """Yield and rollouts per admitted task on two stacked axes: their labels cannot collide
    (on one axis with a twin scale they did, whenever a bar top met a point)."""
    rounds = data.rounds
    xs = [r.number for r in rounds]
    shown = _labelled(len(rounds))
    percents = [r.counts.admission_yield * 100 for r in rounds]
    bars = yields.bar(xs, percents, color="#72b7b2", width=0.6)
    yields.bar_label(
        bars,
        labels=[f"{p:.0f}%" if keep else "" for p, keep in zip(percents, shown, strict=True)],
        padding=2,
        fontsize=8,
    )
    yields.set_ylim(0, 130)
    yields.set_yticks([0, 50, 100])
    yields.set_ylabel("yield (%)")
    yields.set_title("admission yield and rollouts per admitted task", fontsize=10)
    yields.tick_params(labelbottom=False)
    _tidy(yields)
    points = [
        (x, r.rollouts_per_admitted, keep)
        for x, r, keep in zip(xs, rounds, shown, strict=True)
        if r.rollouts_per_admitted is not None
    ]
    if points:
        cost.plot([p[0] for p in points], [p[1] for p in points], color="#f58518", marker="o")
        for x, spent, keep in points:
            if keep:
                cost.annotate(
                    f"{spent:.1f}",
                    (x, spent),
                    textcoords="offset points",
                    xytext=(0, 5),
                    ha="center",
                    fontsize=8,
                )
        cost.set_ylim(0, max(max(p[1] for p in points) * 1.5, 1.0))  # all zero: still a range
    cost.set_ylabel("rollouts per\nadmitted task")
    cost.set_xticks(xs, [f"round {x}" for x in xs], fontsize=8)
    cost.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    _tidy(cost)


def lineage_figure(data: ReportData) -> tuple[Figure, str]:
    """A family × motif count grid of admitted tasks, and the depth of their mutation chains."""
    lineage = data.lineage
    fig = Figure(figsize=(12, 3.8), layout="constrained")
    grid, depth = fig.subplots(1, 2, width_ratios=[2, 1])
    if not lineage.total:
        _empty(grid, "no admitted tasks yet")
        _empty(depth, "")
        return fig, "No candidate has been admitted yet."
    families, motifs = lineage.families, lineage.motifs
    values = [[lineage.by_family_motif.get((f, m), 0) for m in motifs] for f in families]
    image = grid.imshow(values, cmap="Greens", aspect="auto", vmin=0)
    top = max(max(row) for row in values) or 1
    for i, row in enumerate(values):
        for j, n in enumerate(row):
            if n:
                grid.text(
                    j,
                    i,
                    str(n),
                    ha="center",
                    va="center",
                    fontsize=9,
                    color="white" if n > top * 0.6 else "black",
                )
    grid.set_xticks(range(len(motifs)), motifs, rotation=30, ha="right", fontsize=8)
    grid.set_yticks(
        range(len(families)), [f"{f} ({lineage.family_total(f)})" for f in families], fontsize=9
    )
    grid.set_title("admitted tasks by family and mutation motif", fontsize=10)
    fig.colorbar(image, ax=grid, shrink=0.8)
    ds = list(lineage.depths)
    bars = depth.bar(ds, [lineage.depths[d] for d in ds], color="#b279a2", width=0.6)
    depth.bar_label(bars, padding=2, fontsize=8)
    depth.set_xticks(ds)
    depth.set_xlabel("mutations from the base task (depth)")
    depth.set_ylabel("admitted tasks")
    depth.set_title("depth of mutation chains", fontsize=10)
    depth.margins(y=0.15)
    _tidy(depth)
    return fig, (
        f"The {lineage.total} tasks admitted over all rounds, by benchmark family and the "
        "mutation motif that produced them, and how many mutations separate each from its base task."
    )


def bank_figure(data: ReportData) -> tuple[Figure, str]:
    """Each model's ability across calibrations; each slice version's difficulty against it."""
    bank = data.bank
    fig = Figure(figsize=(12, 3.8), layout="constrained")
    abilities, difficulty = fig.subplots(1, 2)
    if bank is None:
        _empty(abilities, "not calibrated yet")
        _empty(difficulty, "")
        return fig, "The item bank is fitted once calibration.minModels models have rollouts."
    models = sorted({m for _, found in bank.history for m in found})
    for model in models:
        points = [(v, found[model]) for v, found in bank.history if model in found]
        abilities.errorbar(
            [v for v, _ in points],
            [t for _, (t, _) in points],
            yerr=[se for _, (_, se) in points],
            marker="o",
            capsize=3,
            label=model,
            linewidth=2.5 if model == data.solver else 1.2,
        )
    abilities.set_xlabel("calibration version")
    abilities.set_ylabel("ability θ (± SE)")
    abilities.set_xticks([v for v, _ in bank.history])
    abilities.set_title("ability on the bank's scale", fontsize=10)
    abilities.legend(fontsize=7, loc="best")
    _tidy(abilities)
    if bank.slices:
        difficulty.boxplot(
            [d.difficulties for d in bank.slices],
            tick_labels=[f"v{d.version}" for d in bank.slices],
        )
        solver = next((t for m, t, _, _ in bank.abilities if m == data.solver), None)
        if solver is not None:
            difficulty.axhline(solver, color="#e45756", linestyle="--", label="solver θ")
            difficulty.legend(fontsize=8, loc="best")
    else:
        _empty(difficulty, "no slice version yet")
    difficulty.set_xlabel("slice version")
    difficulty.set_ylabel("task difficulty b")
    difficulty.set_title("difficulty of each slice version", fontsize=10)
    _tidy(difficulty)
    return fig, (
        f"Calibration v{bank.version} ({bank.library}, {bank.anchor}) of {bank.items} tasks: "
        "every model's ability with its standard error across calibrations (the solver's line "
        "is thicker), and each slice version's task difficulties against the solver's ability."
    )
