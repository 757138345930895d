import pytest

from frontier.domain.lineage import ancestry, child_lineage, depth_histogram
from frontier.domain.tasks import Task


def task(name: str, parent: Task | None = None, motif: str = "price", round: int = 1) -> Task:
    lineage = (
        child_lineage(parent, motif=motif, round=round, origin="procedural") if parent else None
    )
    return Task.create("bench", "product", name, {"q": name}, lineage)


def test_a_child_points_to_its_parent_and_root_one_level_deeper() -> None:
    root = task("root")
    child = task("child", root)
    grandchild = task("grandchild", child, motif="sku", round=2)
    assert child.lineage.parent_id == root.id and child.lineage.root_id == root.id
    assert grandchild.lineage.root_id == root.id
    assert (grandchild.lineage.depth, grandchild.lineage.round, grandchild.lineage.motif) == (
        2,
        2,
        "sku",
    )
    tasks = {t.id: t for t in (root, child, grandchild)}
    assert ancestry(grandchild.id, tasks) == [grandchild.id, child.id, root.id]
    assert depth_histogram(tasks) == {0: 1, 1: 1, 2: 1}


def test_rounds_start_at_one() -> None:
    with pytest.raises(ValueError):
        child_lineage(task("r"), motif="m", round=0, origin="procedural")


def test_task_ids_are_content_hashes() -> None:
    a = Task.create("bench", "product", "q", {"x": 1, "y": [1, 2]})
    b = Task.create("bench", "product", "q", {"y": [1, 2], "x": 1})
    c = Task.create("bench", "product", "q", {"x": 2, "y": [1, 2]})
    assert a.id == b.id != c.id
    assert len(a.id) == 16
