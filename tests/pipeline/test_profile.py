from __future__ import annotations

from frontier.domain import naming
from frontier.domain.bands import partition, summarize
from frontier.domain.specs import TaskSetRef
from frontier.pipeline.context import Context, open_context
from frontier.pipeline.profile import finish_run, register_run, run_shard, tasks_of
from frontier.store import Store
from tests.support.frontiers import small_spec


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
