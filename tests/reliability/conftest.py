"""
Shared helpers of the reliability tests: open sessions, count connections, watch the loop.

Generic on purpose, so every reliability test can use them:

* :func:`open_session` opens a Session on a FakeEC2 (or any URL) with fast polling.
* :class:`ConnectionCounter` is a TCP relay in front of an endpoint that counts the
  connections open at the server side at any moment (``open``, ``most``, ``accepted``).
* :class:`LoopLag` runs a ticker task and records the worst delay of the event loop.
* :class:`LoopProblems` collects what the loop's exception handler and the ``asyncio``
  logger report: "Task was destroyed but it is pending", "exception was never retrieved".
* :func:`fake_process` runs ``python -m aioec2.testing serve`` in a subprocess, so that a
  test measuring memory or loop lag measures the SDK alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

import aioec2
from aioec2.testing import set_testing

IMAGE = "ami-5bb65932"  # an image every FakeEC2 has
CREDENTIALS = aioec2.Credentials("AKIDRELIABILITY", "reliability-secret")
#: Polling fast enough for a fake whose instances boot in milliseconds.
FAST_POLL: dict[str, Any] = {
    "poll_min_interval": 0.01,
    "poll_max_interval": 0.05,
    "not_found_grace": 2.0,
}


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``load`` marker: part of the suite, deselect with ``-m 'not load'``."""
    config.addinivalue_line(
        "markers", "load: a bounded load test that runs in CI as part of the suite"
    )


@pytest.fixture
def no_retry_sleeps() -> Iterator[None]:
    """Retries inside the session happen at once (``set_testing(True)``), restored after."""
    with set_testing(True):
        yield


@contextlib.asynccontextmanager
async def open_session(url: str, **config: Any) -> AsyncIterator[aioec2.Session]:
    """An open Session on ``url`` signing with :data:`CREDENTIALS`, polling quickly."""
    async with aioec2.Session(
        region="us-east-1",
        endpoint_url=url,
        credentials=CREDENTIALS,
        config=aioec2.Config(**{**FAST_POLL, **config}),
    ) as session:
        yield session


class _Relay(asyncio.Protocol):
    """One side of a relayed connection; passes bytes to its peer transport."""

    def __init__(self, counter: ConnectionCounter | None) -> None:
        self.counter = counter
        self.transport: asyncio.Transport | None = None
        self.peer: _Relay | None = None
        self.pending: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        peer = self.peer
        if peer is not None and peer.transport is not None:
            peer.transport.write(data)
        else:
            self.pending.append(data)  # the upstream connection is still being made

    def eof_received(self) -> bool:
        self.close_peer()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.counter is not None:
            self.counter.closed(self)
        self.close_peer()

    def close_peer(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()


class ConnectionCounter:
    """
    A TCP relay in front of ``target`` that counts the client connections it holds.

    ``open`` is the number open now, ``most`` the highest ever seen, ``accepted`` the total.
    """

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        assert parts.hostname is not None
        assert parts.port is not None
        self._target = (parts.hostname, parts.port)
        self._server: asyncio.Server | None = None
        self.url = ""
        self.open = 0
        self.most = 0
        self.accepted = 0
        self._relays: set[_Relay] = set()

    def closed(self, relay: _Relay) -> None:
        """Count one client connection as gone."""
        self.open -= 1
        self._relays.discard(relay)

    def _accept(self) -> _Relay:
        self.accepted += 1
        self.open += 1
        self.most = max(self.most, self.open)
        downstream = _Relay(self)
        self._relays.add(downstream)
        asyncio.get_running_loop().create_task(self._connect(downstream))
        return downstream

    async def _connect(self, downstream: _Relay) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, upstream = await loop.create_connection(lambda: _Relay(None), *self._target)
        except OSError:
            if downstream.transport is not None:
                downstream.transport.abort()
            return
        upstream.peer, downstream.peer = downstream, upstream
        assert upstream.transport is not None
        for data in downstream.pending:
            upstream.transport.write(data)
        downstream.pending.clear()
        if downstream.transport is None or downstream.transport.is_closing():
            upstream.transport.close()

    async def __aenter__(self) -> ConnectionCounter:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._accept, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.close()
            for relay in list(self._relays):
                if relay.transport is not None:
                    relay.transport.abort()
                relay.close_peer()
            await self._server.wait_closed()


class LoopLag:
    """
    A ticker that sleeps ``interval`` seconds at a time and records the loop's worst lag.

    The lag of one tick is how much later than asked the sleep ended: the time the loop
    spent on something else without coming back to it.
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.worst = 0.0
        self.ticks = 0
        self.phase = ""
        #: The worst lag seen in each phase named by :meth:`mark`.
        self.by_phase: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    def mark(self, phase: str) -> None:
        """Name what the test does from now on; lags are also recorded under this name."""
        self.phase = phase

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.interval)
            lag = loop.time() - before - self.interval
            self.worst = max(self.worst, lag)
            self.by_phase[self.phase] = max(self.by_phase.get(self.phase, 0.0), lag)
            self.ticks += 1

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="loop-lag")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class LoopProblems:
    """
    Collect what the running loop reports to its exception handler while installed.

    Also catches those reports when they come from ``__del__`` during :meth:`collect`.
    """

    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: Any = None

    def _handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        self.reports.append(context)

    def collect(self) -> list[str]:
        """Run the garbage collector and return every report so far, as text."""
        gc.collect()
        gc.collect()
        return [
            f"{context.get('message')}: {context.get('exception')!r} {context.get('task')!r}"
            f"{context.get('future')!r}"
            for context in self.reports
        ]

    async def __aenter__(self) -> LoopProblems:
        self._loop = asyncio.get_running_loop()
        self._previous = self._loop.get_exception_handler()
        self._loop.set_exception_handler(self._handler)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._loop is not None
        self._loop.set_exception_handler(self._previous)


def asyncio_log_problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the asyncio logger's warnings and errors that caplog captured."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "asyncio" and record.levelno >= logging.WARNING
    ]


@contextlib.asynccontextmanager
async def fake_process(*args: str) -> AsyncIterator[str]:
    """Run ``python -m aioec2.testing serve --anonymous ARGS`` and yield its URL."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "aioec2.testing",
        "serve",
        "--anonymous",
        *args,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    # Keep reading what it prints, so the child never blocks on a full pipe.
    lines: asyncio.Queue[bytes] = asyncio.Queue()

    async def read_all(stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            lines.put_nowait(line)
        lines.put_nowait(b"")

    reader = asyncio.get_running_loop().create_task(read_all(proc.stdout))
    try:
        async with asyncio.timeout(30):
            first = (await lines.get()).decode()
        if "serving on " not in first:
            pytest.fail(f"FakeEC2 did not start (said {first!r})")
        yield first.split("serving on ", 1)[1].strip()
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                async with asyncio.timeout(10):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
