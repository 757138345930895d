from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from frontier.pipeline.context import Context, open_context
from frontier.store import Store
from tests.support.frontiers import small_spec


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.connect(f"sqlite:///{tmp_path / 'frontier.db'}", auto_upgrade=True)
    yield s
    s.close()


@pytest.fixture
def ctx(store: Store) -> Context:
    return open_context(store, "shop", small_spec())
