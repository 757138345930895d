"""The text tool protocol: tool calls written in <tool_call> tags, parsed without raising."""

from __future__ import annotations

import json

from frontier.agents.text_protocol import parse_calls, tool_response, tools_prompt
from tests.agents.toy_benchmark import TOOLS


def test_every_tagged_call_is_parsed_in_order() -> None:
    content = (
        "I will probe first.\n"
        '<tool_call>{"name": "probe", "arguments": {"guess": 50}}</tool_call>\n'
        '<tool_call>\n```json\n{"name": "hint", "arguments": {}}\n```\n</tool_call>'
    )
    calls = parse_calls(content)
    assert [(c.name, c.arguments, c.error) for c in calls] == [
        ("probe", {"guess": 50}, None),
        ("hint", {}, None),
    ]


def test_arguments_as_a_json_string_or_parameters_are_accepted() -> None:
    [a, b] = parse_calls(
        '<tool_call>{"name": "probe", "arguments": "{\\"guess\\": 3}"}</tool_call>'
        '<tool_call>{"name": "probe", "parameters": {"guess": 4}}</tool_call>'
    )
    assert (a.arguments, b.arguments) == ({"guess": 3}, {"guess": 4})


def test_text_without_tags_has_no_calls() -> None:
    assert parse_calls("The answer is 42.") == []
    assert parse_calls(None) == []


def test_malformed_calls_are_reported_not_raised() -> None:
    calls = parse_calls(
        "<tool_call>{not json}</tool_call>"
        '<tool_call>["probe"]</tool_call>'
        '<tool_call>{"arguments": {}}</tool_call>'
        '<tool_call>{"name": "probe", "arguments": [1]}</tool_call>'
        '<tool_call>{"name": "submit", "arguments": {"number": 4'
    )
    errors = [c.error for c in calls]
    assert errors[0] is not None and errors[0].startswith("the tool call is not valid JSON")
    assert errors[1] == "the tool call must be a JSON object with name and arguments"
    assert errors[2] == "the tool call has no string field 'name'"
    assert errors[3] == "the arguments of probe must be a JSON object"
    assert errors[4] == "a <tool_call> tag is not closed with </tool_call>"
    assert calls[4].raw.startswith('<tool_call>{"name": "submit"')


def test_the_prompt_lists_every_tool_and_the_tag_format() -> None:
    prompt = tools_prompt(TOOLS)
    listed = prompt.split("<tools>\n")[1].split("\n</tools>")[0].splitlines()
    assert [json.loads(line)["name"] for line in listed] == ["probe", "hint", "submit"]
    assert '<tool_call>{"name": "<function-name>"' in prompt


def test_tool_responses_carry_the_name_and_status() -> None:
    assert tool_response("probe", "lower", False) == (
        '<tool_response name="probe" status="ok">\nlower\n</tool_response>'
    )
    assert 'status="error"' in tool_response("probe", "bad", True)
