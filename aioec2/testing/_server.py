"""
FakeEC2: the state machine behind a thin aiohttp.web front on 127.0.0.1.

This is the only module of :mod:`aioec2.testing` that imports aiohttp. It turns each HTTP
request into a :class:`~aioec2.testing._auth.RawRequest`, hands it to the pure pipeline in
``_service`` and carries out the answer: respond, respond late, or drop the connection.
"""

from __future__ import annotations

import asyncio
import secrets
import string
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Self
from urllib.parse import parse_qsl

from aiohttp import web

from aioec2.credentials import Credentials
from aioec2.testing._auth import RawRequest
from aioec2.testing._faults import Faults
from aioec2.testing._render import render_error
from aioec2.testing._service import Outcome, RequestRecord, Service
from aioec2.testing._state import EC2State, Timings
from aioec2.testing._throttle import Throttle

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from aioec2.testing._clock import Clock

__all__ = ["FakeEC2"]

_CONTENT_TYPE = "text/xml;charset=UTF-8"  # what EC2 answers with


def _generated_credentials() -> Credentials:
    alphabet = string.ascii_uppercase + string.digits
    key_id = "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))
    return Credentials(key_id, secrets.token_urlsafe(30)[:40])


class FakeEC2:
    """
    An in-process EC2 endpoint for tests, with EC2's timing, consistency and failure modes.

    ``async with FakeEC2() as fake:`` serves on ``fake.url`` (127.0.0.1, a free port) until
    the block ends. Instances move pending -> running after ``boot_time`` seconds of its
    clock, new resources stay invisible for ``consistency_lag`` seconds, RunInstances honours
    ClientToken, MinCount/MaxCount and ``capacity``, and throttling, faults and signature
    checks are there when asked for.

    Args:
        boot_time: seconds from pending to running.
        stop_time: seconds from stopping to stopped.
        terminate_time: seconds from shutting-down to terminated.
        terminated_ttl: seconds a terminated instance stays visible.
        consistency_lag: seconds a new instance, security group or key pair stays invisible.
        capacity: instances that may hold hardware at once: pending, running, stopping or
            shutting-down (None: no limit).
        throttle: apply EC2's documented request limits (``RequestLimitExceeded``).
        throttle_limits: ``(capacity, refill per second)`` by bucket, overriding EC2's
            defaults; see :class:`aioec2.testing._throttle.Throttle`.
        fault_rate: the probability that any request meets a random fault.
        fault_kinds: the kinds random faults are drawn from.
        fault_delay: how long, seconds, a random ``delay`` fault holds its answer back.
        seed: seeds ids, key material, request ids and random faults, so a run replays.
        credentials: accept only requests signed with these (SigV4 or SigV2); True makes
            up a pair, exposed as :attr:`credentials`; None accepts any request.
        allow_anonymous: with credentials, still accept unsigned requests.
        clock: the clock; a :class:`~aioec2.testing.VirtualClock` lets a test move time.
        region: the region served (and the one a SigV4 scope must name).
        account_id: the caller's account id.
        rsa_key_bits: the size of the RSA keys CreateKeyPair makes (EC2's is 2048;
            smaller is faster in tests).
        host: the address to listen on.
        port: the port to listen on (0: any free port).

    Attributes:
        state: the :class:`~aioec2.testing.EC2State` behind the endpoint, for a test that
            wants to look at (or arrange) resources directly.
        faults: the :class:`~aioec2.testing.Faults` to script, e.g.
            ``fake.faults.add(action="RunInstances", kind="drop_after", times=1)``.
        throttle: the request limits in force, or None when ``throttle`` is False.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        *,
        boot_time: float = 0.5,
        stop_time: float = 0.5,
        terminate_time: float = 0.5,
        terminated_ttl: float = 3600.0,
        consistency_lag: float = 0.0,
        capacity: int | None = None,
        throttle: bool = False,
        throttle_limits: Mapping[str, tuple[float, float]] | None = None,
        fault_rate: float = 0.0,
        fault_kinds: Iterable[str] | None = None,
        fault_delay: float = 1.0,
        seed: int | None = None,
        credentials: Credentials | bool | None = None,
        allow_anonymous: bool = False,
        clock: Clock | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        rsa_key_bits: int = 2048,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        timings = Timings(
            boot_time=boot_time,
            stop_time=stop_time,
            terminate_time=terminate_time,
            terminated_ttl=terminated_ttl,
            consistency_lag=consistency_lag,
        )
        if credentials is True:
            credentials = _generated_credentials()
        elif credentials is False:
            credentials = None
        self.state = EC2State(
            clock=clock,
            timings=timings,
            capacity=capacity,
            region=region,
            account_id=account_id,
            seed=seed,
            rsa_key_bits=rsa_key_bits,
        )
        self.faults = Faults(rate=fault_rate, seed=seed, kinds=fault_kinds, delay=fault_delay)
        self.throttle = Throttle(throttle_limits) if throttle else None
        self._service = Service(
            self.state,
            faults=self.faults,
            throttle=self.throttle,
            credentials=credentials,
            allow_anonymous=allow_anonymous,
        )
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._url: str | None = None

    def __repr__(self) -> str:
        where = self._url or "not started"
        return f"<FakeEC2 {where} region={self.state.region!r}>"

    # -- what tests look at ------------------------------------------------------------

    @property
    def url(self) -> str:
        """The endpoint URL, ``http://127.0.0.1:<port>/``; an error before :meth:`start`."""
        if self._url is None:
            raise RuntimeError("FakeEC2 is not serving; use 'async with FakeEC2() as fake:'")
        return self._url

    @property
    def clock(self) -> Clock:
        """The clock the fake reads."""
        return self.state.clock

    @property
    def region(self) -> str:
        """The region served."""
        return self.state.region

    @property
    def credentials(self) -> Credentials | None:
        """The credentials requests must be signed with, or None when any request is fine."""
        return self._service.credentials

    @property
    def requests(self) -> list[RequestRecord]:
        """The requests received, oldest first: the last 50,000 to 100,000 of them."""
        return self._service.requests

    @property
    def calls(self) -> Counter[str]:
        """How many requests each action received (throttled and failed ones too)."""
        return self._service.calls

    def reset_counters(self) -> None:
        """Forget :attr:`requests` and :attr:`calls`; the resources stay."""
        self._service.reset_counters()

    # -- serving -----------------------------------------------------------------------

    async def start(self) -> str:
        """
        Start serving.

        Returns:
            The endpoint URL.
        """
        if self._runner is not None:
            raise RuntimeError("FakeEC2 is already serving")
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # A short shutdown timeout: a request held by a delay fault must not hold up close().
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        # One worker thread runs the state machine: requests stay in arrival order and never
        # race, and the slow parts (generating an RSA key) never block the event loop that
        # the code under test shares with the fake.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="FakeEC2")
        host, port = runner.addresses[0][:2]
        self._url = f"http://{host}:{port}/"
        return self._url

    async def close(self) -> None:
        """Stop serving; idempotent."""
        runner, self._runner = self._runner, None
        executor, self._executor = self._executor, None
        self._url = None
        if runner is not None:
            await runner.cleanup()
        if executor is not None:
            executor.shutdown(wait=True)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        try:
            params = dict(parse_qsl(request.query_string, keep_blank_values=True))
            if request.method == "POST" and body:
                params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            outcome = Outcome(
                status=400,
                body=render_error("MalformedQueryString", "The body is not UTF-8", ""),
                code="MalformedQueryString",
            )
        else:
            raw = RawRequest(
                method=request.method,
                path=request.raw_path,
                headers=tuple(
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in request.raw_headers
                ),
                body=body,
                params=params,
            )
            loop = asyncio.get_running_loop()
            outcome = await loop.run_in_executor(self._executor, self._service.handle, raw)
        if outcome.delay:
            await asyncio.sleep(outcome.delay)
        if outcome.drop:
            # Close the socket without a word: the client sees the server disconnect.
            if request.transport is not None:
                request.transport.abort()
            return web.Response()
        return web.Response(
            status=outcome.status, body=outcome.body, headers={"Content-Type": _CONTENT_TYPE}
        )
