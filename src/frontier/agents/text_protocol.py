"""Tool calls written in tags, for served models without a tool-call parser.

ShoppingBench's own prompt asks the model to write
`<tool_call>{"name": ..., "arguments": {...}}</tool_call>` in plain text; results
go back as `<tool_response>` blocks in a user turn. This module renders the
tool list into the system prompt and parses the tags back out, reporting a
malformed call instead of raising so the model can be told and try again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from frontier.domain.interfaces import ToolSchema

_CALL = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


@dataclass(frozen=True)
class TextCall:
    """A parsed call; `error` is set (and name may be empty) when the tag's body is malformed."""

    name: str
    arguments: dict[str, Any]
    raw: str
    error: str | None = None


def tools_prompt(tools: list[ToolSchema]) -> str:
    """Instructions appended to the system prompt: the tools and the tag format."""
    specs = [tool.get("function", tool) for tool in tools]
    listing = "\n".join(json.dumps(spec, ensure_ascii=False) for spec in specs)
    return (
        "# Tools\n\nYou may call one or more of these functions:\n<tools>\n"
        f"{listing}\n</tools>\n\n"
        "To call a function, write a JSON object with its name and arguments inside tags:\n"
        '<tool_call>{"name": "<function-name>", "arguments": {<arguments-object>}}</tool_call>\n'
        "Results come back inside <tool_response></tool_response> tags."
    )


def parse_calls(content: str | None) -> list[TextCall]:
    """Every <tool_call> in `content`, in order; an unclosed last tag is a malformed call."""
    if not content:
        return []
    calls = [_parse_body(match.group(1)) for match in _CALL.finditer(content)]
    tail = content[content.rfind("</tool_call>") + len("</tool_call>") :] if calls else content
    if "<tool_call>" in tail:
        raw = tail[tail.index("<tool_call>") :]
        calls.append(TextCall("", {}, raw, "a <tool_call> tag is not closed with </tool_call>"))
    return calls


def _parse_body(body: str) -> TextCall:
    raw = body
    body = _FENCE.sub("", body.strip())
    try:
        value = json.loads(body)
    except json.JSONDecodeError as exc:
        return TextCall(
            "", {}, raw, f"the tool call is not valid JSON: {exc.msg} at position {exc.pos}"
        )
    if not isinstance(value, dict):
        return TextCall("", {}, raw, "the tool call must be a JSON object with name and arguments")
    name = value.get("name")
    if not isinstance(name, str) or not name:
        return TextCall("", {}, raw, "the tool call has no string field 'name'")
    arguments = value.get("arguments", value.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as exc:
            return TextCall(name, {}, raw, f"the arguments of {name} are not valid JSON: {exc.msg}")
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        return TextCall(name, {}, raw, f"the arguments of {name} must be a JSON object")
    return TextCall(name, arguments, raw)


def tool_response(name: str, content: str, is_error: bool) -> str:
    label = "error" if is_error else "ok"
    return f'<tool_response name="{name}" status="{label}">\n{content}\n</tool_response>'
