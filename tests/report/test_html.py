"""The page of an embedded run: every section present, and its numbers the store's own.

The expected numbers are recomputed here from raw store rows (rollouts, candidates,
tasks), not taken from the report's own data, so a wrong join or a swapped column
in the report fails these tests.
"""

from __future__ import annotations

import base64
import io
from collections import Counter, defaultdict
from dataclasses import replace

from bs4 import BeautifulSoup, Tag
from PIL import Image

from frontier.domain.bands import band_of
from frontier.domain.specs import BandSpec
from frontier.pipeline.view import solver_view
from frontier.report.html import render_html
from frontier.store import Store
from tests.report.conftest import FRONTIER, HOSTILE, PLANTED_KEY, EmbeddedRun
from tests.report.pages import table

FIGURES = ("bands", "band-history", "pass-metrics", "rounds", "lineage", "bank")
SECTIONS = (
    "bands",
    "bank",
    "pass-metrics",
    "cost",
    "rounds",
    "lineage",
    "canaries",
    "saturation",
    "events",
)


def verification_runs(store: Store, version: int) -> dict[str, str]:
    """Verifier model -> run name, for the runs over one slice version."""
    return {
        r.model_name: r.name
        for r in store.runs(FRONTIER, kind="verification")
        if r.task_set.get("sliceVersion") == version
    }


def latest_version(store: Store) -> int:
    versions = store.slice_versions(FRONTIER)
    assert versions, "the embedded run published no slice"
    return versions[-1]


def test_every_section_and_figure_is_on_the_page(embedded: EmbeddedRun) -> None:
    soup = embedded.soup()
    for section in SECTIONS:
        assert isinstance(soup.find("section", id=section), Tag), f"section #{section} missing"
    for slug in FIGURES:
        figure = soup.find("figure", id=f"fig-{slug}")
        assert isinstance(figure, Tag), f"figure {slug} missing"
        img = figure.find("img")
        assert isinstance(img, Tag)
        src = str(img["src"])
        assert src.startswith("data:image/png;base64,")
        picture = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        assert picture.format == "PNG"
        assert picture.size == (int(str(img["width"])), int(str(img["height"])))
        assert picture.size[0] > 300 and picture.size[1] > 150
        caption = figure.find("figcaption")
        assert isinstance(caption, Tag) and caption.get_text(strip=True)


def test_the_page_fetches_nothing_from_the_network(embedded: EmbeddedRun) -> None:
    soup = embedded.soup()
    assert not soup.find_all("link")
    for tag in soup.find_all(src=True):
        assert str(tag["src"]).startswith("data:"), tag
    for tag in soup.find_all(href=True):
        assert str(tag["href"]).startswith("#"), tag
    scripts = soup.find_all("script")
    assert len(scripts) == 1 and not scripts[0].get("src")
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert isinstance(csp, Tag)
    assert "default-src 'none'" in str(csp["content"])


def test_bands_per_model_match_the_rollouts_in_the_store(embedded: EmbeddedRun) -> None:
    store, spec = embedded.store, embedded.ctx.spec
    version = latest_version(store)
    rows = {r["model"]: r for r in table(embedded.soup(), "bands-table")}
    assert set(rows) == {spec.solver.name, *(v.name for v in spec.verifiers)}

    solver = solver_view(embedded.ctx).summary
    for band in ("saturated", "hillclimbable", "unreachable"):
        assert rows[spec.solver.name][band] == str(getattr(solver, band)), band
    assert rows[spec.solver.name]["tasks"] == str(store.get_slice(FRONTIER, version).size)

    for model, run in verification_runs(store, version).items():
        rewards: dict[str, list[float]] = defaultdict(list)
        for r in store.rollouts_for(run, status="ok"):
            assert r.reward is not None
            rewards[r.task_id].append(r.reward)
        means = {t: sum(v) / len(v) for t, v in rewards.items()}
        bands = Counter(band_of(m, spec.bands).value for m in means.values())
        row = rows[model]
        assert row["role"] == "verifier"
        for band in ("saturated", "hillclimbable", "unreachable"):
            assert row[band] == str(bands[band]), (model, band)
        mean = sum(means.values()) / len(means)
        assert row["mean reward"] == f"{mean:.2f}"


def test_each_bands_share_of_fully_successful_rollouts_matches_the_store(
    embedded: EmbeddedRun,
) -> None:
    store, spec = embedded.store, embedded.ctx.spec
    rows = {r["model"]: r for r in table(embedded.soup(), "bands-table")}
    for model, run in verification_runs(store, latest_version(store)).items():
        outcomes: dict[str, list[tuple[float, bool]]] = defaultdict(list)
        for r in store.rollouts_for(run, status="ok"):
            assert r.reward is not None
            outcomes[r.task_id].append((r.reward, bool(r.success)))
        tried: Counter[str] = Counter()
        succeeded: Counter[str] = Counter()
        for attempts in outcomes.values():
            band = band_of(sum(a for a, _ in attempts) / len(attempts), spec.bands).value
            tried[band] += len(attempts)
            succeeded[band] += sum(s for _, s in attempts)
        row = rows[model]
        pass_at_1 = sum(sum(s for _, s in a) / len(a) for a in outcomes.values()) / len(outcomes)
        assert row["pass@1"] == f"{pass_at_1:.2f}"
        for band in ("saturated", "hillclimbable", "unreachable"):
            cell = row[f"full success: {band}"]
            if tried[band]:
                rate = succeeded[band] / tried[band]
                assert cell == f"{rate:.1%} ({succeeded[band]}/{tried[band]})", (model, band)
            else:
                assert cell == "–"


def test_wherever_bands_or_mean_reward_sit_beside_pass_at_1_the_page_says_why_they_differ(
    embedded: EmbeddedRun,
) -> None:
    soup = embedded.soup()
    side_by_side = []
    for section in soup.find_all("section"):
        for found in section.find_all("table"):
            headers = {th.get_text(strip=True) for th in found.find_all("th")}
            if "pass@1" in headers and headers & {"mean reward", "saturated"}:
                side_by_side.append(section)
                break
    assert [s["id"] for s in side_by_side] == ["bands", "pass-metrics"]
    for section in side_by_side:
        note = section.find("p", class_="bands-vs-pass")
        assert isinstance(note, Tag), f"#{section['id']} shows both without saying why"
        text = " ".join(note.get_text().split())
        assert "partial credit" in text and "full successes" in text
    caption = soup.find("figure", id="fig-bands")
    assert isinstance(caption, Tag) and "only full successes" in caption.get_text()


def band_counts_from_rollouts(store: Store, run: str, bands: BandSpec) -> dict[str, int]:
    rewards: dict[str, list[float]] = defaultdict(list)
    for r in store.rollouts_for(run, status="ok"):
        assert r.reward is not None
        rewards[r.task_id].append(r.reward)
    found = Counter(band_of(sum(v) / len(v), bands).value for v in rewards.values())
    return {b: found[b] for b in ("saturated", "hillclimbable", "unreachable")}


def test_the_band_history_has_the_base_profile_and_every_model_on_every_slice_version(
    embedded: EmbeddedRun,
) -> None:
    store, spec = embedded.store, embedded.ctx.spec
    rows = table(embedded.soup(), "band-history-table")
    got = {(r["tasks"], r["model"]): r for r in rows}
    (base,) = store.runs(FRONTIER, kind="profile")
    expected = {("base", spec.solver.name): band_counts_from_rollouts(store, base.name, spec.bands)}
    versions = store.slice_versions(FRONTIER)
    for version in versions:
        for model, run in verification_runs(store, version).items():
            expected[(f"v{version}", model)] = band_counts_from_rollouts(store, run, spec.bands)
    solver_on_slices = {(f"v{v}", spec.solver.name) for v in versions}
    assert set(got) == set(expected) | solver_on_slices
    for key, counts in expected.items():
        for band, n in counts.items():
            assert got[key][band] == str(n), (key, band)
    view = solver_view(embedded.ctx)  # the solver's latest means over each version's tasks
    for version in versions:
        summary = view.summary_over(store.get_slice(FRONTIER, version).task_ids)
        for band in ("saturated", "hillclimbable", "unreachable"):
            got_n = got[(f"v{version}", spec.solver.name)][band]
            assert got_n == str(getattr(summary, band)), (version, band)
    assert rows[0]["tasks"] == "base"


def test_pass_metrics_per_model_match_the_successes_in_the_store(embedded: EmbeddedRun) -> None:
    store = embedded.store
    rows = {r["model"]: r for r in table(embedded.soup(), "pass-metrics-table")}
    runs = verification_runs(store, latest_version(store))
    assert runs
    for model, run in runs.items():
        outcomes: dict[str, list[bool]] = defaultdict(list)
        for r in store.rollouts_for(run, status="ok"):
            outcomes[r.task_id].append(bool(r.success))
        tasks = len(outcomes)
        pass_at_1 = sum(sum(o) / len(o) for o in outcomes.values()) / tasks
        best_of_k = sum(any(o) for o in outcomes.values()) / tasks
        pass_hat_k = sum(all(o) for o in outcomes.values()) / tasks  # n == k here
        row = rows[model]
        assert row["tasks"] == str(tasks)
        assert row["k"] == str(embedded.ctx.spec.verification.k)
        assert row["pass@1"].startswith(f"{pass_at_1:.2f} [")
        assert row["best-of-k"].startswith(f"{best_of_k:.2f} [")
        assert row["pass^k"].startswith(f"{pass_hat_k:.2f} [")
        low, high = (float(x) for x in row["pass@1"].split("[")[1].rstrip("]").split(","))
        assert low <= round(pass_at_1, 2) <= high


def test_the_history_of_rounds_matches_the_candidates_in_the_store(
    embedded: EmbeddedRun,
) -> None:
    store = embedded.store
    soup = embedded.soup()
    rows = table(soup, "rounds-table")
    rounds = store.rounds(FRONTIER)
    assert [int(r["round"]) for r in rows] == [r.number for r in rounds] == [1, 2]
    for row, stored in zip(rows, rounds, strict=True):
        candidates = store.candidates(FRONTIER, round=stored.number)
        decisions = Counter(c.decision for c in candidates)
        reasons = Counter(c.reason.value for c in candidates if c.reason is not None)
        spent = sum(c.rollouts_spent for c in candidates)
        assert row["trigger"] == stored.trigger
        assert row["generated"] == str(len(candidates))
        assert row["admitted"] == str(decisions["admitted"])
        assert row["rejected"] == str(decisions["rejected"])
        by_reason = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))
        assert row["rejected by reason"] == (by_reason or "–")
        assert row["yield"] == f"{decisions['admitted'] / len(candidates):.1%}"
        assert row["rollouts spent"] == str(spent)
        per = f"{spent / decisions['admitted']:.1f}" if decisions["admitted"] else "–"
        assert row["rollouts per admitted"] == per
    slices = table(soup, "slices-table")
    stored_slices = [store.get_slice(FRONTIER, v) for v in store.slice_versions(FRONTIER)]
    assert [(s["slice version"], s["tasks"]) for s in slices] == [
        (f"v{s.version}", str(len(s.task_ids))) for s in stored_slices if s is not None
    ]


def test_each_slice_version_shows_how_many_of_its_tasks_are_of_each_family(
    embedded: EmbeddedRun,
) -> None:
    store = embedded.store
    expected: dict[str, Counter[str]] = {}
    for version in store.slice_versions(FRONTIER):
        stored = store.get_slice(FRONTIER, version)
        assert stored is not None
        tasks = store.get_tasks(FRONTIER, ids=list(stored.task_ids))
        expected[f"v{version}"] = Counter(t.family for t in tasks)
    families = sorted({f for counts in expected.values() for f in counts})
    assert len(families) > 1, "the embedded slices should mix families"
    rows = table(embedded.soup(), "slices-table")
    assert [r["slice version"] for r in rows] == list(expected)
    for row in rows:
        assert [c for c in row if c.startswith("family: ")] == [f"family: {f}" for f in families]
        counts = expected[row["slice version"]]
        for family in families:
            assert row[f"family: {family}"] == str(counts[family]), (row["slice version"], family)
        assert sum(int(row[f"family: {f}"]) for f in families) == int(row["tasks"])


def test_lineage_counts_every_admitted_task_by_family_motif_and_depth(
    embedded: EmbeddedRun,
) -> None:
    store = embedded.store
    admitted = [c.task_id for c in store.candidates(FRONTIER, decision="admitted")]
    tasks = store.get_tasks(FRONTIER, ids=admitted)
    assert len(tasks) == len(admitted) > 0
    pairs = Counter((t.family, t.lineage.motif) for t in tasks)
    soup = embedded.soup()
    grid = {r["family \\ motif"]: r for r in table(soup, "lineage-table")}
    for (family, motif), n in pairs.items():
        assert grid[family][str(motif)] == str(n), (family, motif)
    assert grid["total"]["total"] == str(len(admitted))
    depths = {r["depth"]: r["admitted tasks"] for r in table(soup, "depth-table")}
    assert depths == {str(d): str(n) for d, n in Counter(t.lineage.depth for t in tasks).items()}


def overlap_hard_means(embedded: EmbeddedRun) -> tuple[dict[str, dict[str, float]], set[str]]:
    """Each verifier's mean per task of the latest slice, and the overlap-hard tasks among them."""
    store = embedded.store
    below = embedded.ctx.spec.verification.overlap_hard_below
    runs = verification_runs(store, latest_version(store))
    means = {
        model: {
            t: m.mean_reward for t, m in store.task_means(run).items() if m.mean_reward is not None
        }
        for model, run in runs.items()
    }
    common = set.intersection(*(set(m) for m in means.values()))
    return means, {t for t in common if all(m[t] < below for m in means.values())}


def test_every_canary_is_in_one_group_of_its_root_task_and_motif_shown_by_the_hardest(
    embedded: EmbeddedRun,
) -> None:
    store = embedded.store
    means, expected = overlap_hard_means(embedded)
    assert expected, "the embedded run should have overlap-hard canaries to show"
    rows = table(embedded.soup(), "canaries-table")
    groups = {
        r["task"]: [r["task"], *r["same root and motif"].replace("–", "").split()] for r in rows
    }
    listed = [t for members in groups.values() for t in members]
    assert sorted(listed) == sorted(expected)
    patterns = set()
    for row in rows:
        members = groups[row["task"]]
        tasks = [store.get_task(FRONTIER, t) for t in members]
        keys = {(t.root_id, t.lineage.motif) for t in tasks if t is not None}
        assert len(keys) == 1, f"group {row['task']} mixes patterns {keys}"
        patterns |= keys
        assert row["canaries"] == str(len(members))
        assert row["root task"] == tasks[0].root_id if tasks[0] else False
        hardest = min(members, key=lambda t: (max(m[t] for m in means.values()), t))
        assert row["task"] == hardest
    assert len(patterns) == len(rows), "one row per pattern"


def test_a_group_of_variants_is_one_row_counting_them_and_naming_the_others(
    embedded: EmbeddedRun,
) -> None:
    data = embedded.report.data
    first = data.canaries[0]
    grouped = replace(first, others=("variant-a", "variant-b", "variant-c"))
    page = render_html(replace(data, canaries=[grouped]), embedded.report.figures)
    (row,) = table(BeautifulSoup(page, "html.parser"), "canaries-table")
    assert row["task"] == first.task_id and row["canaries"] == "4"
    assert row["same root and motif"] == "variant-a variant-b variant-c"
    assert f"({data.canary_count} of {data.canaries_evaluated} evaluated, in 1 group)" in " ".join(
        page.split()
    )


def test_each_canary_group_links_its_representatives_worst_trace(embedded: EmbeddedRun) -> None:
    store = embedded.store
    runs = verification_runs(store, latest_version(store))
    means, _ = overlap_hard_means(embedded)
    soup = embedded.soup()
    rows = table(soup, "canaries-table")
    body = soup.find("table", id="canaries-table")
    assert isinstance(body, Tag)
    for tr in body.find_all("tr", attrs={"data-task-id": True}):
        task_id = str(tr["data-task-id"])
        task = store.get_task(FRONTIER, task_id)
        assert task is not None
        row = next(r for r in rows if r["task"] == task_id)
        assert row["family"] == task.family and row["motif"] == task.lineage.motif
        for model in runs:
            assert row[f"mean reward: {model}"] == f"{means[model][task_id]:.2f}"
        link = tr.find("a", class_="trace-link")
        assert isinstance(link, Tag)
        anchor = str(link["href"]).removeprefix("#")
        details = soup.find("details", id=anchor)
        assert isinstance(details, Tag), f"link to #{anchor} points at no embedded trace"
        worst = min(
            r.reward or 0.0 for run in runs.values() for r in store.rollouts_for(run, [task_id])
        )
        summary = details.find("summary")
        assert isinstance(summary, Tag)
        assert (
            f"task {task_id}" in summary.get_text() and f"reward {worst:.2f}" in summary.get_text()
        )
        assert "tool_calls" in details.get_text() or "messages" in details.get_text()


def test_saturation_events_show_the_crossing_and_the_round_they_started(
    embedded: EmbeddedRun,
) -> None:
    store = embedded.store
    events = store.events(FRONTIER, reason="SaturationDetected")
    assert events
    rows = table(embedded.soup(), "saturation-table")
    assert len(rows) == len(events)
    for row, event in zip(rows, events, strict=True):
        crossing = event.data["crossings"][0]
        assert (
            f"{crossing['threshold']} of {crossing['model']}: {crossing['value']:.3f}"
            in row["crossed"]
        )
        number = event.data["nextRound"]
        started = store.get_round(FRONTIER, number)
        assert started is not None
        admitted = store.candidate_counts(FRONTIER, round=number).admitted
        assert row["triggered"].startswith(f"round {number} ({started.trigger}")
        assert f"{admitted} of" in row["triggered"]


def test_task_text_renders_as_text_not_markup(embedded: EmbeddedRun) -> None:
    soup = embedded.soup()
    assert HOSTILE in soup.get_text(), "the hostile query should be shown, as text"
    assert len(soup.find_all("script")) == 1
    assert not soup.find_all("img", onerror=True)
    assert "window.__pwned" not in str(soup.find("script"))
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in embedded.html


def test_a_key_planted_in_task_text_and_traces_never_reaches_the_page(
    embedded: EmbeddedRun,
) -> None:
    stored = embedded.store.get_tasks(FRONTIER)
    assert any(PLANTED_KEY in t.query for t in stored), "the key should be in the store's tasks"
    assert PLANTED_KEY not in embedded.html
    assert PLANTED_KEY[:12] not in embedded.html


def test_the_item_bank_shows_every_models_ability_and_the_tasks_it_suspects(
    embedded: EmbeddedRun,
) -> None:
    latest = embedded.store.calibration(FRONTIER)
    assert latest is not None, "solver and two verifiers: the embedded run is calibrated"
    rows = table(embedded.soup(), "bank-table")
    shown = {r["model"]: (float(r["ability θ"]), float(r["SE"])) for r in rows}
    assert shown == {
        a.model: (round(a.theta, 2), round(a.se, 2)) for a in latest.calibration.abilities
    }
    thetas = [float(r["ability θ"]) for r in rows]
    assert thetas == sorted(thetas, reverse=True)  # strongest first
    suspects = sorted(i.task_id for i in latest.calibration.items if i.flag == "suspect_grading")
    listed = (
        [r["task"] for r in table(embedded.soup(), "suspects-table")]
        if embedded.soup().find("table", id="suspects-table")
        else []
    )
    assert listed == suspects
