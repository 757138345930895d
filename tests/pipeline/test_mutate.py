"""Mutate: an LLM teacher's endpoint limit changes are stored with the round it served."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from frontier.pipeline.context import open_context
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
