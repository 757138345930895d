"""What a task record may hold: depth, NUL, surrogates, non-finite numbers, duplicate keys."""

from __future__ import annotations

import json

import pytest

from frontier.benchmarks.jsonguard import MAX_DEPTH, RecordRefused, check, decode, too_deep


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_nesting_up_to_the_limit_is_fine_and_one_level_more_is_too_deep() -> None:
    assert not too_deep('{"a": ' + nested(MAX_DEPTH - 1) + "}")
    assert too_deep('{"a": ' + nested(MAX_DEPTH) + "}")


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"a": "[" * 500, "b": '{"\\"' * 200})
    assert not too_deep(text)
    assert decode(text) == json.loads(text)


def test_a_record_nested_100000_deep_is_refused_before_the_decoder_recurses() -> None:
    with pytest.raises(RecordRefused, match=f"nested deeper than {MAX_DEPTH} levels"):
        decode(nested(100_000))


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
def test_a_number_that_is_not_finite_is_refused_naming_its_field(number: str) -> None:
    value = decode('{"reward": [{"price": ' + number + "}]}")
    with pytest.raises(RecordRefused, match=rf"^reward\[0\]\.price: {number} is not a finite"):
        check(value)


def test_finite_numbers_decode_as_usual() -> None:
    assert decode('{"a": 1.5e300, "b": -0.0, "c": 12345678901234567890}') == {
        "a": 1.5e300,
        "b": -0.0,
        "c": 12345678901234567890,
    }


def test_an_integer_too_long_to_convert_is_refused_not_raised() -> None:
    with pytest.raises(RecordRefused, match="invalid number: Exceeds the limit"):
        decode('{"a": ' + "9" * 5000 + "}")


@pytest.mark.parametrize("text", ['{"query": "a\\u0000b"}', '{"query": "a\x00b"}'])
def test_a_nul_character_escaped_or_raw_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(RecordRefused, match=r"^query: contains a NUL character"):
        check(decode(text))


def test_a_nul_character_in_a_key_is_refused_naming_the_object_that_holds_it() -> None:
    with pytest.raises(RecordRefused, match=r"^meta: the key 'a\\x00' contains a NUL"):
        check(decode('{"meta": {"a\\u0000": 1}}'))


def test_a_lone_surrogate_is_refused_naming_the_field() -> None:
    with pytest.raises(RecordRefused, match=r"^tags\[1\]: contains a lone surrogate \(U\+D800\)"):
        check(decode('{"tags": ["ok", "x\\ud800"]}'))


def test_a_surrogate_pair_is_one_ordinary_character() -> None:
    value = decode('{"q": "\\ud83d\\ude00"}')
    check(value)
    assert value == {"q": "\U0001f600"}


def test_a_key_given_twice_is_refused_instead_of_the_last_value_winning() -> None:
    with pytest.raises(RecordRefused, match=r"duplicate key 'query'"):
        decode('{"query": "a lamp", "reward": [], "query": "a chair"}')
