from frontier.domain.canaries import group_by_pattern, overlap_hard
from frontier.domain.lineage import child_lineage
from frontier.domain.tasks import Task


def test_overlap_hard_needs_every_verifier_below_the_threshold() -> None:
    means = {
        "big": {"a": 0.1, "b": 0.5, "c": 0.0, "d": 0.2},
        "huge": {"a": 0.3, "b": 0.1, "c": 0.0},
    }
    c = overlap_hard(means, below=0.40)
    assert c.task_ids == ("a", "c")
    assert c.zero_on_all == ("c",)
    assert c.evaluated == 3


def test_threshold_is_strict() -> None:
    assert overlap_hard({"m": {"a": 0.40}}, below=0.40).count == 0


def test_no_verifiers_means_no_canaries() -> None:
    assert overlap_hard({}, 0.4).count == 0


def variant(root: Task, motif: str, name: str, parent: Task | None = None) -> Task:
    lineage = child_lineage(parent or root, motif=motif, round=1, origin="procedural")
    return Task.create("bench", root.family, name, {"q": name}, lineage)


def test_variants_of_one_root_task_by_one_motif_are_one_group_shown_by_the_hardest() -> None:
    voucher = Task.create("bench", "voucher", "voucher", {"q": "voucher"})
    a, b = variant(voucher, "price_shift", "a"), variant(voucher, "price_shift", "b")
    c = variant(voucher, "price_shift", "c", parent=a)
    other = variant(voucher, "switch_voucher", "d")
    lone = Task.create("bench", "product", "lone", {"q": "lone"})
    tasks = {t.id: t for t in (a, b, c, other, lone)}
    means = {
        "big": {a.id: 0.3, b.id: 0.1, c.id: 0.2, other.id: 0.0, lone.id: 0.05},
        "huge": {a.id: 0.1, b.id: 0.35, c.id: 0.15, other.id: 0.1, lone.id: 0.2},
    }
    groups = group_by_pattern(tasks, tasks, means)
    assert [(g.root_id, g.motif, g.count) for g in groups] == [
        (voucher.id, "price_shift", 3),
        (voucher.id, "switch_voucher", 1),
        (lone.id, None, 1),
    ]
    first = groups[0]
    assert first.representative == c.id  # its best verifier gives 0.2: below a's 0.3, b's 0.35
    assert set(first.others) == {a.id, b.id} and first.members[0] == c.id


def test_a_canary_whose_task_is_unknown_is_a_group_of_its_own() -> None:
    groups = group_by_pattern(["x", "y"], {}, {"m": {"x": 0.1, "y": 0.0}})
    assert [(g.root_id, g.count) for g in groups] == [("y", 1), ("x", 1)]
