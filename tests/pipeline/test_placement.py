"""A new model is placed on the item bank by an adaptive test: few tasks, k rollouts each, θ ±
SE and a forecast on every slice version, stored with the run; a resume asks nothing twice;
no calibration, or no graded answer, is a clear failure and never a placement."""

from __future__ import annotations

import pytest

from frontier.domain.irt import information
from frontier.domain.specs import ModelRef, PlacementSpec
from frontier.domain.tasks import Rollout
from frontier.pipeline.calibrate import calibrate
from frontier.pipeline.context import Context, load_base_tasks, open_context
from frontier.pipeline.irt import Selector, estimate_theta
from frontier.pipeline.placement import (
    MODEL_PLACED,
    finish_placement,
    place,
    placement_of,
    plan_for,
    register_placement,
)
from frontier.pipeline.placing import placing_for
from frontier.pipeline.profile import RunFailedError, run_shard
from frontier.pipeline.rollouts import TaskState, states_from
from frontier.pipeline.status import frontier_summary
from frontier.report.html import render_html
from frontier.report.output import build_report
from frontier.store import NotFoundError, Store
from tests.support.frontiers import scripted_model, small_spec
from tests.support.item_bank import calibrated_frontier
from tests.support.openai_server import ScriptedOpenAIServer, Status, text

HEURISTIC = ModelRef(name="newcomer", provider="heuristic", skill=0.6)


def bank(store: Store) -> Context:
    """A calibrated frontier (12 models of known ability) whose slice v1 is every base task."""
    load_base_tasks(open_context(store, "shop", small_spec()))
    base = store.task_ids("default/shop", origin="base")
    ctx = calibrated_frontier(store, tasks=len(base))
    assert calibrate(ctx, trigger="profile") is not None
    store.publish_slice(ctx.frontier, 1, base)
    return ctx


async def test_a_placement_asks_at_most_max_items_tasks_k_rollouts_each_and_stores_theta(
    store: Store,
) -> None:
    ctx = bank(store)
    spec = PlacementSpec(targetSe=0.01, maxItems=5)
    result = await place(ctx, HEURISTIC, 1, spec, k=3, seed=11)

    assert len(result.items) == 5 and len(set(result.items)) == 5
    assert result.trials == 15 and 0 <= result.successes <= 15
    assert result.calibration == 1 and result.se > 0
    run = store.require_run(ctx.run_key("shop-place-s1-c1-newcomer"))
    assert run.kind == "placement" and run.phase == "Succeeded"
    assert placement_of(run) == result
    rolled = store.rollouts_for(run.name)
    assert sorted({r.task_id for r in rolled}) == sorted(result.items)
    assert len(rolled) == 15
    [forecast] = result.slices
    assert forecast.version == 1 and 0.0 < forecast.expected_pass < 1.0
    events = [e for e in store.events(ctx.frontier) if e.reason == MODEL_PLACED]
    assert len(events) == 1 and "newcomer: θ" in events[0].message


async def test_the_first_task_asked_is_the_most_informative_at_the_prior_mean(
    store: Store,
) -> None:
    ctx = bank(store)
    spec = PlacementSpec(targetSe=0.01, maxItems=1)
    plan = plan_for(ctx, spec)
    result = await place(ctx, HEURISTIC, 1, spec, k=2, seed=0)
    items = store.calibration(ctx.frontier).calibration.items  # type: ignore[union-attr]
    usable = [i for i in items if i.flag is None and i.a > 0]
    best = max(usable, key=lambda i: information(plan.prior_mean, i.a, i.b))
    assert result.items == (best.task_id,)
    # a longer test lists its tasks in the order it asked them: the same one first
    other = HEURISTIC.model_copy(update={"name": "other"})
    longer = await place(ctx, other, 1, PlacementSpec(targetSe=0.01, maxItems=5), k=2, seed=0)
    assert longer.items[0] == best.task_id and len(longer.items) == 5
    run = store.require_run(ctx.run_key("shop-place-s1-c1-other"))
    answers = {
        t: (sum(1 for r in rs if r.success), len(rs))
        for t in longer.items
        if (rs := [r for r in store.rollouts_for(run.name) if r.task_id == t and r.ok])
    }
    selector, by_id = Selector(usable), {i.task_id: i for i in usable}
    for n in range(1, 5):  # each next task: the most informative of the whole slice at θ then
        theta, _ = estimate_theta(
            [(by_id[t], *answers[t]) for t in longer.items[:n]],
            prior_mean=plan.prior_mean,
            prior_sd=plan.prior_sd,
        )
        assert selector.next(longer.items[:n], theta) == by_id[longer.items[n]]


async def test_placing_again_replays_the_stored_answers_and_rolls_out_nothing_new(
    store: Store,
) -> None:
    ctx = bank(store)
    spec = PlacementSpec(targetSe=0.01, maxItems=4)
    first = await place(ctx, HEURISTIC, 1, spec, k=2, seed=3)
    run = store.require_run(ctx.run_key("shop-place-s1-c1-newcomer"))
    before = len(store.rollouts_for(run.name))
    again = await place(ctx, HEURISTIC, 1, spec, k=2, seed=3)
    assert len(store.rollouts_for(run.name)) == before
    assert (again.theta, again.se, again.items) == (first.theta, first.se, first.items)


async def test_an_interrupted_test_finishes_its_half_asked_task_before_choosing_the_next(
    store: Store,
) -> None:
    ctx = bank(store)
    plan = plan_for(ctx, PlacementSpec(targetSe=0.01, maxItems=3))
    run = register_placement(ctx, 1, HEURISTIC, plan, k=3, seed=5)
    placing = placing_for(ctx, run)
    tasks = store.get_slice(ctx.frontier, 1).task_ids  # type: ignore[union-attr]

    def states() -> dict[str, TaskState]:
        return {t: TaskState() for t in tasks} | states_from(store.rollouts_for(run.name))

    [(task, attempts)] = placing.plan(states(), error_retries=2).items()
    assert attempts == [0, 1, 2]
    store.ingest_rollouts(run.name, [Rollout(task_id=task, attempt=0, reward=1.0, success=True)])
    assert placing.plan(states(), error_retries=2) == {task: [1, 2]}


async def test_a_model_that_solves_nothing_lands_below_every_calibrated_model(
    store: Store,
) -> None:
    ctx = bank(store)
    with ScriptedOpenAIServer(handler=lambda _: text("I cannot help with that")) as server:
        model = ModelRef.model_validate(scripted_model(server.url, "hopeless", maxRetries=0))
        result = await place(ctx, model, 1, PlacementSpec(targetSe=0.01, maxItems=6), k=2, seed=0)
    assert result.successes == 0 and result.trials == 12
    weakest = min(a.theta for a in store.calibration(ctx.frontier).calibration.abilities)  # type: ignore[union-attr]
    assert result.theta < weakest + result.se


async def test_a_placement_whose_rollouts_all_errored_fails_loudly_and_places_nothing(
    store: Store,
) -> None:
    ctx = bank(store)
    with ScriptedOpenAIServer(handler=lambda _: Status(500)) as server:
        model = ModelRef.model_validate(scripted_model(server.url, "broken", maxRetries=0))
        with pytest.raises(RunFailedError, match="harness error"):
            await place(ctx, model, 1, PlacementSpec(maxItems=3), k=2, seed=0)
    run = store.require_run(ctx.run_key("shop-place-s1-c1-broken"))
    assert run.phase != "Succeeded" and placement_of(run) is None
    with pytest.raises(RunFailedError, match="none of its rollouts was graded"):
        finish_placement(ctx, run)


def test_placement_without_a_calibration_says_what_is_missing(ctx: Context) -> None:
    with pytest.raises(NotFoundError, match="no calibration yet: placement needs"):
        plan_for(ctx, PlacementSpec())


async def test_a_shard_of_a_placement_run_rolls_out_only_what_the_test_asks(store: Store) -> None:
    ctx = bank(store)
    plan = plan_for(ctx, PlacementSpec(targetSe=0.01, maxItems=2))
    run = register_placement(ctx, 1, HEURISTIC, plan, k=2, seed=1)
    result = await run_shard(ctx, run.name)
    assert result.report.rollouts == 4 and result.report.waves == 2


async def test_status_and_the_report_list_every_finished_placement(store: Store) -> None:
    ctx = bank(store)
    placed = await place(ctx, HEURISTIC, 1, PlacementSpec(targetSe=0.01, maxItems=3), k=2, seed=1)
    assert frontier_summary(ctx)["placements"] == [placed.to_wire()]
    report = build_report(ctx)
    assert report.data.bank is not None and report.data.bank.placements == [placed]
    page = render_html(report.data, report.figures)
    assert 'id="placements-table"' in page and 'data-model="newcomer"' in page
