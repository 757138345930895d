"""The models' tables as SQLAlchemy Core objects: the repository's hot paths use Core, not the ORM."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from frontier.store.models import (
    AttemptFailureRow,
    CalibrationItemRow,
    CalibrationRow,
    CandidateRow,
    EventRow,
    FrontierRow,
    RolloutRow,
    RolloutSumRow,
    RoundRow,
    RunRow,
    ShardProgressRow,
    SliceMemberRow,
    SliceRow,
    TaskRow,
    TeacherUsageRow,
)

frontiers = cast(Table, FrontierRow.__table__)
tasks = cast(Table, TaskRow.__table__)
runs = cast(Table, RunRow.__table__)
rollouts = cast(Table, RolloutRow.__table__)
rollout_sums = cast(Table, RolloutSumRow.__table__)
attempt_failures = cast(Table, AttemptFailureRow.__table__)
candidates = cast(Table, CandidateRow.__table__)
rounds = cast(Table, RoundRow.__table__)
slices = cast(Table, SliceRow.__table__)
members = cast(Table, SliceMemberRow.__table__)
events = cast(Table, EventRow.__table__)
shards = cast(Table, ShardProgressRow.__table__)
teacher_usage = cast(Table, TeacherUsageRow.__table__)
calibrations = cast(Table, CalibrationRow.__table__)
calibration_items = cast(Table, CalibrationItemRow.__table__)
