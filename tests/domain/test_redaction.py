"""Credentials in URLs and free text are replaced whole; nothing of a key is kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier.domain.redaction import (
    CREDENTIAL_PARAMETERS,
    REDACTED,
    is_credential_parameter,
    redact_text,
    redact_url,
)

R = REDACTED


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://llm/v1?key=AIzaSECRET", f"https://llm/v1?key={R}"),
        ("https://llm/v1?alt=json&api_key=s3cr3t&x=1", f"https://llm/v1?alt=json&api_key={R}&x=1"),
        ("https://llm/v1?API-KEY=s3cr3t", f"https://llm/v1?API-KEY={R}"),
        ("https://llm/v1?Api_Key=s3cr3t", f"https://llm/v1?Api_Key={R}"),
        ("https://llm/v1?apikey=a&token=b", f"https://llm/v1?apikey={R}&token={R}"),
        ("https://blob/x?sv=2024&sig=abc%2Fdef%3D", f"https://blob/x?sv=2024&sig={R}"),
        ("https://s3/x?X-Amz-Signature=abc&X-Amz-Date=1", f"https://s3/x?X-Amz-Signature={R}&X-Amz-Date=1"),
        ("https://app/cb#access_token=abc&state=1", f"https://app/cb#access_token={R}&state=1"),
        ("https://bob:pw@llm/v1", f"https://{R}@llm/v1"),
        ("https://bob:pw@llm/v1?key=k", f"https://{R}@llm/v1?key={R}"),
    ],
)  # fmt: skip
def test_userinfo_and_credential_parameters_are_redacted_in_a_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://vllm:8000/v1",
        "https://llm/v1?alt=json&monkey=1&keys=2",
        "https://llm/v1?key=",
        "not a url at all",
    ],
)
def test_a_url_without_credentials_is_returned_as_it_was(url: str) -> None:
    assert redact_url(url) is url


def test_parameter_names_match_case_insensitively_with_dash_as_underscore() -> None:
    assert all(is_credential_parameter(n) for n in ("KEY", "x-api-key", "Access-Token", "SIG"))
    assert not is_credential_parameter("keys") and not is_credential_parameter("alt")
    assert {"key", "api_key", "apikey", "token", "sig", "signature", "secret", "password"} <= (
        CREDENTIAL_PARAMETERS
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Incorrect API key provided: sk-proj-********************Zq9W. You can find it",
            f"Incorrect API key provided: {R}. You can find it",
        ),
        ("Incorrect API key provided: loca****Zq9W", f"Incorrect API key provided: {R}"),
        ("invalid key sk-abcd...Zq9W given", f"invalid key {R} given"),
        ("key ab12cd34****Zq9W refused", f"key {R} refused"),
        ("key ab12cd34••••Zq9W refused", f"key {R} refused"),
        (
            "Client error '403' for url 'https://llm/v1/chat?key=AIzaSECRET&alt=json'",
            f"Client error '403' for url 'https://llm/v1/chat?key={R}&alt=json'",
        ),
        ('{"base_url":"http://h/v1?token=abc","x":1}', f'{{"base_url":"http://h/v1?token={R}","x":1}}'),
        ("cannot reach https://bob:pw@llm/v1", f"cannot reach https://{R}@llm/v1"),
    ],
)  # fmt: skip
def test_masked_echoes_and_urls_in_free_text_keep_nothing_of_the_key(
    text: str, expected: str
) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    ["***Important*** read this", "a **bold** word", "x = 5 and y=6", "see https://shop/p?id=7"],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == text


_HINTY = st.lists(
    st.sampled_from(
        # KELVIN SIGN folds to k and I WITH DOT ABOVE to i under re.I: not ASCII
        [
            *"skrphf_-*=.:/ abeBEARIKYiy\"'x9",
            "sk-",
            "api",
            "KEY",
            "bearer",
            "\u2022",
            "\u2026",
            "\u212a",
            "\u0130",
        ]
    ),
    max_size=30,
).map("".join)


@given(_HINTY)
def test_the_fast_precheck_answers_as_the_hint_regex_does(text: str) -> None:
    from frontier.domain.redaction import _HINT, _hinted

    assert _hinted(text) == (_HINT.search(text) is not None)
