"""Start-up: `frontier --help` and friends do not load what only some commands need."""

from __future__ import annotations

import subprocess
import sys


def test_loading_the_cli_imports_neither_the_openai_sdk_nor_matplotlib_nor_the_pipeline() -> None:
    probe = (
        "import sys, frontier.cli.main; "
        "print(' '.join(m for m in ('openai', 'matplotlib', 'frontier.pipeline', "
        "'frontier.report') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.split()
    assert loaded == []


def test_every_name_the_agents_package_exports_resolves_to_its_module_s_object() -> None:
    import frontier.agents
    from frontier.agents.solver import OpenAIAgent

    assert frontier.agents.OpenAIAgent is OpenAIAgent
    for name in frontier.agents.__all__:
        assert getattr(frontier.agents, name) is not None
