"""Scrubbing: credentials become <redacted>; references to them (Secret, env name, file) stay."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier.store.scrub import REDACTED, has_credential_field, redact_text, scrub

KEY = "sk-proj-abcdefghijklmnop1234"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Incorrect API key provided: {KEY}.", f"Incorrect API key provided: {REDACTED}."),
        ("token hf_abcdefghijklmnopqrstuv here", f"token {REDACTED} here"),
        ("Authorization: Bearer abc.def-ghi_jkl123", f"Authorization: {REDACTED}"),
        ("api_key=supersecretvalue rest", f"api_key={REDACTED} rest"),
        ('{"apiKey": "supersecretvalue"}', f'{{"apiKey": "{REDACTED}"}}'),
    ],
)
def test_key_shaped_tokens_in_text_are_redacted(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a plain error: connection refused",
        "sk-short",
        "task sku-12345678901234567890",
        "risk-free",
    ],
)
def test_text_without_keys_is_returned_unchanged(text: str) -> None:
    assert redact_text(text) == text


def test_credential_named_fields_with_literal_values_are_redacted() -> None:
    spec = {"apiKey": KEY, "password": "hunter2", "nested": {"clientSecret": "x" * 10}}
    assert scrub(spec) == {
        "apiKey": REDACTED,
        "password": REDACTED,
        "nested": {"clientSecret": REDACTED},
    }


def test_references_to_credentials_are_kept() -> None:
    spec = {
        "apiKeySecret": {"name": "openai", "key": "api-key"},
        "apiKeyEnv": "OPENAI_API_KEY",
        "apiKeyFile": "/var/run/secrets/openai/key",
        "databaseSecret": {"name": "db", "key": "dsn"},
    }
    assert scrub(spec) == spec


def test_an_env_name_field_holding_a_key_is_redacted() -> None:
    assert scrub({"apiKeyEnv": KEY}) == {"apiKeyEnv": REDACTED}


def test_env_entries_with_literal_secret_values_are_redacted() -> None:
    env = [
        {"name": "OPENAI_API_KEY", "value": "literal"},
        {"name": "HF_TOKEN", "value": "literal"},
        {"name": "LOG_LEVEL", "value": "debug"},
        {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
    ]
    assert scrub({"env": env})["env"] == [
        {"name": "OPENAI_API_KEY", "value": REDACTED},
        {"name": "HF_TOKEN", "value": REDACTED},
        {"name": "LOG_LEVEL", "value": "debug"},
        {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
    ]


def test_secret_flags_of_a_model_server_are_redacted_in_both_forms() -> None:
    args = ["--model", "m", "--api-key", "literal", "--hf-token=abc", "--port", "8000"]
    assert scrub({"args": args})["args"] == [
        "--model",
        "m",
        "--api-key",
        REDACTED,
        f"--hf-token={REDACTED}",
        "--port",
        "8000",
    ]


def test_credentials_inside_urls_are_removed_but_the_host_kept() -> None:
    scrubbed = scrub({"baseUrl": "https://user:pw@llm.example:8443/v1?x=1"})
    assert scrubbed == {"baseUrl": f"https://{REDACTED}@llm.example:8443/v1?x=1"}
    assert scrub({"baseUrl": "http://vllm:8000/v1"}) == {"baseUrl": "http://vllm:8000/v1"}


def test_scrub_does_not_change_its_input_or_harmless_values() -> None:
    spec = {"apiKey": KEY, "k": 4, "ratio": 0.5, "on": True, "none": None, "list": [1, "two"]}
    before = dict(spec)
    scrubbed = scrub(spec)
    assert spec == before
    assert {k: v for k, v in scrubbed.items() if k != "apiKey"} == {
        k: v for k, v in spec.items() if k != "apiKey"
    }


@pytest.mark.parametrize(
    ("json_text", "found"),
    [
        ('{"api_key":"x"}', True),
        ('{"headers":{"Authorization":"x"}}', True),
        ('{"client_secret" : 1}', True),
        ('{"steps":[{"tool":"find_product"}]}', False),
        ('{"note":"mentions api_key in a value"}', False),
    ],
)
def test_credential_fields_are_spotted_in_serialized_json(json_text: str, found: bool) -> None:
    assert has_credential_field(json_text) is found


@given(
    st.lists(
        st.sampled_from(
            [*'"{}:, apikeyAPIKEY-_secrtwordnlhz', "password", "Authorization", "\u212a"]
        ),
        max_size=30,
    ).map("".join)
)
def test_the_credential_field_precheck_answers_as_the_regex_does(text: str) -> None:
    from frontier.store.scrub import _CREDENTIAL_FIELD_IN_JSON

    assert has_credential_field(text) == (_CREDENTIAL_FIELD_IN_JSON.search(text) is not None)
