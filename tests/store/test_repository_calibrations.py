"""Calibrations: numbered, immutable fits of the item bank, and the responses they read."""

from __future__ import annotations

from frontier.domain.irt import Ability, Calibration, ItemParams
from frontier.store import ResponseCell, Store
from tests.store.builders import FRONTIER, error, model, ok, profile_run, seeded, task


def calibration(*items: ItemParams, theta: float = 0.5) -> Calibration:
    return Calibration(
        items=items,
        abilities=(Ability("solver", theta, 0.2, 8), Ability("strong", 1.5, 0.3, 8)),
        anchor="base tasks: mean b 0, sd 1",
        library="girth",
        library_version="0.8.0",
        fit={"loglik": -12.5, "seconds": 0.1},
    )


def test_responses_are_successes_out_of_graded_rollouts_per_model_and_task(store: Store) -> None:
    seeded(store)
    easy, hard = task(), task()
    store.add_tasks(FRONTIER, [easy, hard])
    solver = profile_run(store, "solver-run")
    store.ingest_rollouts(
        solver.name,
        [ok(easy.id, 0, 1.0), ok(easy.id, 1, 0.0), error(easy.id, 2), ok(hard.id, 0, 0.0)],
    )
    strong = profile_run(store, "strong-run", model_ref=model("strong"))
    store.ingest_rollouts(strong.name, [ok(easy.id, 0, 1.0), ok(hard.id, 0, 1.0)])
    again = profile_run(store, "solver-again")  # a second run of the same model adds trials
    store.ingest_rollouts(again.name, [ok(hard.id, 0, 1.0), error(hard.id, 1)])
    assert sorted(store.response_cells(FRONTIER), key=lambda c: (c.model, c.task_id)) == sorted(
        [
            ResponseCell("solver", easy.id, 1, 2),  # the errored attempt is no response
            ResponseCell("solver", hard.id, 1, 2),
            ResponseCell("strong", easy.id, 1, 1),
            ResponseCell("strong", hard.id, 1, 1),
        ],
        key=lambda c: (c.model, c.task_id),
    )


def test_a_task_whose_rollouts_all_errored_is_no_response(store: Store) -> None:
    seeded(store)
    t = task()
    store.add_tasks(FRONTIER, [t])
    run = profile_run(store)
    store.ingest_rollouts(run.name, [error(t.id, 0), error(t.id, 1)])
    assert store.response_cells(FRONTIER) == []


def test_calibrations_are_numbered_and_read_back_whole(store: Store) -> None:
    seeded(store)
    suspect = ItemParams("t-1", -1.2, 0.3, 0.4, 0.2, "suspect_grading", 8)
    fine = ItemParams("t-2", 1.1, -0.4, 0.3, 0.25, None, 8)
    first = store.add_calibration(FRONTIER, calibration(suspect, fine), trigger="shop-profile-1")
    second = store.add_calibration(FRONTIER, calibration(fine, theta=0.7), trigger="verify-v1")
    assert (first.version, second.version) == (1, 2)
    latest = store.calibration(FRONTIER)
    assert latest is not None and latest.version == 2 and latest.trigger == "verify-v1"
    assert latest.calibration == calibration(fine, theta=0.7)
    old = store.calibration(FRONTIER, 1)
    assert old is not None and old.calibration.items == (suspect, fine)  # earlier versions stay
    history = store.calibrations(FRONTIER)
    assert [(h.version, h.calibration.abilities[0].theta) for h in history] == [(1, 0.5), (2, 0.7)]
    assert all(h.calibration.items == () for h in history)  # the history carries no items


def test_a_frontier_without_calibrations_has_none(store: Store) -> None:
    seeded(store)
    assert store.calibration(FRONTIER) is None and store.calibrations(FRONTIER) == []
