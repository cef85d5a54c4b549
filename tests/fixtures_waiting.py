"""Shared helpers for the poller and bulk tests: a quick FakeEC2 and a Session polling it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aioec2
from aioec2.testing import FakeEC2

IMAGE = "ami-5bb65932"
UNKNOWN = "i-0123456789abcdef0"  # well formed, never launched
# Quick polling so the tests stay short; the production defaults are 1 s and 15 s.
FAST = {"poll_min_interval": 0.01, "poll_max_interval": 0.05, "not_found_grace": 0.5}


@contextlib.asynccontextmanager
async def open_ec2(
    config: dict[str, Any] | None = None, **fake_settings: Any
) -> AsyncIterator[tuple[FakeEC2, aioec2.Session]]:
    """A FakeEC2 with short transitions and a Session polling it quickly."""
    settings: dict[str, Any] = {
        "boot_time": 0.05,
        "stop_time": 0.05,
        "terminate_time": 0.05,
        "rsa_key_bits": 1024,
        "seed": 0,
        **fake_settings,
    }
    async with (
        FakeEC2(**settings) as fake,
        aioec2.Session(
            region=fake.region,
            endpoint_url=fake.url,
            credentials=aioec2.Credentials("AKIDWAITING", "waiting-secret"),
            config=aioec2.Config(**{**FAST, **(config or {})}),
        ) as session,
    ):
        yield fake, session


async def launch(session: aioec2.Session, count: int) -> list[str]:
    """Launch ``count`` instances in one RunInstances; return their ids."""
    reservation = await session.run_instances(IMAGE, min_count=count, max_count=count)
    return [i.id for i in reservation.instances]
