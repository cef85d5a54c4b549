"""Bulk work against FakeEC2: launch_many, wait_all and chunked state changes."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from aioec2.bulk import CHUNK_SIZE, LaunchResult, change_states
from aioec2.errors import (
    ArgumentError,
    BulkOperationError,
    NotFoundError,
    PartialBulkError,
    WaiterFailureError,
    WaiterTimeoutError,
)
from aioec2.testing import VirtualClock, set_testing
from tests.fixtures_waiting import IMAGE, UNKNOWN, launch, open_ec2

PACING = {"bulk_retry_delay": 0.02}


@pytest.fixture(autouse=True)
def _no_retry_sleeps() -> Iterator[None]:
    """Retries inside the session happen at once (pacing between launches stays real)."""
    with set_testing(True):
        yield


class Recorder:
    """A progress callback that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))


def assert_progress(calls: list[tuple[int, int]], total: int) -> None:
    """Progress starts at 0, never goes back, and ends at the total."""
    dones = [done for done, _ in calls]
    assert (0, total, {total}) == (dones[0], dones[-1], {t for _, t in calls})
    assert sorted(dones) == dones


# ---------------------------------------------------------------- launch_many


async def test_five_thousand_launches_under_throttling_and_lost_answers() -> None:
    """5,000 instances in 50 specs, throttled and with lost answers: each launched once."""
    limits = {"RunInstances": (5.0, 20.0), "resource:RunInstances": (1000.0, 2000.0)}
    async with open_ec2(
        config={
            **PACING,
            "bulk_max_attempts": 20,
            "poll_min_interval": 0.1,
            "poll_max_interval": 0.5,
        },
        boot_time=0.5,
        throttle=True,
        throttle_limits=limits,
    ) as (fake, s):
        fake.faults.add(action="RunInstances", kind="drop_after", times=5)
        specs = [{"image_id": IMAGE, "min_count": 100, "max_count": 100} for _ in range(50)]
        progress = Recorder()
        result = await s.launch_many(specs, progress=progress)
        assert (50, ()) == (len(result.reservations), result.failures)
        running = await s.wait_all(result.instances, "running")

        assert 5000 == len(fake.state.instances)
        assert {"running"} == {i.state for i in running}
        per_token = Counter(i.client_token for i in fake.state.instances.values())
        assert (50, {100}) == (len(per_token), set(per_token.values()))
        assert {r.instances[0].client_token for r in result.reservations} == set(per_token)
        runs = [r for r in fake.requests if r.action == "RunInstances"]
        assert 5 == sum(1 for r in runs if r.fault == "drop_after")
        assert 0 < sum(1 for r in runs if r.code == "RequestLimitExceeded")
        assert_progress(progress.calls, 50)


async def test_lost_answers_are_retried_with_the_same_token() -> None:
    """A launch whose answer was lost is sent again with its token and launches once."""
    async with open_ec2(config={**PACING, "max_attempts": 1}) as (fake, s):
        fake.faults.add(action="RunInstances", kind="drop_after", times=2)
        result = await s.launch_many([{"image_id": IMAGE, "max_count": 2}])
        tokens = [r.params["ClientToken"] for r in fake.requests if r.action == "RunInstances"]
        assert (3, 1) == (len(tokens), len(set(tokens)))
        assert (2, 2) == (len(result.instances), len(fake.state.instances))


async def test_failed_specs_are_reported_and_the_rest_launched() -> None:
    """A spec EC2 refuses is a failure with its error; the other specs are launched."""
    async with open_ec2() as (fake, s):
        specs = [
            {"image_id": IMAGE},
            {"image_id": "ami-00000000", "key_name": "nobody"},
            {"image_id": IMAGE, "max_count": 3},
        ]
        result = await s.launch_many(specs, concurrency=1)
        counts = (len(result.reservations), len(result.instances), fake.calls["RunInstances"])
        assert (2, 4, 3) == counts
        (failure,) = result.failures
        assert ("ami-00000000", 1) == (failure.spec["image_id"], failure.attempts)
        assert failure.client_token == failure.spec["client_token"]
        assert isinstance(failure.error, NotFoundError)
        with pytest.raises(PartialBulkError) as info:
            result.raise_for_failures()
        assert ([failure.error], result.reservations) == (
            list(info.value.exceptions),
            info.value.partial_results,
        )


async def test_retryable_failures_give_up_after_bulk_max_attempts() -> None:
    """A spec that keeps meeting 5xx errors is tried bulk_max_attempts times, then reported."""
    config = {**PACING, "max_attempts": 1, "bulk_max_attempts": 3}
    async with open_ec2(config=config) as (fake, s):
        fake.faults.add(action="RunInstances", kind="unavailable", times=None)
        result = await s.launch_many([{"image_id": IMAGE}])
        assert ((), 3, 3) == (
            result.reservations,
            result.failures[0].attempts,
            fake.calls["RunInstances"],
        )
        assert not result.ok


async def test_own_client_token_is_kept() -> None:
    """A spec that names its ClientToken launches with it."""
    async with open_ec2() as (_fake, s):
        result = await s.launch_many([{"image_id": IMAGE, "client_token": "my-token-1"}])
        assert "my-token-1" == result.instances[0].client_token
        assert result.ok
        result.raise_for_failures()


@pytest.mark.parametrize(
    ("specs", "error", "match"),
    [
        ([{"image_id": IMAGE, "colour": "blue"}], ArgumentError, r"specs\[0\] has unknown keys"),
        ([{"image_id": IMAGE}, {"max_count": 2}], ArgumentError, r"specs\[1\] has no 'image_id'"),
        ([{"image_id": IMAGE, "max_count": 0}], ArgumentError, r"specs\[0\]: "),
        ([{"image_id": 7}], TypeError, r"specs\[0\]: image_id must be a string"),
        (["ami-5bb65932"], TypeError, r"specs\[0\] must be a mapping"),
        ({"image_id": IMAGE}, TypeError, "wrap a single spec in a list"),
    ],
)
async def test_bad_specs_fail_before_anything_is_sent(specs: Any, error: type, match: str) -> None:
    """Every spec is checked first: one bad spec means nothing is launched."""
    async with open_ec2() as (fake, s):
        with pytest.raises(error, match=match):
            await s.launch_many(specs)
        with pytest.raises(ArgumentError):
            await s.launch_many([{"image_id": IMAGE}], concurrency=0)
        assert 0 == fake.calls["RunInstances"]


# ---------------------------------------------------------------- wait_all


async def test_wait_all_takes_ids_and_instances_in_input_order() -> None:
    """wait_all accepts ids and Instance objects and answers in the order given."""
    async with open_ec2() as (_fake, s):
        reservation = await s.run_instances(IMAGE, min_count=3, max_count=3)
        a, b, c = reservation.instances
        progress = Recorder()
        running = await s.wait_all([c.id, a, b.id], "running", progress=progress)
        assert [c.id, a.id, b.id] == [i.id for i in running]
        assert_progress(progress.calls, 3)
        assert [] == await s.wait_all([], "running")


async def test_wait_all_reports_every_failure_after_all_finished() -> None:
    """One failing instance does not stop the others; all failures come together at the end."""
    clock = VirtualClock()
    async with open_ec2(config={"not_found_grace": 0.1}, clock=clock, boot_time=10) as (_f, s):
        ids = await launch(s, 3)
        await s.terminate_instances([ids[1]])
        clock.advance(10.0)
        with pytest.raises(PartialBulkError) as info:
            await s.wait_all([ids[0], ids[1], UNKNOWN, ids[2]], "running")
    error = info.value
    assert isinstance(error, BulkOperationError)
    assert [WaiterFailureError, WaiterFailureError] == [type(e) for e in error.exceptions]
    assert "terminated" == error.exceptions[0].last_result.state  # type: ignore[attr-defined]
    results = error.partial_results
    assert [ids[0], None, None, ids[2]] == [r.id if r else None for r in results]


async def test_wait_all_timeout_reports_each_unfinished_instance() -> None:
    """When the call's timeout passes, each unfinished wait is a WaiterTimeoutError."""
    async with open_ec2(clock=VirtualClock(), boot_time=10) as (_fake, s):
        ids = await launch(s, 2)
        with pytest.raises(PartialBulkError) as info:
            await s.wait_all(ids, "running", timeout=0.5)
        states = [e.last_result.state for e in info.value.exceptions]  # type: ignore[attr-defined]
        assert [WaiterTimeoutError] * 2 == [type(e) for e in info.value.exceptions]
        assert ["pending", "pending"] == states
        assert (0, False) == (s.poller.waiting, s.poller.running)


async def test_wait_all_refuses_a_lone_id() -> None:
    """A single id string is refused rather than waited on letter by letter."""
    async with open_ec2() as (_fake, s):
        with pytest.raises(TypeError, match="wrap a single one"):
            await s.wait_all(UNKNOWN, "running")


# ---------------------------------------------------------------- change_states


async def test_2500_ids_go_out_in_three_concurrent_requests() -> None:
    """2,500 ids become requests of 1,000, 1,000 and 500, all sent before any answer."""
    async with open_ec2() as (fake, s):
        ids = await launch(s, 2500)
        fake.faults.add(action="TerminateInstances", kind="delay", seconds=0.5, times=None)
        sent_before_first_answer: list[int] = []

        def progress(done: int, total: int) -> None:
            if done and not sent_before_first_answer:
                sent_before_first_answer.append(fake.calls["TerminateInstances"])

        changes = await change_states(s, "TerminateInstances", ids, progress=progress)
        sizes = [
            sum(1 for name in r.params if name.startswith("InstanceId."))
            for r in fake.requests
            if r.action == "TerminateInstances"
        ]
        assert [CHUNK_SIZE, CHUNK_SIZE, 500] == sorted(sizes, reverse=True)
        assert [3] == sent_before_first_answer
        assert ids == [c.instance_id for c in changes]
        assert {"shutting-down"} == {c.current_state.name for c in changes}  # type: ignore[union-attr]


async def test_a_failing_chunk_is_reported_and_the_others_kept() -> None:
    """An unknown id fails its own request only; the other requests' changes are kept."""
    async with open_ec2(clock=VirtualClock(), terminate_time=10) as (fake, s):
        ids = await launch(s, 2500)
        ids.insert(1500, UNKNOWN)  # in the second request
        with pytest.raises(PartialBulkError) as info:
            await change_states(s, "TerminateInstances", ids)
        (error,) = info.value.exceptions
        assert isinstance(error, NotFoundError)
        assert f"TerminateInstances request 2 of 3: 1000 instances, {ids[1000]} .. {ids[1999]}" in (
            error.__notes__
        )
        kept = [c.instance_id for c in info.value.partial_results]
        assert ids[:1000] + ids[2000:] == kept
        states = Counter(i.state for i in fake.state.instances.values())
        assert {"shutting-down": 1501, "pending": 999} == dict(states)


async def test_one_request_raises_its_own_error() -> None:
    """Up to 1,000 ids it is one request, and its error is raised as it is."""
    async with open_ec2() as (_fake, s):
        with pytest.raises(NotFoundError):
            await change_states(s, "TerminateInstances", [UNKNOWN])


async def test_stop_and_start_take_extra_params() -> None:
    """StopInstances carries extra members (Force) to every request; StartInstances works too."""
    async with open_ec2() as (fake, s):
        ids = await launch(s, 2)
        await s.wait_all(ids, "running")
        stopping = await change_states(s, "StopInstances", ids, params={"Force": True})
        assert ["stopping", "stopping"] == [c.current_state.name for c in stopping]  # type: ignore[union-attr]
        assert "true" == fake.requests[-1].params["Force"]
        await s.wait_all(ids, "stopped")
        starting = await change_states(s, "StartInstances", ids)
        assert ["pending", "pending"] == [c.current_state.name for c in starting]  # type: ignore[union-attr]


async def test_change_states_checks_its_arguments() -> None:
    """An unknown action, no ids or a lone string is refused before sending."""
    async with open_ec2() as (fake, s):
        with pytest.raises(ArgumentError, match="action must be one of"):
            await change_states(s, "RebootInstances", [UNKNOWN])
        with pytest.raises(ArgumentError, match="at least one"):
            await change_states(s, "TerminateInstances", [])
        with pytest.raises(TypeError):
            await change_states(s, "TerminateInstances", UNKNOWN)
        assert 0 == sum(fake.calls.values())


def test_launch_result_with_nothing() -> None:
    """An empty result has no instances and nothing to raise."""
    result = LaunchResult(reservations=(), failures=())
    assert ((), True) == (result.instances, result.ok)
    result.raise_for_failures()


async def test_progress_exceptions_propagate() -> None:
    """A progress callback that raises stops the call with its error (in a group)."""

    def broken(done: int, total: int) -> None:
        raise RuntimeError("progress bar broke")

    async with open_ec2() as (_fake, s):
        with pytest.raises(ExceptionGroup) as info:
            await s.launch_many([{"image_id": IMAGE}], progress=broken)
        assert info.group_contains(RuntimeError, match="progress bar broke")
        await asyncio.sleep(0)
