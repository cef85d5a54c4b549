"""
Cancellation storms: calls, waiters and bulk operations cancelled at random, seeded moments.

Afterwards nothing may be left behind: no connection checked out of the pool and none open
at the server beyond ``max_connections``, no task still pending, nothing reported to the
loop's exception handler (also after a garbage collection: "Task was destroyed but it is
pending", "Future exception was never retrieved"), and the Session still works.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest

import aioec2
from aioec2.errors import AioEC2Error, PartialBulkError
from aioec2.testing import FakeEC2, set_testing
from tests.reliability.conftest import (
    CREDENTIALS,
    IMAGE,
    ConnectionCounter,
    LoopProblems,
    asyncio_log_problems,
    open_session,
)

MAX_CONNECTIONS = 4


@pytest.fixture(autouse=True)
def _no_retry_sleeps(no_retry_sleeps: None) -> None:
    """Retries happen at once."""


def is_fake_task(task: asyncio.Task[Any]) -> bool:
    """True for the tasks of the fake's aiohttp server and of the connection-counting relay."""
    code = getattr(task.get_coro(), "cr_code", None)
    filename = code.co_filename if code is not None else ""
    return (
        "/aiohttp/web_" in filename
        or "/aioec2/testing/" in filename
        or "/tests/reliability/conftest" in filename
    )


def sdk_tasks(before: set[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    """The tasks alive now that were not before and are not the fake's."""
    return [t for t in asyncio.all_tasks() - before if not t.done() and not is_fake_task(t)]


async def settle(condition: Callable[[], bool], *, within: float = 5.0) -> bool:
    """Let the loop run until ``condition()`` holds, for at most ``within`` seconds."""
    async with asyncio.timeout(within):
        # Polled: the state lives in aiohttp's connector and the poller, which signal nothing.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    return True


def pooled_connections(session: aioec2.Session) -> tuple[int, int]:
    """The connector's (checked-out, idle) connection counts."""
    client = session._client
    assert client is not None
    connector = client.connector
    assert connector is not None
    acquired = len(connector._acquired)  # type: ignore[attr-defined]
    idle = sum(len(c) for c in connector._conns.values())  # type: ignore[attr-defined]
    return acquired, idle


async def launch(session: aioec2.Session, count: int) -> list[str]:
    """Launch ``count`` instances (RunInstances of at most 1000); return their ids."""
    ids: list[str] = []
    while len(ids) < count:
        n = min(1000, count - len(ids))
        reservation = await session.run_instances(IMAGE, min_count=n, max_count=n)
        ids += [i.id for i in reservation.instances]
    return ids


def storm(
    session: aioec2.Session, rng: random.Random, booting: list[str], doomed: list[str]
) -> list[Callable[[], Coroutine[Any, Any, object]]]:
    """The work of one storm: single calls, waiters, wait_all, launch_many, chunked terminate."""
    work: list[Callable[[], Coroutine[Any, Any, object]]] = []
    for n in range(60):
        instance_id = rng.choice(booting)
        work.append(
            [
                session.describe_regions,
                lambda i=instance_id: session.describe_instances(instance_ids=[i]),
                lambda i=instance_id, n=n: session.create_tags([i], {"n": str(n)}),
                lambda: session.run_instances(IMAGE),
                session.describe_security_groups,
            ][n % 5]
        )
    work.extend(
        lambda i=instance_id: session.wait_until_instance(i, "running", timeout=30)
        for instance_id in booting
    )
    work += [lambda: session.wait_all(booting, "running", timeout=30)] * 2
    specs = [{"image_id": IMAGE, "max_count": 2}] * 10
    work += [lambda: session.launch_many(specs, concurrency=4)] * 2
    work.append(lambda: session.terminate_instances(doomed))  # two requests: 1000 + 200 ids
    rng.shuffle(work)
    return work


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_cancellation_storm_leaves_nothing_behind(
    seed: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Random cancellations leave no task, no checked-out connection and no error report."""
    rng = random.Random(seed)
    before = set(asyncio.all_tasks())
    async with (
        LoopProblems() as problems,
        FakeEC2(
            boot_time=0.3,
            terminate_time=0.1,
            seed=seed,
            fault_rate=0.3,
            fault_kinds=["delay"],
            fault_delay=0.05,  # requests stay in flight long enough to be cancelled there
        ) as fake,
        ConnectionCounter(fake.url) as counter,
    ):
        async with open_session(counter.url, max_connections=MAX_CONNECTIONS) as session:
            doomed = await launch(session, 1200)
            booting = await launch(session, 40)
            loop = asyncio.get_running_loop()
            tasks = [loop.create_task(make()) for make in storm(session, rng, booting, doomed)]
            cancelled = 0
            for task in tasks:
                if rng.random() < 0.6:
                    loop.call_later(rng.uniform(0, 0.4), task.cancel)
                    cancelled += 1
            async with asyncio.timeout(60):  # a hang guard
                await asyncio.wait(tasks)
            outcomes: dict[str, int] = defaultdict(int)
            for task in tasks:
                if task.cancelled():
                    outcomes["cancelled"] += 1
                    continue
                error = task.exception()
                if error is None:
                    outcomes["done"] += 1
                    continue
                # Nothing was arranged to fail; any error must at least be aioec2's own.
                assert isinstance(error, AioEC2Error), repr(error)
                if isinstance(error, PartialBulkError):
                    assert all(isinstance(e, AioEC2Error) for e in error.exceptions)
                outcomes[type(error).__name__] += 1
            assert outcomes["cancelled"] > 0
            assert outcomes["done"] > 0

            # Nothing left running: the poller stops once its last waiter has gone.
            await settle(lambda: not session.poller.running and not sdk_tasks(before))
            assert [] == sdk_tasks(before)
            assert 0 == session.poller.waiting
            assert 0 == session.poller.in_flight
            # No connection checked out, and no more open than the pool holds.
            await settle(lambda: counter.open <= MAX_CONNECTIONS)
            acquired, idle = pooled_connections(session)
            assert 0 == acquired
            assert idle <= MAX_CONNECTIONS
            assert counter.open <= MAX_CONNECTIONS

            # Still usable: a call and a wait succeed after the storm.
            assert await session.describe_regions()
            instance = await session.wait_until_instance(booting[0], "running", timeout=10)
            assert "running" == instance.state

            # No launch happened twice: each ClientToken made at most one reservation.
            per_token: dict[str | None, set[str]] = defaultdict(set)
            for item in fake.state.instances.values():
                per_token[item.client_token].add(item.reservation_id)
            assert all(1 == len(r) for token, r in per_token.items() if token)
        assert [] == sdk_tasks(before)
        # A cancelled request's socket is closed one turn of the loop after its pool slot is
        # freed, and the next queued request may connect in between: the server can see a
        # connection or two more for a moment. A leak would pile up instead.
        assert counter.most <= 2 * MAX_CONNECTIONS
        reports = problems.collect()
    assert [] == reports
    assert [] == asyncio_log_problems(caplog)
    print(
        f"\nstorm seed={seed}: {len(tasks)} tasks, {cancelled} cancels scheduled, "
        f"outcomes={dict(outcomes)}, server connections most={counter.most} "
        f"accepted={counter.accepted}"
    )


async def cancel_soon(awaitable: Awaitable[object], delay: float) -> bool:
    """Run ``awaitable``, cancelling it after ``delay`` seconds; True if it was cancelled."""
    task = asyncio.ensure_future(awaitable)
    asyncio.get_running_loop().call_later(delay, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        return True
    return False


@pytest.mark.parametrize(
    "what",
    ["call", "wait_until", "wait_all", "launch_many", "terminate_chunked"],
)
async def test_cancelled_in_flight_returns_its_connections(
    what: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Each kind of operation, cancelled while its requests hang, gives its connections back."""
    before = set(asyncio.all_tasks())
    async with (
        LoopProblems() as problems,
        FakeEC2(boot_time=0.05, seed=9) as fake,
        ConnectionCounter(fake.url) as counter,
        open_session(counter.url, max_connections=MAX_CONNECTIONS) as session,
    ):
        ids = await launch(session, 1500)
        await session.wait_all(ids[:1], "running", timeout=10)
        action = {
            "call": "DescribeRegions",
            "wait_until": "DescribeInstances",
            "wait_all": "DescribeInstances",
            "launch_many": "RunInstances",
            "terminate_chunked": "TerminateInstances",
        }[what]
        # Every request of the operation hangs until it is cancelled.
        fake.faults.add(action=action, kind="delay", seconds=5, times=None)
        operation: Awaitable[object] = {
            "call": session.describe_regions,
            "wait_until": lambda: session.wait_until_instance(ids[0], "stopped", timeout=30),
            "wait_all": lambda: session.wait_all(ids, "stopped", timeout=30),
            "launch_many": lambda: session.launch_many([{"image_id": IMAGE}] * 8, concurrency=4),
            "terminate_chunked": lambda: session.terminate_instances(ids),
        }[what]()
        assert await cancel_soon(operation, 0.3)
        await settle(lambda: not session.poller.running and not sdk_tasks(before))
        assert [] == sdk_tasks(before)
        assert (0, 0) == (pooled_connections(session)[0], session.poller.in_flight)
        await settle(lambda: counter.open <= MAX_CONNECTIONS)
        fake.faults.clear()
        assert await session.describe_regions()
    assert [] == problems.collect()
    assert [] == asyncio_log_problems(caplog)


async def test_cancelled_during_retry_back_off(caplog: pytest.LogCaptureFixture) -> None:
    """A call cancelled while it sleeps before a retry leaves nothing behind."""
    before = set(asyncio.all_tasks())
    async with (
        LoopProblems() as problems,
        FakeEC2(seed=10) as fake,
        open_session(fake.url, max_connections=MAX_CONNECTIONS) as session,
    ):
        fake.faults.add(action="DescribeRegions", kind="unavailable", times=None)
        with set_testing(True, delay_scale=100):  # back-off sleeps of up to 100 s
            assert await cancel_soon(session.describe_regions(), 0.3)
        assert 1 <= fake.calls["DescribeRegions"] <= 2
        assert [] == sdk_tasks(before)
        assert 0 == pooled_connections(session)[0]
        fake.faults.clear()
        assert await session.describe_regions()
    assert [] == problems.collect()
    assert [] == asyncio_log_problems(caplog)


async def test_closing_the_session_mid_storm_ends_everything_typed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Closing the Session while calls, waits and bulk work run ends each with a typed error."""
    rng = random.Random(4)
    before = set(asyncio.all_tasks())
    async with (
        LoopProblems() as problems,
        FakeEC2(
            boot_time=5,
            seed=4,
            fault_rate=0.5,
            fault_kinds=["delay"],
            fault_delay=0.2,
        ) as fake,
    ):
        session = aioec2.Session(
            region="us-east-1",
            endpoint_url=fake.url,
            credentials=CREDENTIALS,
            config=aioec2.Config(max_connections=MAX_CONNECTIONS, poll_min_interval=0.01),
        )
        async with session:
            doomed = await launch(session, 1200)
            booting = await launch(session, 40)
            loop = asyncio.get_running_loop()
            tasks = [loop.create_task(make()) for make in storm(session, rng, booting, doomed)]
            await asyncio.sleep(0.15)
        # The session is closed now, with most of the storm still running.
        async with asyncio.timeout(30):  # a hang guard
            await asyncio.wait(tasks)
        errors: dict[str, int] = defaultdict(int)
        for task in tasks:
            error = None if task.cancelled() else task.exception()
            if error is None:
                continue
            assert isinstance(error, AioEC2Error), repr(error)
            if isinstance(error, PartialBulkError):
                assert all(isinstance(e, AioEC2Error) for e in error.exceptions), error.exceptions
            errors[type(error).__name__] += 1
        assert errors["SessionClosedError"] > 0
        await settle(lambda: not sdk_tasks(before))
        assert [] == sdk_tasks(before)
        assert not session.poller.running
    assert [] == problems.collect()
    assert [] == asyncio_log_problems(caplog)
    print(f"\nclosed mid-storm: errors={dict(errors)}")
