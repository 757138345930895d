"""Which failures kopf retries, after how long, and which it gives up on: decided here.

Left to itself kopf retries any exception with its default backoff and a traceback, so
an unreachable store and a manifest the API server will never accept looked alike.
Handlers run inside `decided`: what may pass later (the store or the API server
unreachable or overloaded, RBAC not yet granted) is a TemporaryError with a delay;
what cannot (a refused manifest, a store conflict) is a PermanentError on a change
handler, which kopf does not retry until the next change. A timer never gives up (a
permanent error would stop it for good): it retries at its next tick.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import kopf
from sqlalchemy.exc import DBAPIError

from frontier.operator.kube import KubeError
from frontier.store import StoreError, StoreUnavailableError

TRANSIENT_DELAY = 15.0
"""Seconds before kopf retries a handler whose store or API server failed for now."""
FORBIDDEN_DELAY = 60.0
"""Seconds before a retry after 401/403: RBAC is fixed by a person, not in seconds."""


def _transient_api(status: int) -> bool:
    return status in (0, 408, 409, 429) or status >= 500


@contextmanager
def decided(*, timer: bool = False) -> Iterator[None]:
    """Turn the operator's failures into kopf's retry decisions (see the module docstring)."""
    try:
        yield
    except (kopf.TemporaryError, kopf.PermanentError):
        raise
    except StoreUnavailableError as exc:
        raise kopf.TemporaryError(
            f"the store is unreachable: {exc}", delay=TRANSIENT_DELAY
        ) from exc
    except DBAPIError as exc:  # the store's own retries gave up on a transient failure
        cause = type(exc.orig or exc).__name__
        raise kopf.TemporaryError(f"the store failed ({cause})", delay=TRANSIENT_DELAY) from exc
    except KubeError as exc:
        if _transient_api(exc.status):
            raise kopf.TemporaryError(str(exc), delay=TRANSIENT_DELAY) from exc
        if exc.status in (401, 403) or timer:
            raise kopf.TemporaryError(str(exc), delay=FORBIDDEN_DELAY) from exc
        raise kopf.PermanentError(str(exc)) from exc
    except StoreError as exc:
        if timer:
            raise kopf.TemporaryError(str(exc), delay=FORBIDDEN_DELAY) from exc
        raise kopf.PermanentError(str(exc)) from exc
