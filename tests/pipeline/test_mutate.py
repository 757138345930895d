"""Mutate: an LLM teacher's endpoint limit changes are stored with the round it served."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from frontier.pipeline.context import Context, open_context
from frontier.pipeline.cycle import plan_round, start_round
from frontier.pipeline.mutate import mutate_shard
from frontier.store import Store
from tests.pipeline.test_rounds import profiled
from tests.support.frontiers import scripted_model, small_spec
from tests.support.openai_server import ScriptedOpenAIServer, Status, text


async def test_a_rate_limited_teacher_shrinks_its_limit_on_the_rounds_record(
    store: Store,
) -> None:
    with ScriptedOpenAIServer([Status(429, {"retry-after": "1"})]) as server:
        for _ in range(6):
            server.enqueue(text("no JSON here"))
        teacher = {
            "kind": "llm",
            "model": scripted_model(server.url, "teacher", maxRetries=2, concurrency=4),
        }
        ctx = open_context(store, "shop", small_spec(teacher=teacher))
        await profiled(ctx)
        start_round(ctx, plan_round(ctx))
        started = datetime.now(UTC)
        report = await mutate_shard(ctx, 1)
        ended = datetime.now(UTC)
    assert report.parents == 6 and report.rejected == {"malformed": 6}
    found = store.get_round(ctx.frontier, 1)
    assert found is not None
    history = found.concurrency_history
    assert [(h["concurrency"], h["reason"], h["shard"]) for h in history] == [
        (4, "start", 0),
        (2, "rate_limited retry_after=1s", 0),
    ]
    times = [datetime.fromisoformat(h["at"]) for h in history]
    assert started <= times[0] <= times[1] <= ended - timedelta(seconds=0.9)


async def test_an_llm_teachers_tokens_and_cost_are_stored_per_parent_of_the_round(
    store: Store,
) -> None:
    with ScriptedOpenAIServer([]) as server:
        for _ in range(6):
            server.enqueue(text("no JSON here", prompt_tokens=1000, completion_tokens=200))
        pricing = {"inputPerMillion": 3.0, "outputPerMillion": 15.0}
        teacher = {"kind": "llm", "model": scripted_model(server.url, "teacher", pricing=pricing)}
        ctx = open_context(store, "shop", small_spec(teacher=teacher))
        await profiled(ctx)
        start_round(ctx, plan_round(ctx))
        await mutate_shard(ctx, 1)
    usage = store.teacher_usage(ctx.frontier, round=1)
    assert len(usage) == 6 and len({u.parent_id for u in usage}) == 6
    assert {(u.spend.model, u.spend.input_tokens, u.spend.output_tokens) for u in usage} == {
        ("teacher", 1000, 200)
    }
    assert all(abs(u.spend.cost_usd - (1000 * 3.0 + 200 * 15.0) / 1e6) < 1e-12 for u in usage)
    shards = store.shards(ctx.frontier, "mutate", f"{ctx.frontier}#round-1")
    assert all(s.detail["usage"]["inputTokens"] == 1000 for s in shards)


async def test_a_procedural_teacher_is_stored_as_spending_nothing(ctx: Context) -> None:
    await profiled(ctx)
    start_round(ctx, plan_round(ctx))
    report = await mutate_shard(ctx, 1)
    usage = ctx.store.teacher_usage(ctx.frontier, round=1)
    assert len(usage) == report.parents > 0
    assert {(u.spend.model, u.spend.input_tokens, u.spend.cost_usd) for u in usage} == {
        ("procedural", 0, 0.0)
    }
