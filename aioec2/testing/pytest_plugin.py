"""
pytest fixtures for code that uses aioec2: ``fake_ec2`` and ``ec2_session``.

Enable it with ``pytest_plugins = ["aioec2.testing.pytest_plugin"]`` in a ``conftest.py``
(installed packages register it through the ``pytest11`` entry point). It needs
pytest-asyncio. ``fake_ec2`` is a fresh :class:`~aioec2.testing.FakeEC2` per test with tiny
transition times; ``ec2_session`` is an open :class:`aioec2.Session` pointed at it. Change
the fake's settings for one test with a marker::

    @pytest.mark.fake_ec2(consistency_lag=0.2, capacity=3)
    async def test_launch(ec2_session): ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

import aioec2
from aioec2.testing._server import FakeEC2

__all__ = ["FAST_SETTINGS", "ec2_session", "fake_ec2"]

#: The fixture's defaults: transitions fast enough for a unit test, still observable.
FAST_SETTINGS: dict[str, Any] = {
    "boot_time": 0.02,
    "stop_time": 0.02,
    "terminate_time": 0.02,
    "consistency_lag": 0.0,
    "rsa_key_bits": 1024,
    "seed": 0,
}


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``fake_ec2`` marker (so ``--strict-markers`` accepts it)."""
    config.addinivalue_line(
        "markers", "fake_ec2(**settings): FakeEC2 keyword arguments for the fake_ec2 fixture"
    )


@pytest_asyncio.fixture
async def fake_ec2(request: pytest.FixtureRequest) -> AsyncIterator[FakeEC2]:
    """A FakeEC2 serving on 127.0.0.1 for one test, with tiny transition times."""
    settings = dict(FAST_SETTINGS)
    marker = request.node.get_closest_marker("fake_ec2")
    if marker is not None:
        settings.update(marker.kwargs)
    async with FakeEC2(**settings) as fake:
        yield fake


@pytest_asyncio.fixture
async def ec2_session(fake_ec2: FakeEC2) -> AsyncIterator[aioec2.Session]:
    """
    An open aioec2.Session pointed at ``fake_ec2``, signing with its credentials if any.

    Its waits poll every 20 ms (the fake's instances boot in 20 ms) instead of the
    production minimum of one second, so ``wait_until`` tests take milliseconds.
    """
    credentials = fake_ec2.credentials or aioec2.Credentials("AKIDFAKEEC2", "fake-secret")
    config = aioec2.Config(poll_min_interval=0.02, poll_max_interval=0.2)
    async with aioec2.Session(
        region=fake_ec2.region, endpoint_url=fake_ec2.url, credentials=credentials, config=config
    ) as session:
        yield session
