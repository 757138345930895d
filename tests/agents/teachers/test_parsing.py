"""Tolerant extraction of a teacher's JSON answer, and the strict schema it must then pass."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from frontier.agents.teachers import TeacherAnswer, extract_json_object

ANSWER = '{"candidates": [{"motif": "m", "record": {"a": 1}}]}'


@pytest.mark.parametrize(
    "text",
    [
        ANSWER,
        f"Sure! Here it is:\n{ANSWER}\nAnything else?",
        f"```json\n{ANSWER}\n```",
        f"<think>I could write {{'oops': 1}} or {{\"draft\": true}}.</think>{ANSWER}",
        f'A record looks like {{"motif": "m", "record": {{}}}}. My answer: {ANSWER}',
    ],
    ids=["bare", "prose", "fenced", "think-block", "example-first"],
)
def test_the_answer_object_is_found_in_common_wrappings(text: str) -> None:
    assert extract_json_object(text, "candidates") == {
        "candidates": [{"motif": "m", "record": {"a": 1}}]
    }


def test_without_the_preferred_key_the_first_object_is_returned() -> None:
    assert extract_json_object('x {"a": 1} y {"b": 2}', "candidates") == {"a": 1}
    assert extract_json_object('x {"a": 1} y {"b": 2}') == {"a": 1}


@pytest.mark.parametrize("text", ["no braces here", "{not: json}", "[1, 2]", '{"a": '])
def test_text_without_a_json_object_is_a_value_error_saying_so(text: str) -> None:
    with pytest.raises(ValueError, match="the answer holds no JSON object"):
        extract_json_object(text, "candidates")


def test_the_schema_names_what_is_missing() -> None:
    with pytest.raises(ValidationError, match=r"candidates\.0\.record"):
        TeacherAnswer.model_validate({"candidates": [{"motif": "m"}]})
    with pytest.raises(ValidationError, match=r"candidates\.0\.motif"):
        TeacherAnswer.model_validate({"candidates": [{"motif": "", "record": {}}]})
