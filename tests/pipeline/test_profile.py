from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from frontier.agents import EndpointPool
from frontier.domain import naming
from frontier.domain.bands import partition, summarize
from frontier.domain.sampling import Prior, decided_band, fit_prior_sums
from frontier.domain.specs import FrontierSpec, TaskSetRef
from frontier.domain.tasks import Lineage, Task
from frontier.pipeline.admit import register_candidates_run
from frontier.pipeline.context import Context, load_base_tasks, open_context
from frontier.pipeline.profile import (
    allocation_for,
    finish_run,
    register_panel,
    register_run,
    run_progress,
    run_shard,
    tasks_of,
)
from frontier.pipeline.rollouts import Curtailed, CurtailedCandidates, FixedK
from frontier.pipeline.view import solver_view
from frontier.store import Store
from tests.support.faults import ShoppingSolver
from tests.support.frontiers import scripted_model, small_document, small_spec
from tests.support.openai_server import RecordedRequest, ScriptedOpenAIServer, ScriptItem, Status


def register_base(ctx: Context, shards: int = 1) -> str:
    name = naming.base_profile_run(ctx.name, naming.profile_fingerprint(ctx.spec))
    register_run(
        ctx,
        name,
        kind="profile",
        model=ctx.spec.solver,
        task_set=TaskSetRef(kind="base"),
        k=ctx.spec.profile.k,
        shards=shards,
    )
    return name


async def test_a_profile_shard_stores_k_rollouts_per_base_task(ctx: Context) -> None:
    name = register_base(ctx)
    result = await run_shard(ctx, name)
    tasks = tasks_of(ctx, TaskSetRef(kind="base"))
    assert len(tasks) == 16  # 4 per family
    assert result.report.rollouts == 16 * 4
    assert ctx.store.count_rollouts(ctx.run_key(name)) == 64


async def test_run_progress_counts_rollouts_done_of_k_per_base_task(ctx: Context) -> None:
    name = register_base(ctx, shards=2)
    run = ctx.store.require_run(ctx.run_key(name))
    await run_shard(ctx, name, 0)  # the first shard stores the base tasks, then its half

    done, planned, errors = run_progress(ctx, run)

    assert planned == len(tasks_of(ctx, TaskSetRef(kind="base"))) * run.k == 16 * 4
    assert (done, errors) == (ctx.store.count_rollouts(run.name), 0)
    assert 0 < done < planned


async def test_running_a_finished_shard_again_plays_and_stores_nothing_new(ctx: Context) -> None:
    name = register_base(ctx)
    await run_shard(ctx, name)
    before = ctx.store.rollouts_for(ctx.run_key(name))
    again = await run_shard(ctx, name)
    assert again.report.rollouts == 0
    assert ctx.store.rollouts_for(ctx.run_key(name)) == before


async def test_three_shards_cover_the_task_set_once_with_the_same_rollouts_as_one(
    ctx: Context,
) -> None:
    one = register_base(ctx)
    await run_shard(ctx, one)
    sharded = ctx.store.create_run(
        ctx.run_key("sharded"),
        frontier=ctx.frontier,
        kind="profile",
        model=ctx.spec.solver,
        task_set=TaskSetRef(kind="base"),
        k=4,
        shards=3,
    )
    for shard in (2, 0, 1):
        await run_shard(ctx, sharded.name, shard)
    single = ctx.store.rollouts_for(ctx.run_key(one))
    split = ctx.store.rollouts_for(sharded.name)
    assert [(r.task_id, r.attempt, r.reward) for r in split] == [
        (r.task_id, r.attempt, r.reward) for r in single
    ]
    assert ctx.store.done_shards(ctx.frontier, "rollouts", sharded.name) == {0, 1, 2}


async def test_finish_run_partitions_exactly_like_the_domain_bands(ctx: Context) -> None:
    name = register_base(ctx)
    await run_shard(ctx, name)
    summary = finish_run(ctx, name)
    means = {
        t: m.mean_reward
        for t, m in ctx.store.task_means(ctx.run_key(name)).items()
        if m.mean_reward is not None
    }
    assert summary == summarize(partition(means, ctx.spec.bands).values())
    run = ctx.store.require_run(ctx.run_key(name))
    assert run.phase == "Succeeded"
    assert run.stats["bands"] == summary.as_dict()


async def test_an_adaptive_profile_spends_no_more_than_fixed_k_and_bands_every_task(
    store: Store,
) -> None:
    adaptive = {"enabled": True, "minRollouts": 2, "maxRollouts": 12}
    ctx = open_context(store, "shop", small_spec(profile={"adaptive": adaptive}))
    name = register_base(ctx)
    await run_shard(ctx, name)
    summary = finish_run(ctx, name)
    means = ctx.store.task_means(ctx.run_key(name))
    assert summary.total == len(means) == 16
    assert ctx.store.count_rollouts(ctx.run_key(name)) <= 4 * 16
    assert all(2 <= m.n_ok <= 12 for m in means.values())


def scripted_spec(url: str) -> FrontierSpec:
    """Eight base tasks, k=2, solved by a model behind the scripted server at `url`."""
    doc = small_document(per_family=2)
    doc["spec"]["profile"]["k"] = 2
    doc["spec"]["solver"] = scripted_model(url, concurrency=8)
    return FrontierSpec.model_validate(doc["spec"])


def rate_limited_at_first(burst: int) -> Callable[[RecordedRequest], ScriptItem]:
    """The first `burst` requests answer 429 with Retry-After: 1; the rest play ShoppingBench."""
    solver = ShoppingSolver()

    def handler(request: RecordedRequest) -> ScriptItem:
        if request.index < burst:
            return Status(429, {"retry-after": "1"}, message="rate limit reached")
        return solver(request)

    return handler


def at(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["at"])


async def test_a_burst_of_429s_is_stored_as_a_shrink_at_the_time_it_happened(
    store: Store,
) -> None:
    with ScriptedOpenAIServer(handler=rate_limited_at_first(8)) as server:
        ctx = open_context(store, "shop", scripted_spec(server.url))
        name = register_base(ctx)
        started = datetime.now(UTC)
        result = await run_shard(ctx, name)
        ended = datetime.now(UTC)
    assert result.report.errors == 0
    history = store.require_run(ctx.run_key(name)).concurrency_history
    times = [at(h) for h in history]
    assert times == sorted(times)
    assert started <= times[0] and times[-1] <= ended
    assert (history[0]["concurrency"], history[0]["reason"], history[0]["shard"]) == (8, "start", 0)
    shrinks = [
        h for h in history if h["concurrency"] < 8 and h["reason"].startswith("rate_limited")
    ]
    assert shrinks and shrinks[0]["reason"] == "rate_limited retry_after=1s"
    # every later request waited out the Retry-After, so the shrink is a second before the end
    assert ended - at(shrinks[0]) >= timedelta(seconds=0.9)
    grew = [h for h in history if h["reason"] == "recovered"]
    assert grew and at(grew[0]) > at(shrinks[0])


async def test_shards_on_a_shared_pool_store_only_their_own_limit_changes(store: Store) -> None:
    with ScriptedOpenAIServer(handler=ShoppingSolver()) as server:
        ctx = open_context(store, "shop", scripted_spec(server.url))
        name = register_base(ctx, shards=2)
        async with EndpointPool() as pool:
            for shard in (0, 1):
                await run_shard(ctx, name, shard, pool=pool)
    history = store.require_run(ctx.run_key(name)).concurrency_history
    assert [(h["shard"], h["concurrency"], h["reason"]) for h in history] == [
        (0, 8, "start"),
        (1, 8, "start"),
    ]


def test_the_panel_on_a_slice_version_rolls_out_only_the_tasks_that_version_adds(
    store: Store,
) -> None:
    panel = [{"name": "ladder-low", "provider": "heuristic", "skill": 0.1}]
    ctx = open_context(store, "shop", small_spec(calibration={"panel": panel}))
    load_base_tasks(ctx)
    base = store.task_ids(ctx.frontier, origin="base")
    made = [
        Task.create(
            "shoppingbench",
            "product",
            f"new task {i}",
            {"query": f"q{i}"},
            Lineage(origin="procedural", parent_id=base[0], root_id=base[0], round=1, depth=1),
        )
        for i in range(3)
    ]
    store.add_tasks(ctx.frontier, made)
    store.publish_slice(ctx.frontier, 1, [*base[:4], made[0].id])
    store.publish_slice(ctx.frontier, 2, [*base[:2], made[0].id, made[1].id, made[2].id])
    [first] = register_panel(ctx, slice_version=1)
    [second] = register_panel(ctx, slice_version=2)
    assert first.name != second.name and first.model_name == "ladder-low"
    assert [t.id for t in tasks_of(ctx, TaskSetRef.model_validate(first.task_set))] == [made[0].id]
    assert sorted(
        t.id for t in tasks_of(ctx, TaskSetRef.model_validate(second.task_set))
    ) == sorted([made[1].id, made[2].id])
    assert register_panel(ctx, slice_version=2) == [second]  # registered once


async def test_a_posterior_rule_profile_stores_its_prior_and_bands_by_it(store: Store) -> None:
    adaptive = {"enabled": True, "decide": "posterior"}
    ctx = open_context(store, "shop", small_spec(profile={"adaptive": adaptive}))
    name = register_base(ctx, shards=2)
    await run_shard(ctx, name, 0)
    await run_shard(ctx, name, 1)
    key = ctx.run_key(name)
    assert ctx.store.require_run(key).prior is None
    summary = finish_run(ctx, name)
    run = ctx.store.require_run(key)
    assert run.prior is not None
    prior = Prior.from_wire(run.prior)
    sums = ctx.store.task_sums(key)
    # The prior is the one fitted to the whole run (both shards), and every band is the
    # domain's decision under it.
    assert prior == fit_prior_sums(list(sums.values()))
    expected = {t: decided_band(n, s, ctx.spec.bands, prior) for t, (n, s) in sums.items()}
    assert ctx.store.task_bands(key, ctx.spec.bands) == dict(sorted(expected.items()))
    assert summary == summarize(expected.values()) == ctx.store.band_counts(key, ctx.spec.bands)
    assert run.stats["bands"] == summary.as_dict()
    assert solver_view(ctx).bands == {t: b for t, b in expected.items()}


async def test_a_mean_rule_profile_stores_no_prior(ctx: Context) -> None:
    name = register_base(ctx)
    await run_shard(ctx, name)
    finish_run(ctx, name)
    assert ctx.store.require_run(ctx.run_key(name)).prior is None


def candidates_allocation(store: Store, admission: dict[str, Any]) -> object:
    ctx = open_context(store, "shop", small_spec(admission=admission))
    return allocation_for(ctx, register_candidates_run(ctx, 1))


def test_candidates_are_rolled_out_at_fixed_k_without_early_stop(store: Store) -> None:
    assert candidates_allocation(store, {"k": 4, "earlyStop": False}) == FixedK(4)


def test_candidates_stop_only_once_certain_without_a_stop_confidence(store: Store) -> None:
    allocation = candidates_allocation(store, {"k": 4, "stopConfidence": None})
    assert isinstance(allocation, Curtailed) and allocation.confidence is None


def test_candidates_stop_once_predicted_with_a_stop_confidence(store: Store) -> None:
    allocation = candidates_allocation(store, {"k": 4, "stopConfidence": 0.9})
    assert isinstance(allocation, CurtailedCandidates) and allocation.confidence == 0.9
