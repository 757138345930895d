"""The operator decides what kopf retries: what may pass later is temporary, what cannot is
permanent on a change handler, and a timer never gives up."""

from __future__ import annotations

import kopf
import pytest

from frontier.operator.errors import FORBIDDEN_DELAY, TRANSIENT_DELAY, decided
from frontier.operator.kube import KubeError
from frontier.store import ConflictError, StoreUnavailableError


def raised(exc: Exception, *, timer: bool = False) -> BaseException:
    with pytest.raises((kopf.TemporaryError, kopf.PermanentError)) as caught, decided(timer=timer):
        raise exc
    return caught.value


@pytest.mark.parametrize(
    "exc",
    [
        StoreUnavailableError("cannot reach database at 127.0.0.1:5432"),
        KubeError(503, "Service Unavailable", "etcd leader changed"),
        KubeError(429, "Too Many Requests", "slow down"),
        KubeError(0, "Unreachable", "connection refused"),
    ],
)
def test_an_unreachable_store_or_api_server_is_retried_soon(exc: Exception) -> None:
    error = raised(exc)
    assert isinstance(error, kopf.TemporaryError) and error.delay == TRANSIENT_DELAY
    assert str(exc) in str(error)


def test_a_forbidden_call_is_retried_after_a_person_has_had_time_to_fix_rbac() -> None:
    error = raised(KubeError(403, "Forbidden", "cannot create jobs.batch"))
    assert isinstance(error, kopf.TemporaryError) and error.delay == FORBIDDEN_DELAY


@pytest.mark.parametrize(
    "exc",
    [KubeError(422, "Unprocessable Entity", "spec.completions: Invalid"), ConflictError("x")],
)
def test_what_a_retry_cannot_fix_is_permanent_on_a_change_and_retried_later_on_a_timer(
    exc: Exception,
) -> None:
    assert isinstance(raised(exc), kopf.PermanentError)
    error = raised(exc, timer=True)
    assert isinstance(error, kopf.TemporaryError) and error.delay == FORBIDDEN_DELAY


def test_an_unexpected_error_is_left_to_kopf_with_its_traceback() -> None:
    with pytest.raises(ZeroDivisionError), decided():
        raise ZeroDivisionError
