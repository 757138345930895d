"""Offline web search answers a web task's question from its own knowledge attribute."""

from __future__ import annotations

from frontier.benchmarks.shoppingbench import ShoppingBench
from frontier.benchmarks.shoppingbench.websearch import OfflineWebSearch, question_of
from frontier.domain.tasks import Task


def test_the_question_is_the_first_sentence_ending_with_a_question_mark() -> None:
    assert question_of("In which city? I want a strap. Why?") == "In which city?"


def test_a_search_finds_the_answer_to_its_question_first() -> None:
    web = OfflineWebSearch()
    web.add("In which city did Marina Abramovic perform Rhythm 4? A strap.", "Milan")
    web.add("Which river flows through Paris? A mug.", "Seine")
    [first, *_] = web.search("Marina Abramovic Rhythm 4 city")
    assert "Answer: Milan" in first["snippet"]
    assert web.search("the of and") == []


def test_every_dev_web_question_finds_its_own_answer(
    dev_bench: ShoppingBench, dev_tasks: list[Task]
) -> None:
    misses = []
    for task in dev_tasks:
        if task.family != "web":
            continue
        hits = dev_bench.offline_web.search(question_of(task.query))
        if not hits or f"Answer: {task.payload['Knowledge_Attribute']}" not in hits[0]["snippet"]:
            misses.append(task.id)
    assert misses == []
