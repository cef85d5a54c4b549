"""
Every exception aioec2 raises.

Nothing from aiohttp or xmltodict reaches a user: ``session.py`` translates those once, at
the I/O edge, with ``raise ... from exc`` so the original stays available as ``__cause__``.

::

    AioEC2Error
    ├── ConfigurationError(AioEC2Error, ValueError)
    │   └── ArgumentError            a call's argument is missing, out of range or malformed
    ├── SessionClosedError(AioEC2Error, RuntimeError)
    ├── WrongEventLoopError(AioEC2Error, RuntimeError)
    ├── CredentialsError
    ├── TransportError
    │   ├── ConnectError
    │   │   └── CertificateError     the endpoint's TLS certificate failed verification
    │   └── RequestTimeoutError(TransportError, TimeoutError)
    ├── ResponseParseError
    ├── EC2APIError: code, message, request_id, status, is_throttling, is_retry_safe
    │   ├── ThrottlingError          RequestLimitExceeded, Throttling, EC2ThrottledException, ...
    │   ├── NotFoundError            any code ending in ".NotFound" or ".Unknown"
    │   ├── AuthError                AuthFailure, UnauthorizedOperation, SignatureDoesNotMatch, ...
    │   ├── InvalidParameterError    InvalidParameter*, MissingParameter, Invalid*.Malformed, ...
    │   ├── DryRunOperation          the request would have succeeded (DryRun=true, HTTP 412)
    │   └── ServiceError             InternalError, Unavailable, ServiceUnavailable (5xx)
    ├── WaiterError
    │   ├── WaiterTimeoutError(WaiterError, TimeoutError): last_result
    │   └── WaiterFailureError: last_result
    └── BulkOperationError(AioEC2Error, ExceptionGroup)
        └── PartialBulkError: partial_results (what did succeed)

The class of an :class:`EC2APIError` is chosen from its code by :func:`error_from_code`: one
table plus suffix and prefix rules. An unknown code is still an :class:`EC2APIError` with
``.code`` set, so ``except EC2APIError as e: if e.code == "..."`` always works.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Self

__all__ = [
    "AioEC2Error",
    "ArgumentError",
    "AuthError",
    "BulkOperationError",
    "CertificateError",
    "ConfigurationError",
    "ConnectError",
    "CredentialsError",
    "DryRunOperation",
    "EC2APIError",
    "InvalidParameterError",
    "NotFoundError",
    "PartialBulkError",
    "RequestTimeoutError",
    "ResponseParseError",
    "ServiceError",
    "SessionClosedError",
    "ThrottlingError",
    "TransportError",
    "WaiterError",
    "WaiterFailureError",
    "WaiterTimeoutError",
    "WrongEventLoopError",
    "error_from_code",
]


class AioEC2Error(Exception):
    """Root of every exception raised by aioec2."""


class ConfigurationError(AioEC2Error, ValueError):
    """Settings are missing or malformed: region, endpoint, profile, Config values, arguments."""


class ArgumentError(ConfigurationError):
    """A call's argument is missing, out of range or malformed; checked before sending."""


class SessionClosedError(AioEC2Error, RuntimeError):
    """The Session was used before ``async with`` opened it, or after it closed."""


class WrongEventLoopError(AioEC2Error, RuntimeError):
    """
    The Session was used from an event loop other than the one that opened it.

    aiohttp connections belong to one loop; using them from another would hang or corrupt
    state, so this fails at once instead.
    """


class CredentialsError(AioEC2Error):
    """No credentials could be found, or a credential source failed."""


class TransportError(AioEC2Error):
    """The request did not get an HTTP response: connection refused, reset, TLS failure, ..."""

    #: Transport failures are retried by the standard retry mode.
    is_retry_safe: ClassVar[bool] = True


class ConnectError(TransportError):
    """The connection could not be established or broke before a response arrived."""


class CertificateError(ConnectError):
    """
    The endpoint's TLS certificate failed verification (self-signed, expired, wrong host).

    Never retried: the same certificate fails the same way on every attempt.
    """

    is_retry_safe: ClassVar[bool] = False


class RequestTimeoutError(TransportError, TimeoutError):
    """Connecting or reading the response took longer than the configured timeout."""


class ResponseParseError(AioEC2Error):
    """The response body is not the EC2 XML it should be (truncated, hostile, too large, ...)."""


class EC2APIError(AioEC2Error):
    """
    EC2 answered with an error envelope.

    Attributes:
        code: EC2's error code, e.g. ``"InvalidInstanceID.NotFound"``.
        message: EC2's human-readable message.
        request_id: the ``RequestID`` to quote to AWS support (may be empty).
        status: the HTTP status code of the response.
    """

    #: True for codes EC2 uses to say "slow down"; the retry policy backs off harder on these.
    is_throttling: ClassVar[bool] = False
    #: True when sending the same request again may succeed (throttling, 5xx).
    is_retry_safe: ClassVar[bool] = False

    def __init__(self, code: str, message: str, *, request_id: str = "", status: int = 400) -> None:
        super().__init__(code, message, request_id, status)
        self.code = code
        self.message = message
        self.request_id = request_id
        self.status = status

    def __str__(self) -> str:
        text = f"{self.code}: {self.message}" if self.message else self.code
        details = [f"HTTP {self.status}"]
        if self.request_id:
            details.append(f"request id {self.request_id}")
        return f"{text} ({', '.join(details)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_api_error,
            (type(self), self.code, self.message, self.request_id, self.status),
        )


def _rebuild_api_error(
    cls: type[EC2APIError], code: str, message: str, request_id: str, status: int
) -> EC2APIError:
    return cls(code, message, request_id=request_id, status=status)


class ThrottlingError(EC2APIError):
    """EC2 is limiting the request rate (``RequestLimitExceeded`` and friends)."""

    is_throttling: ClassVar[bool] = True
    is_retry_safe: ClassVar[bool] = True


class NotFoundError(EC2APIError):
    """A resource does not exist, or does not exist *yet* (EC2 is eventually consistent)."""


class AuthError(EC2APIError):
    """The request was not authenticated or not authorized."""


class InvalidParameterError(EC2APIError):
    """EC2 rejected a parameter value or combination."""


class DryRunOperation(EC2APIError):  # noqa: N818 - the class carries EC2's own code name
    """
    ``DryRun=true`` and the request *would* have succeeded.

    EC2 reports this as an error (HTTP 412); it is never retried.
    """


class ServiceError(EC2APIError):
    """EC2 had an internal problem (HTTP 5xx); retried by the standard retry mode."""

    is_retry_safe: ClassVar[bool] = True


class WaiterError(AioEC2Error):
    """A waiter ended without reaching the wanted state."""

    def __init__(self, message: str, *, last_result: object = None) -> None:
        super().__init__(message)
        self.last_result = last_result


class WaiterTimeoutError(WaiterError, TimeoutError):
    """The timeout passed before the wanted state was reached; ``last_result`` is the last one."""


class WaiterFailureError(WaiterError):
    """The resource reached a state from which the wanted one cannot follow (e.g. terminated)."""


class BulkOperationError(AioEC2Error, ExceptionGroup[Exception]):
    """Several parts of a bulk call failed; every failure is in ``.exceptions``."""

    def __new__(cls, message: str, exceptions: Sequence[Exception]) -> Self:
        return super().__new__(cls, message, exceptions)

    # ExceptionGroup.derive is overloaded on Exception/BaseException; ours only ever holds
    # Exceptions, so the narrower signature is the honest one.
    def derive(self, excs: Sequence[Exception], /) -> BulkOperationError:  # type: ignore[override]
        """Build the group that ``split``/``subgroup`` return, keeping this class."""
        return BulkOperationError(self.message, excs)


class PartialBulkError(BulkOperationError):
    """
    A :class:`BulkOperationError` that also carries what did succeed.

    Attributes:
        partial_results: the results of the parts that succeeded (their meaning depends on
            the call: state changes for :func:`change_states`, snapshots for ``wait_all``).

    .. versionadded:: 0.1
    """

    partial_results: tuple[Any, ...]

    def __new__(
        cls, message: str, exceptions: Sequence[Exception], *, partial_results: Iterable[Any] = ()
    ) -> Self:
        self = super().__new__(cls, message, exceptions)
        self.partial_results = tuple(partial_results)
        return self

    def __init__(
        self, message: str, exceptions: Sequence[Exception], *, partial_results: Iterable[Any] = ()
    ) -> None:
        super().__init__(message, exceptions)


# Codes that EC2 and the AWS SDKs treat as throttling (botocore's _THROTTLED_ERROR_CODES
# plus EC2's own RequestLimitExceeded and EC2ThrottledException).
_THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)

_CODE_TABLE: dict[str, type[EC2APIError]] = {
    **dict.fromkeys(_THROTTLING_CODES, ThrottlingError),
    "DryRunOperation": DryRunOperation,
    "AuthFailure": AuthError,
    "UnauthorizedOperation": AuthError,
    "SignatureDoesNotMatch": AuthError,
    "IncompleteSignature": AuthError,
    "InvalidClientTokenId": AuthError,
    "MissingAuthenticationToken": AuthError,
    "OptInRequired": AuthError,
    "Blocked": AuthError,
    "RequestExpired": AuthError,
    "ExpiredToken": AuthError,
    "MissingParameter": InvalidParameterError,
    "MissingAction": InvalidParameterError,
    "InvalidAction": InvalidParameterError,
    "InvalidQueryParameter": InvalidParameterError,
    "MalformedQueryString": InvalidParameterError,
    "UnknownParameter": InvalidParameterError,
    "ValidationError": InvalidParameterError,
    "InternalError": ServiceError,
    "InternalFailure": ServiceError,
    "ServiceUnavailable": ServiceError,
    "Unavailable": ServiceError,
}


def error_from_code(
    code: str, message: str = "", *, request_id: str = "", status: int = 400
) -> EC2APIError:
    """
    Build the most specific :class:`EC2APIError` for an EC2 error code.

    Args:
        code: the ``<Code>`` of the error envelope.
        message: the ``<Message>``.
        request_id: the envelope's ``<RequestID>``.
        status: the HTTP status of the response.

    Returns:
        An instance of the subclass chosen by the table, the ``.NotFound`` suffix rule or the
        ``InvalidParameter``/``.Malformed`` rules; plain :class:`EC2APIError` for unknown codes.
    """
    cls = _CODE_TABLE.get(code)
    if cls is None:
        if code.endswith((".NotFound", ".Unknown")):
            cls = NotFoundError
        elif code.startswith("InvalidParameter") or code.endswith(".Malformed"):
            cls = InvalidParameterError
        elif status == 429:  # Too Many Requests from a proxy or gateway: slow down too
            cls = ThrottlingError
        elif status >= 500:
            cls = ServiceError
        else:
            cls = EC2APIError
    return cls(code, message, request_id=request_id, status=status)
