"""API keys: from an env var, a mounted secret file, or a Secret's env var; never shown."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from frontier.agents.base import build_agent, endpoint_url
from frontier.agents.credentials import (
    NO_KEY,
    MissingApiKey,
    api_key_env_name,
    redact,
    resolve_api_key,
)
from frontier.agents.endpoint import EndpointPool
from frontier.domain.secrets import api_key_env_name as operator_env_name
from frontier.domain.specs import ModelRef, ModelServer, SecretKeyRef
from tests.agents.toy_benchmark import ToyBenchmark, make_task
from tests.support.openai_server import ScriptedOpenAIServer, Status, tool_call

SECRET = "sk-planted-5f0c1d2e3b4a59687766"
ModelFor = Callable[..., ModelRef]


def model(**fields: object) -> ModelRef:
    return ModelRef(
        name="judge-model", provider="openai", base_url="http://x/v1", model="m", **fields
    )


def test_a_key_comes_from_the_named_environment_variable() -> None:
    assert resolve_api_key(model(api_key_env="MY_KEY"), {"MY_KEY": f" {SECRET}\n"}) == SECRET


def test_a_key_comes_from_a_mounted_secret_file(tmp_path: Path) -> None:
    path = tmp_path / "api-key"
    path.write_text(SECRET + "\n")
    assert resolve_api_key(model(api_key_file=str(path)), {}) == SECRET


def test_a_kubernetes_secret_is_read_from_the_variable_the_operator_mounts() -> None:
    ref = model(api_key_secret=SecretKeyRef(name="llm", key="token"))
    assert resolve_api_key(ref, {"FRONTIER_API_KEY_JUDGE_MODEL": SECRET}) == SECRET
    for name in ("judge-model", "a--b", "gpt-4o"):
        assert api_key_env_name(name) == operator_env_name(name)


def test_a_model_without_a_key_source_sends_a_placeholder() -> None:
    assert resolve_api_key(model(), {}) == NO_KEY


def test_a_missing_variable_is_named_in_the_error() -> None:
    with pytest.raises(MissingApiKey, match="apiKeyEnv names MY_KEY, which is not set"):
        resolve_api_key(model(api_key_env="MY_KEY"), {})


def test_a_missing_or_empty_key_file_is_named_in_the_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(MissingApiKey, match=f"apiKeyFile {missing} cannot be read"):
        resolve_api_key(model(api_key_file=str(missing)), {})
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(MissingApiKey, match="is empty"):
        resolve_api_key(model(api_key_file=str(empty)), {})


def test_an_unmounted_secret_names_the_secret_and_the_variable() -> None:
    ref = model(api_key_secret=SecretKeyRef(name="llm", key="token"))
    with pytest.raises(MissingApiKey, match="llm/token should be mounted as FRONTIER_API_KEY_"):
        resolve_api_key(ref, {})


def test_a_missing_key_is_a_configuration_error_when_the_agent_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("UNSET_KEY_FOR_TEST", raising=False)
    with pytest.raises(MissingApiKey, match="UNSET_KEY_FOR_TEST"):
        build_agent(model(api_key_env="UNSET_KEY_FOR_TEST"), pool=EndpointPool())


def test_redact_scrubs_nested_values_and_ignores_placeholders() -> None:
    value = {"a": [f"x {SECRET} y", (SECRET,)], "b": 3}
    assert redact(value, SECRET) == {"a": ["x [redacted] y", ("[redacted]",)], "b": 3}
    assert redact(f"{NO_KEY} here", NO_KEY) == f"{NO_KEY} here"


def test_a_sidecar_is_reached_where_the_job_says_or_on_localhost() -> None:
    served = ModelRef(
        name="judge-model", provider="openai", model="m", server=ModelServer(image="vllm")
    )
    assert endpoint_url(served, {}) == "http://127.0.0.1:8000/v1"
    job_env = {"FRONTIER_BASE_URL_JUDGE_MODEL": "http://127.0.0.1:9000/v1"}
    assert endpoint_url(served, job_env) == "http://127.0.0.1:9000/v1"


async def test_a_key_from_a_mounted_file_is_sent_and_never_shown(
    server: ScriptedOpenAIServer,
    model_for: ModelFor,
    pool: EndpointPool,
    toy: ToyBenchmark,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "api-key"
    path.write_text(SECRET)
    server.enqueue(
        tool_call("hint", {}),
        Status(503, message=f"overloaded for {SECRET}"),
        Status(500, message=f"still failing for key={SECRET}"),
    )
    caplog.set_level(logging.DEBUG)
    agent = build_agent(model_for(api_key_file=str(path), max_retries=1), pool=pool)
    rollout = await agent.rollout(toy, make_task(42), 0, 1)
    assert all(r.headers["Authorization"] == f"Bearer {SECRET}" for r in server.requests)
    assert rollout.status == "error"
    assert "[redacted]" in (rollout.error or "")
    assert SECRET not in rollout.model_dump_json()
    assert SECRET not in caplog.text and "[redacted]" in caplog.text
    assert SECRET not in str(pool.history())
