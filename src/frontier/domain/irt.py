"""Item response theory's values: items, abilities and one calibration (2PL), pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Flag = Literal["suspect_grading", "uninformative"]


@dataclass(frozen=True)
class ItemParams:
    task_id: str
    a: float
    b: float
    a_se: float
    b_se: float
    flag: Flag | None = None
    n: int = 0


@dataclass(frozen=True)
class Ability:
    model: str
    theta: float
    se: float
    n: int = 0


@dataclass(frozen=True)
class Calibration:
    items: tuple[ItemParams, ...]
    abilities: tuple[Ability, ...]
    anchor: str
    library: str
    library_version: str
    fit: Mapping[str, float]
