"""Candidates: recorded once per round, decided with a reason for every rejection, counted."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from frontier.domain.admission import Decision, Reason
from frontier.store import CandidateOutcome, NewCandidate, NotFoundError, Store, StoreError
from frontier.store.models import CandidateRow
from tests.store.builders import FRONTIER, child, seeded, task


def _round_of_children(store: Store, n: int = 3, round: int = 1) -> list[str]:
    frontier = seeded(store)
    parent = task()
    kids = [child(parent, round=round, motif=f"m{i}") for i in range(n)]
    store.add_tasks(frontier, [parent, *kids])
    assert store.record_candidates(frontier, round, kids) == n
    return [k.id for k in kids]


def test_recorded_candidates_are_pending_with_the_tasks_lineage(store: Store) -> None:
    frontier = seeded(store)
    parent = task()
    kid = child(parent, round=1, motif="add_item")
    store.record_candidates(frontier, 1, [kid])
    (record,) = store.candidates(frontier)
    assert (record.round, record.task_id, record.parent_id, record.motif, record.origin) == (
        1,
        kid.id,
        parent.id,
        "add_item",
        "procedural",
    )
    assert record.decision == "pending" and record.reason is None and record.decided_at is None


def test_recording_a_round_again_keeps_existing_rows_and_decisions(store: Store) -> None:
    ids = _round_of_children(store, 2)
    store.decide_candidate(FRONTIER, 1, ids[0], Decision.admit("hillclimbable at 0.4"))
    parent = task()
    extra = child(parent)
    again = [c for c in store.get_tasks(FRONTIER, ids=ids)]
    assert store.record_candidates(FRONTIER, 1, [*again, extra, extra]) == 1
    records = {c.task_id: c for c in store.candidates(FRONTIER, round=1)}
    assert len(records) == 3
    assert records[ids[0]].decision == "admitted"


def test_the_same_task_may_be_a_candidate_in_two_rounds(store: Store) -> None:
    frontier = seeded(store)
    kid = child(task())
    store.record_candidates(frontier, 1, [kid])
    store.record_candidates(frontier, 2, [kid])
    assert [c.round for c in store.candidates(frontier)] == [1, 2]


def test_decisions_are_stored_with_reason_detail_mean_and_spend(store: Store) -> None:
    ids = _round_of_children(store, 3)
    store.decide_candidates(
        FRONTIER,
        1,
        [
            CandidateOutcome(ids[0], Decision.admit("in band"), mean_reward=0.4, rollouts_spent=4),
            CandidateOutcome(
                ids[1], Decision.reject(Reason.SATURATED, "mean 0.95"), 0.95, rollouts_spent=2
            ),
            CandidateOutcome(ids[2], Decision.reject(Reason.UNGROUNDED, "no evidence")),
        ],
    )
    records = {c.task_id: c for c in store.candidates(FRONTIER)}
    assert (records[ids[0]].decision, records[ids[0]].reason, records[ids[0]].mean_reward) == (
        "admitted",
        None,
        0.4,
    )
    assert (records[ids[1]].decision, records[ids[1]].reason, records[ids[1]].detail) == (
        "rejected",
        Reason.SATURATED,
        "mean 0.95",
    )
    assert records[ids[2]].reason is Reason.UNGROUNDED
    assert all(r.decided_at is not None for r in records.values())
    assert [c.task_id for c in store.candidates(FRONTIER, decision="rejected")] == ids[1:]


def test_redeciding_a_candidate_overwrites_its_decision(store: Store) -> None:
    (cid,) = _round_of_children(store, 1)
    store.decide_candidate(FRONTIER, 1, cid, Decision.reject(Reason.UNREACHABLE, "0.0"))
    store.decide_candidate(FRONTIER, 1, cid, Decision.admit(), mean_reward=0.3, rollouts_spent=8)
    (record,) = store.candidates(FRONTIER)
    assert (record.decision, record.reason, record.rollouts_spent) == ("admitted", None, 8)


def test_deciding_an_unrecorded_candidate_names_it_and_changes_nothing(store: Store) -> None:
    ids = _round_of_children(store, 1)
    with pytest.raises(NotFoundError, match="ghost"):
        store.decide_candidates(
            FRONTIER,
            1,
            [
                CandidateOutcome(ids[0], Decision.admit()),
                CandidateOutcome("ghost", Decision.admit()),
            ],
        )
    assert store.candidates(FRONTIER)[0].decision == "pending"


def test_a_rejection_without_a_reason_is_refused(store: Store) -> None:
    (cid,) = _round_of_children(store, 1)
    with pytest.raises(StoreError, match="needs a reason"):
        store.decide_candidate(FRONTIER, 1, cid, Decision(admitted=False))


def test_the_schema_itself_refuses_a_rejection_without_a_reason(store: Store) -> None:
    _round_of_children(store, 1)
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(update(CandidateRow).values(decision="rejected", reason=None))


def test_new_candidates_may_carry_their_screening_decision(store: Store) -> None:
    frontier = seeded(store)
    parent = task()
    recorded = store.record_candidates(
        frontier,
        1,
        [
            NewCandidate(
                "malformed-1",
                parent.id,
                "add_item",
                "llm",
                Decision.reject(Reason.MALFORMED, "no products"),
            ),
            NewCandidate(
                "dup",
                parent.id,
                "add_item",
                decision=Decision.reject(Reason.DUPLICATE, f"same as {parent.id}"),
            ),
            NewCandidate("fresh", parent.id, "tighten_price"),
        ],
    )
    assert recorded == 3
    records = {c.task_id: c for c in store.candidates(frontier)}
    assert (records["malformed-1"].origin, records["malformed-1"].reason) == (
        "llm",
        Reason.MALFORMED,
    )
    assert records["malformed-1"].decided_at is not None
    assert records["dup"].reason is Reason.DUPLICATE
    assert records["fresh"].decision == "pending" and records["fresh"].decided_at is None


def test_candidate_counts_give_yield_reasons_and_spend_per_round(store: Store) -> None:
    ids = _round_of_children(store, 4, round=1)
    store.decide_candidates(
        FRONTIER,
        1,
        [
            CandidateOutcome(ids[0], Decision.admit(), rollouts_spent=4),
            CandidateOutcome(ids[1], Decision.reject(Reason.SATURATED), rollouts_spent=4),
            CandidateOutcome(ids[2], Decision.reject(Reason.SATURATED), rollouts_spent=3),
        ],
    )
    other = child(task(), round=2)
    store.record_candidates(FRONTIER, 2, [other])
    store.decide_candidate(FRONTIER, 2, other.id, Decision.reject(Reason.NEAR_DUPLICATE))

    round_1 = store.candidate_counts(FRONTIER, round=1)
    assert (round_1.generated, round_1.admitted, round_1.rejected, round_1.pending) == (4, 1, 2, 1)
    assert round_1.by_reason == {"saturated": 2}
    assert round_1.rollouts_spent == 11
    assert round_1.admission_yield == 0.25
    total = store.candidate_counts(FRONTIER)
    assert total.by_reason == {"near_duplicate": 1, "saturated": 2}
    assert total.as_dict()["generated"] == 5
    assert store.candidate_counts(FRONTIER, round=9).admission_yield == 0.0
