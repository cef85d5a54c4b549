"""
The in-process scenarios: throughput and latency against the canned-response server.

Every scenario runs in rounds, and a round in short slices: in each slice every client makes
a few calls (a fraction of a second's worth), in an order that rotates from slice to slice,
so a burst of load from elsewhere on a shared machine hits all clients alike instead of
whichever one happened to be measured. A round's value for a client is its calls over its
time, summed over the slices. Each client warms up (connections open, caches filled) at the
start of a round, then ``gc.collect()`` runs; the collector stays on while measuring, as it
does for users. The server's CPU time is added up meanwhile.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from clients import ASYNC_CLIENTS, AsyncCall, Ids, SyncCall, make_async, make_sync
from server import ServerProcess

__all__ = ["ALL_CLIENTS", "Plan", "Scenario", "run_network_scenarios"]

BOTO3 = "boto3"
ALL_CLIENTS = ("aioec2", "aiobotocore", BOTO3, "raw aiohttp", "raw + xmltodict")


@dataclass(kw_only=True)
class Scenario:
    """The samples of one scenario: per client, one value per round."""

    key: str
    title: str
    unit: str
    higher_is_better: bool
    samples: dict[str, list[float]] = field(default_factory=dict)
    #: client -> [server CPU seconds, wall seconds], summed over its measurements
    server: dict[str, list[float]] = field(default_factory=dict)
    note: str = ""
    skipped: str = ""

    def add(self, client: str, value: float) -> None:
        self.samples.setdefault(client, []).append(value)

    def add_server(self, client: str, cpu: float, wall: float) -> None:
        totals = self.server.setdefault(client, [0.0, 0.0])
        totals[0] += cpu
        totals[1] += wall

    def server_share(self) -> tuple[str, float] | None:
        """The client that kept the server busiest, and the server's CPU share then."""
        shares = [(cpu / wall, client) for client, (cpu, wall) in self.server.items() if wall]
        if not shares:
            return None
        share, client = max(shares)
        return client, share


@dataclass(frozen=True, kw_only=True)
class Plan:
    """How much to measure: rounds, and slices of calls per round."""

    rounds: int
    slices: int
    small_calls: int  # per slice, sequential
    concurrent_calls: int  # per slice, a multiple of width
    big_slices: int  # one 1,000-instance call per slice
    other_rounds: int
    other_calls: int  # per slice
    cold_rounds: int
    memory_rounds: int
    signing_rounds: int
    signing_count: int
    fleet_rounds: int
    budget_repeat: int
    width: int = 64

    @classmethod
    def quick(cls) -> Plan:
        """About a minute and a half on a quiet two-core machine."""
        return cls(
            rounds=5,
            slices=4,
            small_calls=75,
            concurrent_calls=256,
            big_slices=2,
            other_rounds=3,
            other_calls=30,
            cold_rounds=5,
            memory_rounds=1,
            signing_rounds=5,
            signing_count=2000,
            fleet_rounds=1,
            budget_repeat=3,
        )

    @classmethod
    def full(cls) -> Plan:
        """About seven minutes on a quiet two-core machine."""
        return cls(
            rounds=11,
            slices=10,
            small_calls=100,
            concurrent_calls=320,
            big_slices=4,
            other_rounds=5,
            other_calls=50,
            # A fresh process's time swings by a third from one sample to the next on a
            # shared VM: more rounds keep the median ratio steady (about 25 s more).
            cold_rounds=21,
            memory_rounds=3,
            signing_rounds=11,
            signing_count=5000,
            fleet_rounds=3,
            budget_repeat=7,
        )


def _rotated(items: tuple[str, ...], shift: int) -> tuple[str, ...]:
    shift %= len(items)
    return items[shift:] + items[:shift]


class _Meter:
    """Wall time of one measurement and the server's CPU time during it."""

    def __init__(self, server: ServerProcess) -> None:
        self._server = server
        self.elapsed = 0.0
        self.cpu = 0.0

    def __enter__(self) -> _Meter:
        self._cpu = self._server.cpu_seconds()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.elapsed = time.perf_counter() - self._start
        self.cpu = self._server.cpu_seconds() - self._cpu


async def _sequential_async(call: AsyncCall, n: int, meter: _Meter) -> float:
    with meter:
        for _ in range(n):
            await call()
    return meter.elapsed


def _sequential_sync(call: SyncCall, n: int, meter: _Meter) -> float:
    with meter:
        for _ in range(n):
            call()
    return meter.elapsed


async def _concurrent_async(call: AsyncCall, total: int, width: int, meter: _Meter) -> float:
    async def worker(count: int) -> None:
        for _ in range(count):
            await call()

    with meter:
        await asyncio.gather(*(worker(total // width) for _ in range(width)))
    return meter.elapsed


def _concurrent_threads(
    pool: ThreadPoolExecutor, call: SyncCall, total: int, width: int, meter: _Meter
) -> float:
    start = threading.Barrier(width + 1)

    def worker(count: int) -> None:
        start.wait()
        for _ in range(count):
            call()

    futures = [pool.submit(worker, total // width) for _ in range(width)]
    with meter:
        start.wait()
        for future in futures:
            future.result()
    return meter.elapsed


class _Runner:
    """Runs slices of calls for any client; one pool of threads for boto3's concurrency."""

    def __init__(self, server: ServerProcess, ids: Ids, width: int) -> None:
        self.asyncs = {name: make_async(name, server.url, ids) for name in ASYNC_CLIENTS}
        self.boto3 = make_sync(server.url, ids)
        self.meter = _Meter(server)
        self.width = width
        self.pool = ThreadPoolExecutor(width)

    async def warm(self, client: str, case: str, *, concurrent: bool, count: int) -> None:
        """Open the connections and fill the caches a slice will use."""
        count = self.width if concurrent else count
        if client == BOTO3:
            call = self.boto3.call(case)
            for future in [self.pool.submit(call) for _ in range(count)]:
                future.result()
        else:
            acall = await self.asyncs[client].call(case)
            await asyncio.gather(*(acall() for _ in range(count)))

    async def slice(self, client: str, case: str, calls: int, *, concurrent: bool) -> float:
        """Seconds for ``calls`` calls (sequential, or ``width`` in flight)."""
        if client == BOTO3:
            call = self.boto3.call(case)
            if concurrent:
                return _concurrent_threads(self.pool, call, calls, self.width, self.meter)
            return _sequential_sync(call, calls, self.meter)
        acall = await self.asyncs[client].call(case)
        if concurrent:
            return await _concurrent_async(acall, calls, self.width, self.meter)
        return await _sequential_async(acall, calls, self.meter)

    async def close(self) -> None:
        self.pool.shutdown()
        for client in self.asyncs.values():
            await client.close()
        self.boto3.close()


async def _measure(
    runner: _Runner,
    scenario: Scenario,
    *,
    case: str,
    rounds: int,
    slices: int,
    calls: int,
    concurrent: bool = False,
    ms_per_call: bool = False,
    warmup: int = 2,
) -> Scenario:
    for number in range(rounds):
        for client in ALL_CLIENTS:
            await runner.warm(client, case, concurrent=concurrent, count=warmup)
        gc.collect()
        seconds = dict.fromkeys(ALL_CLIENTS, 0.0)
        for part in range(slices):
            for client in _rotated(ALL_CLIENTS, number + part):
                seconds[client] += await runner.slice(client, case, calls, concurrent=concurrent)
                scenario.add_server(client, runner.meter.cpu, runner.meter.elapsed)
        for client in ALL_CLIENTS:
            done = calls * slices
            value = seconds[client] / done * 1000 if ms_per_call else done / seconds[client]
            scenario.add(client, value)
    return scenario


_OTHER_CASES = (
    ("run", "RunInstances (1 instance)"),
    ("terminate", "TerminateInstances (1 instance)"),
    ("groups", "DescribeSecurityGroups (1 group)"),
    ("images", "DescribeImages (5 images)"),
)


async def run_network_scenarios(
    server: ServerProcess, ids: Ids, plan: Plan, progress: Callable[[str], None]
) -> list[Scenario]:
    """Run every scenario that talks to the canned-response server."""
    runner = _Runner(server, ids, plan.width)
    results: list[Scenario] = []
    try:
        progress("DescribeInstances (1 instance), sequential")
        scenario = Scenario(
            key="small_seq",
            title="DescribeInstances (1 instance), sequential",
            unit="calls/s",
            higher_is_better=True,
        )
        await _measure(
            runner,
            scenario,
            case="describe1",
            rounds=plan.rounds,
            slices=plan.slices,
            calls=plan.small_calls,
        )
        results.append(scenario)

        progress(f"DescribeInstances (1 instance), {plan.width} in flight")
        scenario = Scenario(
            key="small_64",
            title=f"DescribeInstances (1 instance), {plan.width} in flight",
            unit="calls/s",
            higher_is_better=True,
            note=f"boto3: a pool of {plan.width} threads sharing one client",
        )
        await _measure(
            runner,
            scenario,
            case="describe1",
            rounds=plan.rounds,
            slices=plan.slices,
            calls=plan.concurrent_calls,
            concurrent=True,
        )
        results.append(scenario)

        progress("DescribeInstances (1,000 instances), sequential")
        scenario = Scenario(
            key="big",
            title="DescribeInstances (1,000 instances, 2.7 MB), sequential",
            unit="ms per call",
            higher_is_better=False,
        )
        await _measure(
            runner,
            scenario,
            case="describe1000",
            rounds=plan.rounds,
            slices=plan.big_slices,
            calls=1,
            ms_per_call=True,
            warmup=1,
        )
        results.append(scenario)

        for case, title in _OTHER_CASES:
            progress(f"{title}, sequential")
            scenario = Scenario(
                key=f"op_{case}",
                title=f"{title}, sequential",
                unit="calls/s",
                higher_is_better=True,
            )
            await _measure(
                runner,
                scenario,
                case=case,
                rounds=plan.other_rounds,
                slices=plan.slices,
                calls=plan.other_calls,
            )
            results.append(scenario)
    finally:
        await runner.close()
    return results
