"""No secret reaches the database: plant keys everywhere a user or endpoint controls text,
then dump every row of every table and look for them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from frontier.domain.admission import Decision, Reason
from frontier.domain.specs import ModelRef, ModelServer, TaskSetRef
from frontier.store import CandidateOutcome, ConcurrencyChange, Store
from frontier.store.models import Base, utcnow
from tests.store.builders import FRONTIER, child, error, ok, task

KEY = "sk-test-PLANTED0123456789abcdefXYZ"
HF = "hf_PLANTEDabcdefghijklmnopqrstu"
BEARER = "Bearer PLANTEDtoken.abc-def_ghi"
PASSWORD = "PLANTEDpassw0rd"


def _dump(store: Store) -> str:
    """Every column of every row of every table, as text."""
    parts: list[str] = []
    with store.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                parts.extend(repr(value) for value in row)
    return "\n".join(parts)


def test_planted_keys_are_absent_from_every_table(store: Store) -> None:
    spec: dict[str, Any] = {
        "solver": {"name": "solver", "apiKey": KEY, "baseUrl": f"https://bob:{PASSWORD}@llm/v1"},
        "job": {
            "env": [
                {"name": "OPENAI_API_KEY", "value": KEY},
                {"name": "HF_TOKEN", "value": HF},
                {"name": "SAFE", "value": "kept"},
            ],
            "databaseSecret": {"name": "db", "key": "dsn"},
        },
        "notes": f"the key is {KEY}",
    }
    store.upsert_frontier(FRONTIER, spec)
    solver = ModelRef(
        name="solver",
        provider="openai",
        base_url="http://vllm:8000/v1",
        model="m",
        api_key_env="OPENAI_API_KEY",
        server=ModelServer(image="vllm", args=["--api-key", KEY, f"--hf-token={HF}", "--port"]),
    )
    run = store.create_run(
        "run-1", frontier=FRONTIER, kind="profile", model=solver, task_set=TaskSetRef(), k=2
    )
    parent = task()
    kid = child(parent)
    store.add_tasks(FRONTIER, [parent, kid])
    store.ingest_rollouts(
        run.name,
        [
            ok(
                parent.id,
                0,
                0.5,
                trace={
                    "messages": [{"role": "tool", "content": f"Authorization: {BEARER}"}],
                    "request": {"headers": {"api_key": KEY}, "note": f"api_key={PASSWORD}"},
                    "quoted": f'he said "{KEY}"\\',
                },
            ),
            error(parent.id, 1, f"401 Unauthorized: Incorrect API key provided: {KEY}"),
        ],
    )
    store.set_run_phase(run.name, "Failed", stats={"lastError": f"{BEARER} rejected", "token": KEY})
    store.record_concurrency(run.name, [ConcurrencyChange(utcnow(), 4, f"429 for key {KEY}")])
    store.record_candidates(FRONTIER, 1, [kid])
    store.decide_candidates(
        FRONTIER, 1, [CandidateOutcome(kid.id, Decision.reject(Reason.UNGROUNDED, f"echo {KEY}"))]
    )
    store.start_round(FRONTIER, 1)
    store.record_round_concurrency(FRONTIER, 1, [ConcurrencyChange(utcnow(), 2, f"key {KEY}")])
    store.set_round_phase(FRONTIER, 1, "Failed", stats={"error": f"teacher said {KEY}"})
    store.publish_slice(FRONTIER, 1, [parent.id], stats={"apiKey": KEY})
    store.add_event(FRONTIER, "Failed", f"endpoint rejected {KEY}", data={"hf": HF})
    store.shard_failed(FRONTIER, "rollouts", run.name, 0, error=f"crash with {BEARER}")

    dump = _dump(store)

    assert [line for line in dump.splitlines() if "PLANTED" in line] == []
    assert "<redacted>" in dump
    assert "kept" in dump and "OPENAI_API_KEY" in dump  # references and harmless values stay


def test_a_redacted_trace_is_still_the_same_json_structure(store: Store) -> None:
    store.upsert_frontier(FRONTIER, {})
    run = store.create_run(
        "run-1", frontier=FRONTIER, kind="profile", model=ModelRef(name="m"), task_set={}, k=1
    )
    trace = {"steps": [{"out": f"key {KEY} end", "n": 1}], "api_key": f'x\\"{PASSWORD}'}
    store.ingest_rollouts(run.name, [ok("t", 0, 1.0, trace=trace)])
    (back,) = store.rollouts_for(run.name)
    assert back.trace["steps"] == [{"out": "key <redacted> end", "n": 1}]
    assert "PLANTED" not in repr(back.trace)


QUERY_KEY = "AIzaPLANTEDquery0123456789"
ECHOED = "sk-proj-QPLANTEDechoedKEY0123456789Zq9W"


def test_a_key_in_a_base_url_query_string_or_masked_in_an_echo_is_absent_from_every_table(
    store: Store,
) -> None:
    url = f"https://llm.example/v1?alt=json&key={QUERY_KEY}"
    store.upsert_frontier(
        FRONTIER,
        {
            "solver": {"name": "solver", "baseUrl": url},
            "benchmark": {"options": {"base_url": f"http://search/?API-KEY={QUERY_KEY}"}},
        },
    )
    solver = ModelRef(name="solver", provider="openai", base_url=url, model="m")
    run = store.create_run(
        "run-1", frontier=FRONTIER, kind="profile", model=solver, task_set=TaskSetRef(), k=2
    )
    masked = f"{ECHOED[:8]}{'*' * 20}{ECHOED[-4:]}"
    store.ingest_rollouts(
        run.name,
        [
            ok("t", 0, 0.5, trace={"base_url": url, "note": f"GET {url}"}),
            error("t", 1, f"http_error (HTTP 401): Incorrect API key provided: {masked}. See"),
        ],
    )
    dump = _dump(store)
    assert "PLANTED" not in dump and "Zq9W" not in dump
    assert "alt=json" in dump  # parameters that carry no credential stay
    assert "key=<redacted>" in dump and "API-KEY=<redacted>" in dump
