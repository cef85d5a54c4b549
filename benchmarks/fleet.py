"""
The bulk scenario on FakeEC2: launch 1,000 instances, wait until they run, terminate them,
wait until they are gone; wall time and the requests each action took.

It uses ``Session.launch_many``, ``Instance.wait_until`` (1,000 concurrent waits, which share
the Session's one poller) and ``Session.wait_all``. FakeEC2 runs in this process, so its own
work shares the core with the client's; the request counts are the point, not the time.
When this version of aioec2 has no bulk helpers yet, the scenario is skipped with a note.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from clients import ACCESS_KEY, REGION, SECRET_KEY
from scenarios import Scenario

import aioec2
from aioec2.testing import FakeEC2

__all__ = ["BOOT_SECONDS", "FLEET", "fleet", "missing_helpers"]

FLEET = 1000
BOOT_SECONDS = 2.0
_BATCH = 100


def missing_helpers() -> list[str]:
    """The bulk helpers this scenario needs that aioec2 does not have (yet)."""
    needed = {
        "Session.launch_many": getattr(aioec2.Session, "launch_many", None),
        "Session.wait_all": getattr(aioec2.Session, "wait_all", None),
        "Instance.wait_until": getattr(aioec2.Instance, "wait_until", None),
    }
    return [name for name, found in needed.items() if found is None]


async def _one_run() -> tuple[float, dict[str, float], Counter[str]]:
    phases: dict[str, float] = {}
    async with (
        FakeEC2(boot_time=BOOT_SECONDS, terminate_time=BOOT_SECONDS, seed=6) as fake,
        aioec2.Session(
            region=REGION,
            endpoint_url=fake.url,
            credentials=aioec2.Credentials(ACCESS_KEY, SECRET_KEY),
        ) as s,
    ):
        image = (await s.describe_images())[0]
        fake.reset_counters()
        started = mark = time.perf_counter()

        specs = [{"image_id": image.id, "min_count": _BATCH, "max_count": _BATCH}] * (
            FLEET // _BATCH
        )
        launched = await s.launch_many(specs)
        launched.raise_for_failures()
        instances = [i for r in launched.reservations for i in r.instances]
        assert len(instances) == FLEET, len(instances)
        now = time.perf_counter()
        phases["launch_many"], mark = now - mark, now

        running = await asyncio.gather(*(i.wait_until("running") for i in instances))
        assert all(i.state == "running" for i in running)
        now = time.perf_counter()
        phases["wait_until running (1,000 waits)"], mark = now - mark, now

        await s.terminate_instances([i.id for i in instances])
        now = time.perf_counter()
        phases["terminate_instances"], mark = now - mark, now

        gone = await s.wait_all(instances, "terminated")
        assert all(i.state == "terminated" for i in gone)
        now = time.perf_counter()
        phases["wait_all terminated"] = now - mark
        return now - started, phases, Counter(fake.calls)


def fleet(rounds: int) -> tuple[Scenario, dict[str, float], Counter[str]]:
    """
    Wall seconds per run (one sample per round), the phases and calls of the last run.

    Returns a skipped scenario when the bulk helpers are missing.
    """
    scenario = Scenario(
        key="fleet",
        title=f"Bulk on FakeEC2: launch {FLEET:,}, wait running, terminate, wait terminated",
        unit="s",
        higher_is_better=False,
        note=(
            f"FakeEC2 in-process, boot and terminate time {BOOT_SECONDS:g} s, "
            f"launch_many of {FLEET // _BATCH} specs x {_BATCH}; "
            "default Config (polls every 1-15 s)"
        ),
    )
    missing = missing_helpers()
    if missing:
        scenario.skipped = (
            f"skipped: this aioec2 has no {', '.join(missing)} yet (the bulk helpers are "
            "being built); rerun when they exist"
        )
        return scenario, {}, Counter()
    phases: dict[str, float] = {}
    calls: Counter[str] = Counter()
    for _ in range(rounds):
        wall, phases, calls = asyncio.run(_one_run())
        scenario.add("aioec2", wall)
    return scenario, phases, calls
