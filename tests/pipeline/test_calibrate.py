"""The item bank is refitted from every stored response: a version per fit, suspect tasks
posted once and kept out of the next slice, and nothing fitted before enough models."""

from __future__ import annotations

from frontier.pipeline.admit import retain
from frontier.pipeline.calibrate import SUSPECT_GRADING, calibrate, calibration_summary, suspects
from frontier.store import Store
from tests.support.item_bank import FLIPPED, calibrated_frontier


def test_nothing_is_fitted_before_enough_models_have_graded_rollouts(store: Store) -> None:
    ctx = calibrated_frontier(store, minModels=13)
    assert calibrate(ctx, trigger="profile") is None
    assert store.calibrations(ctx.frontier) == [] and calibration_summary(ctx) is None


def test_a_fit_is_a_new_version_with_every_task_and_the_models_in_order_of_ability(
    store: Store,
) -> None:
    ctx = calibrated_frontier(store)
    first = calibrate(ctx, trigger="profile of the base tasks")
    again = calibrate(ctx, trigger="verification of slice v1")
    assert first is not None and again is not None and (first.version, again.version) == (1, 2)
    cal = again.calibration
    assert len(cal.items) == 40
    thetas = {a.model: a.theta for a in cal.abilities}
    ranked = sorted(thetas, key=thetas.__getitem__)
    assert ranked[:2] == ["m00", "m01"] or ranked[0] == "m00"
    assert ranked[-1] in ("m10", "m11")
    assert all(a.se > 0 for a in cal.abilities) and all(i.b_se > 0 for i in cal.items)


def test_a_task_graded_backwards_is_flagged_posted_once_and_kept_out_of_the_next_slice(
    store: Store,
) -> None:
    ctx = calibrated_frontier(store)
    flipped = store.task_ids(ctx.frontier, origin="base")[FLIPPED]
    calibrate(ctx, trigger="profile")
    calibrate(ctx, trigger="profile again")
    assert flipped in suspects(ctx)
    (event,) = store.events(ctx.frontier, reason=SUSPECT_GRADING)  # posted when first flagged
    assert event.type == "Warning" and flipped in event.data["tasks"]
    summary = calibration_summary(ctx)
    assert summary is not None and flipped in summary["suspectGrading"]

    members = store.task_ids(ctx.frontier, origin="base")[:40]
    store.publish_slice(ctx.frontier, 1, members)
    solver_mean = store.task_means(ctx.run_key(f"profile-{ctx.spec.solver.name}"))[
        flipped
    ].mean_reward
    assert solver_mean is not None and 0.0 < solver_mean < 1.0  # hillclimbable for the solver
    published = retain(ctx, 1)
    assert published.slice.task_ids and flipped not in published.slice.task_ids
