from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.support.frontiers import small_document


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write_manifest(tmp_path: Path, doc: dict[str, Any] | None = None) -> Path:
    path = tmp_path / "frontier.yaml"
    path.write_text(yaml.safe_dump(doc if doc is not None else small_document()))
    return path
