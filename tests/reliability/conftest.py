"""Fixtures shared by the reliability tests: the shared PostgreSQL test server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.faults import PostgresAdmin, pg_admin_url


@pytest.fixture(scope="module")
def admin() -> Iterator[PostgresAdmin]:
    """Scratch databases on the shared test server (skipped with FRONTIER_TEST_POSTGRES=skip)."""
    url = pg_admin_url()
    if url is None:
        pytest.skip("FRONTIER_TEST_POSTGRES=skip: the PostgreSQL fault tests are off")
    found = PostgresAdmin(url)
    problem = found.reachable()
    if problem is not None:
        pytest.fail(
            f"PostgreSQL is not reachable at {url.render_as_string()} ({problem}); start it "
            "with scripts/ensure-postgres or set FRONTIER_TEST_POSTGRES=skip",
            pytrace=False,
        )
    yield found
    found.close()
