"""The exception tree and the choice of class by EC2 error code."""

from __future__ import annotations

import pickle

import pytest

from aioec2 import errors
from aioec2.errors import (
    AioEC2Error,
    AuthError,
    BulkOperationError,
    DryRunOperation,
    EC2APIError,
    InvalidParameterError,
    NotFoundError,
    ServiceError,
    ThrottlingError,
    error_from_code,
)


@pytest.mark.parametrize(
    ("code", "status", "cls"),
    [
        ("RequestLimitExceeded", 503, ThrottlingError),
        ("EC2ThrottledException", 400, ThrottlingError),
        ("Throttling", 400, ThrottlingError),
        ("InvalidInstanceID.NotFound", 400, NotFoundError),
        ("InvalidGroup.NotFound", 400, NotFoundError),
        ("InvalidAMIID.Unknown", 400, NotFoundError),
        ("AuthFailure", 403, AuthError),
        ("UnauthorizedOperation", 403, AuthError),
        ("InvalidParameterValue", 400, InvalidParameterError),
        ("InvalidParameterCombination", 400, InvalidParameterError),
        ("InvalidInstanceID.Malformed", 400, InvalidParameterError),
        ("MissingParameter", 400, InvalidParameterError),
        ("DryRunOperation", 412, DryRunOperation),
        ("InternalError", 500, ServiceError),
        ("Unavailable", 503, ServiceError),
        ("BrandNewCode", 400, EC2APIError),
        ("BrandNewCode", 502, ServiceError),
        ("HTTP429", 429, ThrottlingError),
    ],
)
def test_code_selects_class(code: str, status: int, cls: type[EC2APIError]) -> None:
    """Each EC2 code maps to the most specific class, keeping code, message, id and status."""
    err = error_from_code(code, "msg", request_id="rid", status=status)
    assert cls is type(err)
    assert (code, "msg", "rid", status) == (err.code, err.message, err.request_id, err.status)
    assert isinstance(err, AioEC2Error)


def test_retry_facts_live_on_the_error() -> None:
    """Throttling and 5xx errors say they are retry-safe; client errors do not."""
    assert (True, True) == (
        error_from_code("RequestLimitExceeded").is_throttling,
        error_from_code("RequestLimitExceeded").is_retry_safe,
    )
    assert (False, True) == (
        error_from_code("InternalError", status=500).is_throttling,
        error_from_code("InternalError", status=500).is_retry_safe,
    )
    assert (False, False) == (
        error_from_code("DryRunOperation", status=412).is_throttling,
        error_from_code("DryRunOperation", status=412).is_retry_safe,
    )


def test_str_names_code_status_and_request_id() -> None:
    """str() of an API error shows code, message, HTTP status and request id."""
    err = error_from_code("InvalidInstanceID.NotFound", "gone", request_id="r-1", status=400)
    assert "InvalidInstanceID.NotFound: gone (HTTP 400, request id r-1)" == str(err)


def test_api_errors_pickle_round_trip() -> None:
    """Errors survive pickling (multiprocessing, task queues) with all their fields."""
    err = error_from_code("InvalidGroup.NotFound", "x", request_id="r", status=400)
    back = pickle.loads(pickle.dumps(err))
    assert (type(err), err.code, err.message, err.request_id, err.status) == (
        type(back),
        back.code,
        back.message,
        back.request_id,
        back.status,
    )


def test_builtin_bases_help_users() -> None:
    """ConfigurationError is a ValueError and the timeouts are TimeoutErrors."""
    assert issubclass(errors.ConfigurationError, ValueError)
    assert issubclass(errors.RequestTimeoutError, TimeoutError)
    assert issubclass(errors.WaiterTimeoutError, TimeoutError)


def test_bulk_error_is_an_exception_group() -> None:
    """BulkOperationError carries every failure and can be split like an ExceptionGroup."""
    group = BulkOperationError("2 failed", [ValueError("a"), error_from_code("AuthFailure")])
    matched, rest = group.split(AuthError)
    assert isinstance(matched, BulkOperationError)
    assert 1 == len(matched.exceptions)
    assert rest is not None
    assert [ValueError] == [type(e) for e in rest.exceptions]


def test_module_docstring_draws_every_public_class() -> None:
    """The tree in errors.py's docstring names every exception class it exports."""
    doc = errors.__doc__ or ""
    classes = [n for n in errors.__all__ if isinstance(getattr(errors, n), type)]
    assert [] == [name for name in classes if name not in doc]
