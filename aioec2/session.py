"""
The Session: aioec2's one I/O edge.

Everything that touches aiohttp, the clock or ``asyncio.sleep`` lives here; the wire format,
signing, retry maths and parsing are pure functions in :mod:`aioec2._core`. aiohttp
exceptions are translated once, in :func:`_map_transport_errors`, with ``raise ... from exc``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

import aiohttp
from yarl import URL

from aioec2._api.bulk import BulkAPI
from aioec2._api.images import ImagesAPI
from aioec2._api.instances import InstancesAPI
from aioec2._api.key_pairs import KeyPairsAPI
from aioec2._api.regions import RegionsAPI
from aioec2._api.security_groups import SecurityGroupsAPI
from aioec2._api.tags import TagsAPI
from aioec2._api.waiting import WaitingAPI
from aioec2._aws_config import load_profile_config, resolve_profile
from aioec2._core.query import build_body, serialize_operation, serialize_params
from aioec2._core.request import HttpRequest
from aioec2._core.retry import RetryStrategy, is_throttle
from aioec2._core.shapes import Operation
from aioec2._core.xml import parse_error, parse_generic, parse_shaped
from aioec2._operations import operation, service_model
from aioec2._resolve import resolve_endpoint, resolve_region
from aioec2.config import Config
from aioec2.credentials import (
    Credentials,
    CredentialsProvider,
    Fetch,
    FetchResponse,
    RefreshingCredentials,
    StaticProvider,
    default_provider_chain,
)
from aioec2.errors import (
    AioEC2Error,
    ArgumentError,
    CertificateError,
    ConfigurationError,
    ConnectError,
    EC2APIError,
    RequestTimeoutError,
    ResponseParseError,
    SessionClosedError,
    TransportError,
    WrongEventLoopError,
)
from aioec2.signers import Signer, SigV4Signer

__all__ = ["Session", "aiohttp_fetch"]

log = logging.getLogger("aioec2.session")

_FORM = "application/x-www-form-urlencoded; charset=utf-8"
#: Bodies larger than this are parsed in a worker thread so the event loop is not blocked
#: (small answers parse in well under a millisecond, where a thread hop would cost more).
_THREAD_PARSE_BYTES = 256 * 1024
_VERSION = "0.1.0.dev0"


#: What aiohttp and the socket layer raise; _transport_error says which TransportError it is.
_TRANSPORT_FAILURES = (TimeoutError, aiohttp.ClientError, OSError)


def _transport_error(what: str, exc: BaseException) -> TransportError:
    """The member of aioec2's TransportError family an aiohttp or socket failure is."""
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return RequestTimeoutError(f"{what}: timed out")
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | ssl.SSLCertVerificationError):
        return CertificateError(f"{what}: {type(exc).__name__}: {exc}")
    if isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError | OSError):
        return ConnectError(f"{what}: {type(exc).__name__}: {exc}")
    return TransportError(f"{what}: {type(exc).__name__}: {exc}")


@contextlib.contextmanager
def _map_transport_errors(what: str) -> Iterator[None]:
    """Turn aiohttp and socket failures into aioec2's TransportError family."""
    try:
        yield
    except _TRANSPORT_FAILURES as exc:
        raise _transport_error(what, exc) from exc


def aiohttp_fetch(get_client: Callable[[], aiohttp.ClientSession]) -> Fetch:
    """
    Build the small HTTP fetch that credential providers use (container, IMDS).

    Args:
        get_client: a zero-argument callable returning the open ``aiohttp.ClientSession``.
    """

    async def fetch(
        method: str, url: str, *, headers: Mapping[str, str], timeout: float
    ) -> FetchResponse:
        client = get_client()
        with _map_transport_errors(f"{method} {URL(url).with_query(None)}"):
            async with client.request(
                method,
                url,
                headers=dict(headers),
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=False,
            ) as resp:
                return FetchResponse(status=resp.status, body=await resp.read())

    return fetch


class Session(
    ImagesAPI,
    InstancesAPI,
    SecurityGroupsAPI,
    KeyPairsAPI,
    TagsAPI,
    RegionsAPI,
    WaitingAPI,
    BulkAPI,
):
    """
    An asyncio EC2 client: ``async with aioec2.Session() as s: await s.request(...)``.

    Args:
        region: AWS region; else ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile's region.
        credentials: :class:`~aioec2.Credentials` or a provider; else the default chain.
        profile: named profile of the shared config files; else ``AWS_PROFILE``.
        endpoint_url: else ``AWS_ENDPOINT_URL_EC2``, ``AWS_ENDPOINT_URL``, the public endpoint.
        signer: any :class:`~aioec2.signers.Signer`; SigV4 by default.
        config: transport and retry settings.
        http_session: an ``aiohttp.ClientSession`` to use instead of our own; never closed by us.

    Raises:
        ConfigurationError: region, endpoint or profile are missing or malformed.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        *,
        region: str | None = None,
        credentials: Credentials | CredentialsProvider | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        signer: Signer | None = None,
        config: Config | None = None,
        http_session: aiohttp.ClientSession | None = None,
    ) -> None:
        environ = os.environ
        if config is not None and not isinstance(config, Config):
            raise ConfigurationError(
                f"config must be an aioec2.Config, got {type(config).__name__}"
            )
        if signer is not None and not isinstance(signer, Signer):
            raise ConfigurationError(
                f"signer must implement aioec2.signers.Signer, got {type(signer).__name__}"
            )
        if http_session is not None and not isinstance(http_session, aiohttp.ClientSession):
            raise ConfigurationError(
                f"http_session must be an aiohttp.ClientSession, got {type(http_session).__name__}"
            )
        if profile is not None and (not isinstance(profile, str) or not profile):
            raise ConfigurationError(f"profile must be a non-empty string, got {profile!r}")
        self._config = config or Config()
        self._profile = resolve_profile(profile, environ)
        # An explicit profile must exist; so must one named by AWS_PROFILE (as in botocore),
        # except the implicit "default".
        profile_config = load_profile_config(
            self._profile, environ, required=True if profile is not None else None
        )
        self._region = resolve_region(region, environ, profile_config)
        self._endpoint = resolve_endpoint(endpoint_url, self._region, environ)
        self._url = URL(self._endpoint, encoded=True)  # parsed once, not per request
        self._signer: Signer = signer or SigV4Signer()
        self._http_session = http_session
        # What to add to the local clock to get EC2's: set when EC2 refuses a request's time
        # (see _core/skew.py), then applied to every signature of this session.
        self._clock_offset = timedelta(0)
        self._client: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._poller = None  # the shared waiter poller, built on the first wait
        self._retry = RetryStrategy.from_config(self._config)
        self._user_agent = f"{self._config.user_agent} aioec2/{_VERSION}"
        fetch = aiohttp_fetch(self._require_client)
        provider: CredentialsProvider
        if credentials is None:
            provider = default_provider_chain(profile=profile, environ=dict(environ), fetch=fetch)
        elif isinstance(credentials, Credentials):
            provider = StaticProvider(credentials)
        elif isinstance(credentials, CredentialsProvider):
            provider = credentials
        else:
            raise ConfigurationError(
                "credentials must be aioec2.Credentials or a provider with async load(), "
                f"got {type(credentials).__name__}"
            )
        self._credentials = RefreshingCredentials(provider)

    # -- lifecycle ---------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._closed:
            raise SessionClosedError("this Session was closed; create a new one")
        if self._client is not None:
            raise SessionClosedError("this Session is already open; enter it only once")
        self._loop = asyncio.get_running_loop()
        if self._http_session is not None:
            self._client = self._http_session
        else:
            connector = aiohttp.TCPConnector(
                limit=self._config.max_connections,
                limit_per_host=self._config.max_connections,
                keepalive_timeout=30,
            )
            self._client = aiohttp.ClientSession(
                connector=connector,
                # sock_connect, not connect: aiohttp's ``connect`` also counts the time a
                # request waits for a free pooled connection, so a burst larger than
                # max_connections would time out in the queue (and spend retry quota).
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    sock_connect=self._config.connect_timeout,
                    sock_read=self._config.read_timeout,
                ),
            )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool (unless it was injected). Idempotent."""
        self._closed = True
        if self._poller is not None:
            await self._poller.close()  # every waiter ends with SessionClosedError
        client, self._client = self._client, None
        if client is not None and client is not self._http_session:
            await client.close()

    @property
    def region(self) -> str:
        """The region requests are signed for."""
        return self._region

    @property
    def endpoint_url(self) -> str:
        """The EC2 endpoint every request goes to."""
        return self._endpoint

    @property
    def config(self) -> Config:
        """The settings of this session."""
        return self._config

    @property
    def closed(self) -> bool:
        """True once the session was closed."""
        return self._closed

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("open" if self._client else "not opened")
        return f"<aioec2.Session region={self._region!r} endpoint={self._endpoint!r} {state}>"

    def _require_client(self) -> aiohttp.ClientSession:
        if self._client is None:
            if self._closed:
                raise SessionClosedError("this Session is closed; open a new one")
            raise SessionClosedError(
                "this Session is not open; use 'async with aioec2.Session() as s:'"
            )
        if asyncio.get_running_loop() is not self._loop:
            raise WrongEventLoopError(
                "this Session was opened on another event loop; a Session and its "
                "connections belong to the loop that opened it"
            )
        return self._client

    # -- calls -------------------------------------------------------------------------

    async def request(self, action: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """
        Call any EC2 action by name (the escape hatch).

        Args:
            action: the EC2 action, e.g. ``"DescribeRegions"``.
            params: parameters with EC2's wire names; lists become ``Name.N``, mappings
                ``Name.Key``, booleans ``true``/``false``.

        Returns:
            The response body as plain dicts and lists, elements named as in the XML,
            every ``...Set`` a list.

        Raises:
            EC2APIError: EC2 answered with an error (a subclass chosen by its code).
            TransportError: no response could be had after the retries.
        """
        if not isinstance(action, str) or not action.isalnum():
            raise ValueError(
                f"action must be an EC2 action name like 'DescribeRegions', got {action!r}"
            )
        if params is not None and not isinstance(params, Mapping):
            raise TypeError(
                f"params must be a mapping of EC2 parameter names, got {type(params).__name__}"
            )
        body = build_body(action, serialize_params(params), version=self._config.api_version)
        raw = await self.send(action, body)
        limit = self._config.max_response_bytes
        if len(raw) > _THREAD_PARSE_BYTES:
            return await asyncio.to_thread(parse_generic, raw, max_bytes=limit)
        return parse_generic(raw, max_bytes=limit)

    async def call(self, action: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """
        Call a typed EC2 operation with botocore-style member names (``InstanceIds``, ...).

        The request is serialized once, before the retry loop, so an idempotency token
        (``ClientToken``) generated for it stays the same across every retry of this call.

        Returns:
            The parsed output structure, members named as in EC2's service model.

        Raises:
            ArgumentError: ``action`` is not one of the typed operations (use :meth:`request`).
            TypeError: ``params`` is not a mapping, or a member is unknown or mistyped.
        """
        op = _operation(action)
        body = serialize_operation(
            op, _params_mapping(params), version=self._config.api_version, token=_new_token
        )
        raw = await self.send(action, body)
        limit = self._config.max_response_bytes
        if len(raw) > _THREAD_PARSE_BYTES:
            # A 1,000-instance page (~1.4 MB) takes 0.1-0.3 s to parse; in a worker thread the
            # GIL is handed back every few ms, so other tasks on the loop keep running.
            return await asyncio.to_thread(parse_shaped, raw, op.output, max_bytes=limit)
        return parse_shaped(raw, op.output, max_bytes=limit)

    async def paginate(
        self, action: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield each page of a paginated operation, following ``NextToken`` to the end."""
        _operation(action)
        request = dict(_params_mapping(params))
        while True:
            page = await self.call(action, request)
            yield page
            token = page.get("NextToken")
            if not token:
                return
            request["NextToken"] = token

    async def _collect(self, action: str, params: Mapping[str, Any], key: str) -> list[Any]:
        # What the describe_* methods return: member ``key`` of every page, in one list.
        # A plain loop, not paginate(): the typical answer is one page, and two async
        # generator layers cost more per call than the loop's whole bookkeeping.
        request = dict(params)
        items: list[Any] = []
        while True:
            page = await self.call(action, request)
            items.extend(page.get(key, ()))
            token = page.get("NextToken")
            if not token:
                return items
            request["NextToken"] = token

    async def send(self, action: str, body: bytes) -> bytes:
        """
        Sign and send one form-encoded EC2 request, retrying as the retry policy decides.

        Returns the bytes of the successful (2xx) response body. Typed operations are built
        on this; most users want :meth:`request` instead.

        A clock-skew refusal (``RequestExpired`` and the like, see :mod:`aioec2._core.skew`)
        whose ``Date`` header shows the local clock off by more than four minutes sets the
        session's clock offset and is sent again at once, once per call, outside the retry
        attempts and quota, as the AWS SDKs do.
        """
        if not isinstance(action, str) or not action:
            raise TypeError(f"action must be a non-empty str, got {action!r:.60}")
        if not isinstance(body, bytes):
            raise TypeError(f"body must be the form-encoded bytes, got {type(body).__name__}")
        self._require_client()
        loop = asyncio.get_running_loop()
        token = self._retry.new_attempt_state()
        attempt = 0
        clock_corrected = False
        unanswered = 0  # the last attempt that got no answer at all (it may have acted)
        while True:
            attempt += 1
            delay = self._retry.acquire_send_delay(loop.time())
            if delay > 0:
                await asyncio.sleep(delay * _delay_scale())
            try:
                data = await self._attempt(action, body, correct_clock=not clock_corrected)
            except _ClockSkewed as skewed:
                clock_corrected = True
                self._clock_offset = skewed.offset
                seconds = skewed.offset.total_seconds()
                log.warning(
                    "%s was refused for its time (%s): the local clock is %.0f s %s EC2's; "
                    "signing with EC2's time from now on, and sending again",
                    action,
                    skewed.error.code,
                    abs(seconds),
                    "behind" if seconds > 0 else "ahead of",
                )
                continue
            except AioEC2Error as exc:
                self._retry.record_response(loop.time(), throttled=is_throttle(exc))
                decision = self._retry.decide(token, exc)
                if not decision.retry:
                    if unanswered and isinstance(exc, EC2APIError):
                        # e.g. InvalidGroup.Duplicate: maybe our own lost attempt's doing.
                        exc.add_note(
                            f"{action} was sent {attempt} times; attempt {unanswered} got no "
                            "answer and may have taken effect, which this error can reflect"
                        )
                    raise
                if isinstance(exc, TransportError):
                    unanswered = attempt
                log.info(
                    "%s attempt %d failed (%s); retrying in %.3fs",
                    action,
                    attempt,
                    _describe(exc),
                    decision.delay,
                )
                await asyncio.sleep(decision.delay * _delay_scale())
            else:
                self._retry.record_response(loop.time(), throttled=False)
                self._retry.record_success(token)
                return data

    async def _attempt(self, action: str, body: bytes, *, correct_clock: bool = False) -> bytes:
        client = self._require_client()
        credentials = await self._credentials.get() if self._signer.requires_credentials else None
        request = HttpRequest(
            method="POST",
            url=self._endpoint,
            headers=(("Content-Type", _FORM), ("User-Agent", self._user_agent)),
            body=body,
        )
        offset = self._clock_offset  # the clock this attempt signs with, EC2's if it was off
        signed = self._signer.sign(
            request, credentials=credentials, region=self._region, now=datetime.now(UTC) + offset
        )
        started = time.perf_counter()
        status, data, date = await self._transmit(client, signed, action)
        log.debug(
            "%s -> HTTP %d, %d bytes in %.1f ms",
            action,
            status,
            len(data),
            (time.perf_counter() - started) * 1000,
        )
        if not 200 <= status < 300:
            error = parse_error(data, status=status, max_bytes=self._config.max_response_bytes)
            if correct_clock:
                from aioec2._core.skew import clock_offset  # noqa: PLC0415 - only on errors

                now = datetime.now(UTC) + offset
                skew = clock_offset(error.code, error.message, date, local_now=now)
                if skew is not None:
                    raise _ClockSkewed(error, offset + skew)
            raise error
        return data

    async def _transmit(
        self, client: aiohttp.ClientSession, request: HttpRequest, action: str
    ) -> tuple[int, bytes, str | None]:
        # Returns the status, the body and the Date header (for clock-skew correction).
        # encoded=True: the URL was signed byte for byte, so aiohttp must not re-quote it.
        url = self._url if request.url == self._endpoint else URL(request.url, encoded=True)
        limit = self._config.max_response_bytes
        # try/except, not _map_transport_errors: a context manager per request costs more.
        try:
            async with client.request(
                request.method,
                url,
                data=request.body,
                headers=request.headers,
                allow_redirects=False,
            ) as resp:
                declared = resp.content_length
                if declared is not None and declared > limit:
                    raise ResponseParseError(
                        f"{action}: response of {declared} bytes exceeds max_response_bytes={limit}"
                    )
                if declared is not None and "Content-Encoding" not in resp.headers:
                    # The declared length bounds the read (aiohttp stops there), so the body
                    # is read in one go; a compressed body might inflate, so it is counted.
                    data = await resp.read()
                else:
                    data = await _read_capped(resp.content.iter_chunked(65536), limit, action)
                return resp.status, data, resp.headers.get("Date")
        except _TRANSPORT_FAILURES as exc:
            raise _transport_error(action, exc) from exc


async def _read_capped(chunks: AsyncIterator[bytes], limit: int, action: str) -> bytes:
    """Read a body, refusing it as soon as it grows past ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise ResponseParseError(f"{action}: response exceeds max_response_bytes={limit}")
        parts.append(chunk)
    return b"".join(parts)


class _ClockSkewed(Exception):  # noqa: N818 - a private signal between _attempt and send
    """EC2 refused an attempt for its time; ``offset`` corrects the session's clock."""

    def __init__(self, error: EC2APIError, offset: timedelta) -> None:
        super().__init__(error)
        self.error = error
        self.offset = offset


def _operation(action: object) -> Operation:
    try:
        return operation(action)  # type: ignore[arg-type]  # anything else is refused below
    except (KeyError, TypeError):
        names = ", ".join(service_model().operation_names)
        raise ArgumentError(
            f"action must name a typed operation ({names}), got {action!r:.60}; "
            "use Session.request() for any other EC2 action"
        ) from None


def _params_mapping(params: object) -> Mapping[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise TypeError(
            f"params must be a mapping of member names to values, got {type(params).__name__}"
        )
    return params


def _delay_scale() -> float:
    # Retry delays are rare: the test-mode switch is imported when one is due, not at import.
    from aioec2 import _testmode  # noqa: PLC0415

    return _testmode.current().delay_scale


def _new_token() -> str:
    # Only operations with a ClientToken need one: uuid is imported then, not at import.
    import uuid  # noqa: PLC0415

    return str(uuid.uuid4())


def _describe(exc: AioEC2Error) -> str:
    code = getattr(exc, "code", None)
    return f"{type(exc).__name__} {code}" if code else f"{type(exc).__name__}: {exc}"
