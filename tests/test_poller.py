"""The shared poller against FakeEC2: coalescing, NotFound, failures, throttling, cancelling."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

import aioec2
from aioec2.errors import (
    ArgumentError,
    InvalidParameterError,
    NotFoundError,
    ServiceError,
    SessionClosedError,
    WaiterFailureError,
    WaiterTimeoutError,
)
from aioec2.poller import ERROR_TICKS
from aioec2.testing import FakeEC2, VirtualClock, set_testing
from tests.fixtures_waiting import FAST, UNKNOWN, launch, open_ec2


@pytest.fixture(autouse=True)
def _no_retry_sleeps() -> Iterator[None]:
    """Retries inside the session happen at once, so throttling tests stay fast."""
    with set_testing(True):
        yield


async def until(condition: Any) -> None:
    """Yield to the loop until ``condition()`` holds (a counter of the poller's, typically)."""
    while not condition():  # noqa: ASYNC110 - the counters have no event to wait on
        await asyncio.sleep(0.005)


def poll_tasks() -> list[asyncio.Task[Any]]:
    """The poller tasks alive in this loop."""
    return [t for t in asyncio.all_tasks() if t.get_name() == "aioec2.poller" and not t.done()]


def describe_sizes(fake: FakeEC2) -> list[int]:
    """The number of ids in each DescribeInstances request, in arrival order."""
    return [
        sum(1 for name in r.params if name.startswith("InstanceId."))
        for r in fake.requests
        if r.action == "DescribeInstances"
    ]


# ---------------------------------------------------------------- coalescing


async def test_thousand_waiters_cost_one_request_per_tick() -> None:
    """1,000 concurrent waits send exactly one DescribeInstances (of all 1,000 ids) per tick."""
    async with open_ec2(boot_time=0.3) as (fake, s):
        ids = await launch(s, 1000)
        fake.reset_counters()
        instances = await asyncio.gather(*(s.wait_until_instance(i, "running") for i in ids))
        assert {"running"} == {i.state for i in instances}
        assert ids == [i.id for i in instances]
        assert s.poller.ticks == fake.calls["DescribeInstances"]
        assert s.poller.requests == fake.calls["DescribeInstances"]
        assert {1000} == set(describe_sizes(fake))


async def test_ids_go_out_in_batches_of_1000() -> None:
    """2,500 waited-on instances are asked for in requests of 1,000, 1,000 and 500 ids."""
    async with open_ec2(boot_time=0.0) as (fake, s):
        ids = await launch(s, 2500)
        fake.reset_counters()
        instances = await s.wait_all(ids, "running")
        assert 2500 == len(instances)
        assert 3 * s.poller.ticks == fake.calls["DescribeInstances"]
        assert [500, 1000, 1000] == sorted(describe_sizes(fake)[:3])


async def test_poller_stops_when_idle_and_restarts_on_demand() -> None:
    """The poll task ends with the last waiter and a later wait starts a new one."""
    async with open_ec2() as (_fake, s):
        (first,) = await launch(s, 1)
        await s.wait_until_instance(first, "running")
        await until(lambda: not poll_tasks())
        assert (False, 0) == (s.poller.running, s.poller.waiting)
        (second,) = await launch(s, 1)
        assert second == (await s.wait_until_instance(second, "running")).id


async def test_newcomer_resets_the_interval() -> None:
    """After quiet ticks grew the interval, a new waiter brings it back to the minimum."""
    clock = VirtualClock()
    async with open_ec2(clock=clock, boot_time=10.0) as (_fake, s):
        first, second = await launch(s, 2)
        waiting = asyncio.create_task(s.wait_until_instance(first, "running"))
        await until(lambda: s.poller.ticks >= 6)
        assert FAST["poll_max_interval"] == s.poller.interval
        joining = s.poller.watch(second, "running")
        assert (2, FAST["poll_min_interval"]) == (s.poller.waiting, s.poller.interval)
        clock.advance(10.0)
        assert [first, second] == [(await waiting).id, (await joining.future).id]
        s.poller.unwatch(joining)


# ---------------------------------------------------------------- NotFound


async def test_eventual_consistency_is_waited_through() -> None:
    """Instances invisible right after launch (InvalidInstanceID.NotFound) are waited for."""
    async with open_ec2(consistency_lag=0.5) as (fake, s):
        ids = await launch(s, 3)
        instances = await asyncio.gather(*(s.wait_until_instance(i, "running") for i in ids))
        assert ["running"] * 3 == [i.state for i in instances]
        codes = [r.code for r in fake.requests if r.action == "DescribeInstances"]
        assert "InvalidInstanceID.NotFound" == codes[0]


async def test_unknown_id_does_not_hold_back_the_others() -> None:
    """One unknown id in a batch is set aside at once; the known instance is answered."""
    async with open_ec2(config={"not_found_grace": 1.0}) as (fake, s):
        (known,) = await launch(s, 1)
        fake.reset_counters()
        lost = asyncio.create_task(s.wait_until_instance(UNKNOWN, "running"))
        found = asyncio.create_task(s.wait_until_instance(known, "running"))
        done, _ = await asyncio.wait([lost, found], return_when=asyncio.FIRST_COMPLETED)
        assert {found} == done
        assert known == found.result().id
        first, second = fake.requests[:2]
        assert ("InvalidInstanceID.NotFound", {"InstanceId.1": UNKNOWN, "InstanceId.2": known}) == (
            first.code,
            first.params,
        )
        assert ("OK", {"InstanceId.1": known}) == (second.code, second.params)
        with pytest.raises(WaiterFailureError):
            await lost


async def test_never_appearing_id_fails_after_grace() -> None:
    """An id EC2 never knows ends in a WaiterFailureError caused by the NotFound error."""
    async with open_ec2(config={"not_found_grace": 0.2}) as (_fake, s):
        with pytest.raises(WaiterFailureError) as info:
            await s.wait_until_instance(UNKNOWN, "running")
    error = info.value
    assert f"instance {UNKNOWN} still not found (InvalidInstanceID.NotFound) after 0.2 s" == str(
        error
    )
    assert (None, "InvalidInstanceID.NotFound") == (error.last_result, error.__cause__.code)  # type: ignore[union-attr]
    assert isinstance(error.__cause__, NotFoundError)


async def test_malformed_id_fails_alone() -> None:
    """An id EC2 calls malformed fails its waiter at once; the others are answered."""
    async with open_ec2() as (_fake, s):
        (known,) = await launch(s, 1)
        bad = asyncio.create_task(s.wait_until_instance("i-xyz", "running"))
        good = asyncio.create_task(s.wait_until_instance(known, "running"))
        with pytest.raises(InvalidParameterError):
            await bad
        assert known == (await good).id


async def test_bad_arguments_fail_before_sending() -> None:
    """A malformed id or an unknown state is an ArgumentError and nothing is sent."""
    async with open_ec2() as (fake, s):
        with pytest.raises(ArgumentError):
            await s.wait_until_instance("not-an-id", "running")
        with pytest.raises(ArgumentError):
            await s.wait_until_instance(UNKNOWN, "sideways")
        with pytest.raises(ArgumentError):
            await s.wait_until_instance(UNKNOWN, "running", timeout=-1)
        assert 0 == fake.calls["DescribeInstances"]


# ---------------------------------------------------------------- failure states, timeout


async def _arrange(s: aioec2.Session, clock: VirtualClock, state: str) -> str:
    """Bring one new instance to ``state`` on the fake's virtual clock (transitions: 10 s)."""
    (instance_id,) = await launch(s, 1)
    if state in ("running", "stopping"):
        clock.advance(10.0)
    if state == "stopping":
        await s.stop_instances([instance_id])
    if state in ("shutting-down", "terminated"):
        await s.terminate_instances([instance_id])
    if state == "terminated":
        clock.advance(10.0)
    return instance_id


@pytest.mark.parametrize(
    ("target", "state"),
    [
        ("running", "shutting-down"),
        ("running", "terminated"),
        ("running", "stopping"),
        ("stopped", "pending"),
        ("stopped", "terminated"),
        ("terminated", "pending"),
        ("terminated", "stopping"),
    ],
)
async def test_failure_state_stops_the_waiter_at_once(target: str, state: str) -> None:
    """A failure state ends the wait at the first look, with that snapshot in last_result."""
    clock = VirtualClock()
    async with open_ec2(clock=clock, boot_time=10, stop_time=10, terminate_time=10) as (fake, s):
        instance_id = await _arrange(s, clock, state)
        fake.reset_counters()
        with pytest.raises(WaiterFailureError) as info:
            await s.wait_until_instance(instance_id, target)
        assert 1 == fake.calls["DescribeInstances"]
    last = info.value.last_result
    assert (instance_id, state) == (last.id, last.state)  # type: ignore[attr-defined]


async def test_timeout_carries_the_last_snapshot() -> None:
    """A wait that runs out of time raises WaiterTimeoutError with the last snapshot seen."""
    async with open_ec2(clock=VirtualClock(), boot_time=10) as (_fake, s):
        (instance_id,) = await launch(s, 1)
        with pytest.raises(WaiterTimeoutError) as info:
            await s.wait_until_instance(instance_id, "running", timeout=0.5)
        assert isinstance(info.value, TimeoutError)
        assert "pending" == info.value.last_result.state  # type: ignore[attr-defined]
        assert (0, False) == (s.poller.waiting, s.poller.running)


# ---------------------------------------------------------------- errors and throttling


async def test_persistent_errors_reach_the_waiter_after_a_few_ticks() -> None:
    """A DescribeInstances that keeps failing is retried for ERROR_TICKS ticks, then raised."""
    async with open_ec2(config={"max_attempts": 1}) as (fake, s):
        (instance_id,) = await launch(s, 1)
        fake.faults.add(action="DescribeInstances", kind="internal_error", times=None)
        with pytest.raises(ServiceError):
            await s.wait_until_instance(instance_id, "running")
        assert ERROR_TICKS == fake.calls["DescribeInstances"]


async def test_a_failed_tick_is_retried_at_the_next() -> None:
    """One failed tick costs nothing but the tick: the next one answers the waiter."""
    async with open_ec2(config={"max_attempts": 1}) as (fake, s):
        (instance_id,) = await launch(s, 1)
        fake.faults.add(action="DescribeInstances", kind="internal_error", times=1)
        assert "running" == (await s.wait_until_instance(instance_id, "running")).state
        codes = [r.code for r in fake.requests if r.action == "DescribeInstances"]
        assert ["InternalError", "OK"] == codes[:2]


async def test_throttling_slows_the_poller_instead_of_failing_waiters() -> None:
    """While EC2 throttles every poll the interval climbs to the maximum and nobody fails."""
    config = {"max_attempts": 1, "poll_max_interval": 0.08}
    async with open_ec2(config=config) as (fake, s):
        ids = await launch(s, 3)
        fake.faults.add(action="DescribeInstances", kind="throttle", times=None)
        waits = [asyncio.create_task(s.wait_until_instance(i, "running")) for i in ids]
        await until(lambda: s.poller.throttled_ticks >= 4)
        assert 0.08 == s.poller.interval
        assert [False] * 3 == [w.done() for w in waits]
        fake.faults.clear()
        assert ["running"] * 3 == [(await w).state for w in waits]


# ---------------------------------------------------------------- cancelling and closing


async def test_cancelling_one_waiter_leaves_the_others() -> None:
    """A cancelled waiter leaves alone; the others and the poller carry on."""
    clock = VirtualClock()
    async with open_ec2(clock=clock, boot_time=10) as (_fake, s):
        ids = await launch(s, 5)
        waits = [asyncio.create_task(s.wait_until_instance(i, "running")) for i in ids]
        await until(lambda: s.poller.ticks >= 1)
        waits[0].cancel()
        with pytest.raises(asyncio.CancelledError):
            await waits[0]
        assert (4, True) == (s.poller.waiting, s.poller.running)
        clock.advance(10.0)
        assert ids[1:] == [(await w).id for w in waits[1:]]


async def test_cancelling_every_waiter_ends_the_poll_task() -> None:
    """When every waiter is cancelled, the poll task ends."""
    async with open_ec2(clock=VirtualClock(), boot_time=10) as (_fake, s):
        ids = await launch(s, 5)
        waits = [asyncio.create_task(s.wait_until_instance(i, "running")) for i in ids]
        await until(lambda: s.poller.ticks >= 1)
        pollers = poll_tasks()
        assert 1 == len(pollers)
        for w in waits:
            w.cancel()
        await asyncio.wait(waits)
        await asyncio.wait(pollers, timeout=10)  # a safety net, never reached when correct
        assert ([], False, 0) == (poll_tasks(), s.poller.running, s.poller.waiting)


async def test_closing_the_session_ends_every_waiter() -> None:
    """Session.close() ends every waiter with SessionClosedError naming its instance."""
    async with open_ec2(clock=VirtualClock(), boot_time=10) as (_fake, s):
        ids = await launch(s, 3)
        waits = [asyncio.create_task(s.wait_until_instance(i, "running")) for i in ids]
        await until(lambda: s.poller.ticks >= 1)
        await s.close()
        errors = await asyncio.gather(*waits, return_exceptions=True)
        assert [SessionClosedError] * 3 == [type(e) for e in errors]
        assert f"waiting for instance {ids[0]} to be 'running'" in str(errors[0])
        assert [] == poll_tasks()
        with pytest.raises(SessionClosedError):
            await s.wait_until_instance(ids[0], "running")


async def test_a_session_that_cannot_send_ends_its_waiters() -> None:
    """When the session cannot send at all (not open), the waiter gets that error at once."""
    session = aioec2.Session(
        region="us-east-1",
        endpoint_url="http://127.0.0.1:9/",
        credentials=aioec2.Credentials("AKIDPOLLER", "poller-secret"),
        config=aioec2.Config(**FAST),
    )
    poller = session.poller
    with pytest.raises(SessionClosedError, match="not open"):
        await poller.wait(UNKNOWN, "running", timeout=None)
    assert "<Poller idle waiters=0 ticks=1>" == repr(poller)
    await session.close()
    assert "<Poller closed waiters=0 ticks=1>" == repr(poller)
    with pytest.raises(SessionClosedError):
        poller.watch(UNKNOWN, "running")


async def test_many_cancellations_leak_nothing() -> None:
    """Waiters cancelled mid-request leave no task, no request in flight, no connection held."""
    async with open_ec2(clock=VirtualClock(), boot_time=10) as (fake, s):
        ids = await launch(s, 50)
        fake.faults.add(action="DescribeInstances", kind="delay", seconds=0.3, times=None)
        for _ in range(3):
            waits = [asyncio.create_task(s.wait_until_instance(i, "running")) for i in ids]
            await until(lambda: s.poller.in_flight == 1)
            for w in waits:
                w.cancel()
            await asyncio.wait(waits)
            await until(lambda: not poll_tasks())
            assert (0, 0, False) == (s.poller.in_flight, s.poller.waiting, s.poller.running)
            waiter_tasks = [t for t in asyncio.all_tasks() if t in waits and not t.done()]
            assert [] == waiter_tasks
            # aiohttp's pool has no public count of connections in use; this set is it.
            assert 0 == len(s._client.connector._acquired)  # type: ignore[union-attr]
        fake.faults.clear()
        assert "pending" == (await s.wait_until_instance(ids[0], "exists")).state
