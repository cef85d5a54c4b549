"""
Load through one Session: 10,000 concurrent waiters and 20,000 requests on 4 connections.

FakeEC2 runs in a subprocess, so the memory and the event-loop lag measured here are the
SDK's own; a TCP relay in front of it counts the connections open at the server side. The
numbers are printed (``pytest -s``) and written down in ``docs/reliability.md``; the asserts
are generous bounds against leaks, blocking and a broken pool, never timings.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from pathlib import Path

import pytest

import aioec2
from aioec2.models.instance import Instance
from aioec2.testing import FakeEC2
from tests.reliability.conftest import (
    IMAGE,
    ConnectionCounter,
    LoopLag,
    fake_process,
    open_session,
)

INSTANCES = 10_000
ROUNDS = 5
REQUESTS_PER_ROUND = 4_000  # 20,000 in all
MAX_CONNECTIONS = 4
SLICE = 500  # tasks started per turn of the loop
MEASURING = "gc.collect() and measuring"


def rss_bytes() -> int:
    """The resident set size of this process (Linux ``/proc``), or 0 where there is none."""
    status = Path("/proc/self/status")
    if not status.exists():
        return 0
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def small_request(session: aioec2.Session, n: int, instance_id: str) -> None:
    """One of three small calls, chosen by ``n``."""
    match n % 3:
        case 0:
            assert await session.describe_regions()
        case 1:
            [reservation] = await session.describe_instances(instance_ids=[instance_id])
            assert instance_id == reservation.instances[0].id
        case _:
            await session.create_tags([instance_id], {"n": str(n)})


@pytest.mark.load
async def test_ten_thousand_waiters_and_twenty_thousand_requests() -> None:
    """The pool holds 4 connections, memory stays flat over 5 rounds, the loop keeps moving."""
    blocks: list[int] = []
    rss: list[int] = []
    poller_requests: list[int] = []
    async with (
        fake_process("--boot-time", "0.05", "--stop-time", "0.05", "--seed", "11") as url,
        ConnectionCounter(url) as counter,
        open_session(
            counter.url,
            max_connections=MAX_CONNECTIONS,
            poll_min_interval=0.02,
            poll_max_interval=0.2,
        ) as session,
        LoopLag() as lag,
    ):
        async with asyncio.timeout(240):  # a hang guard, far above the expected run time
            ids: list[str] = []
            lag.mark("launch 10 x 1000")
            for _ in range(INSTANCES // 1000):
                reservation = await session.run_instances(IMAGE, min_count=1000, max_count=1000)
                ids += [i.id for i in reservation.instances]
            assert INSTANCES == len(set(ids))
            for n in range(ROUNDS):
                # Stop them all, then start them all, in alternate rounds: 10,000 waiters sit
                # on the shared poller while 4,000 small requests share the same 4 connections.
                lag.mark("stop or start 10,000")
                if n % 2 == 0:
                    await session.stop_instances(ids)
                    target = "stopped"
                else:
                    await session.start_instances(ids)
                    target = "running"
                before = session.poller.requests
                lag.mark("start 14,000 tasks")
                waits: list[asyncio.Task[Instance]] = []
                calls: list[asyncio.Task[None]] = []
                # Started SLICE at a time, letting the loop turn in between: 14,000 tasks
                # started at once would run their first steps (checks, serializing, signing,
                # about 80 us each) in one turn of the loop, which measures the test's burst
                # rather than any one blocking step of the SDK.
                for k in range(0, INSTANCES, SLICE):
                    waits += [
                        asyncio.create_task(session.wait_until_instance(i, target, timeout=120))
                        for i in ids[k : k + SLICE]
                    ]
                    await asyncio.sleep(0)
                for k in range(0, REQUESTS_PER_ROUND, SLICE):
                    calls += [
                        asyncio.create_task(small_request(session, j, ids[j % INSTANCES]))
                        for j in range(k, k + SLICE)
                    ]
                    await asyncio.sleep(0)
                lag.mark("waits and requests")
                snapshots = await asyncio.gather(*waits)
                await asyncio.gather(*calls)
                assert {target} == {s.state for s in snapshots}
                poller_requests.append(session.poller.requests - before)
                lag.mark(MEASURING)  # the test's own gc.collect(): not the SDK's doing
                del waits, calls, snapshots
                gc.collect()
                blocks.append(sys.getallocatedblocks())
                rss.append(rss_bytes())
                await asyncio.sleep(0.02)  # let the ticker see the collection's lag here
        connector = session._client.connector if session._client is not None else None
        assert connector is not None
        pooled = sum(len(c) for c in connector._conns.values())  # type: ignore[attr-defined]
    growth_blocks = blocks[-1] - blocks[0]
    growth_rss = rss[-1] - rss[0]
    print(
        f"\nload: connections most={counter.most} accepted={counter.accepted} pooled={pooled}"
        f"\nload: poller requests per round={poller_requests}"
        f"\nload: allocated blocks per round={blocks} (growth {growth_blocks:+d})"
        f"\nload: RSS MiB per round={[round(r / 2**20, 1) for r in rss]}"
        f" (growth {growth_rss / 2**20:+.1f} MiB)"
        f"\nload: worst loop lag {lag.worst * 1000:.0f} ms over {lag.ticks} ticks; by phase "
        + ", ".join(f"{phase}: {worst * 1000:.0f} ms" for phase, worst in lag.by_phase.items())
    )
    sdk_lag = max(worst for phase, worst in lag.by_phase.items() if phase != MEASURING)
    # The pool: never more connections than max_connections, and they were reused.
    assert 1 <= counter.most <= MAX_CONNECTIONS
    assert counter.accepted <= 2 * MAX_CONNECTIONS
    # Coalescing: 10,000 waiters cost 10 DescribeInstances a tick, a few ticks a round.
    assert all(0 < count <= 200 for count in poller_requests), poller_requests
    # Flat memory: a leak of one object per request or per waiter would add 14,000 blocks a
    # round (56,000 from round 1 to 5); allow a third of that for caches and noise.
    assert growth_blocks < 20_000, blocks
    assert growth_rss < 64 * 2**20, rss
    # The loop was never blocked for long. The longest single steps are parsing one
    # 1000-instance page (1.4 MB: 0.1 to 0.35 s with the garbage collector's passes over this
    # big heap) and handing 10,000 snapshots to their waiters (about 0.33 s); the pool's 4
    # connections can deliver 4 such pages in one turn of the loop, so the lag measured is
    # 0.6 to 1.5 s (docs/reliability.md). A blocking call or work growing with the square of
    # the waiters would take far longer than this bound.
    assert sdk_lag < 2.5, lag.by_phase


async def test_waiting_for_a_pooled_connection_is_not_a_connect_timeout() -> None:
    """Calls queued behind a full pool wait their turn; connect_timeout bounds connecting only."""
    async with (
        FakeEC2(seed=12) as fake,
        open_session(fake.url, max_connections=1, connect_timeout=0.1, max_attempts=1) as session,
    ):
        fake.faults.add(action="DescribeRegions", kind="delay", seconds=0.15, times=None)
        results = await asyncio.gather(
            *(session.describe_regions() for _ in range(4)), return_exceptions=True
        )
        assert [] == [r for r in results if isinstance(r, BaseException)]
        assert 4 == fake.calls["DescribeRegions"]
