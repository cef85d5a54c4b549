"""
Fixtures for FakeEC2's own tests: a state machine on a virtual clock.

``fake_ec2`` and ``ec2_session`` come from the plugin that the package's ``pytest11`` entry
point registers, exactly as they reach users' test suites.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aioec2.testing import EC2State, Timings, VirtualClock

_TIMINGS = {"boot_time", "stop_time", "terminate_time", "terminated_ttl", "consistency_lag"}


@pytest.fixture
def clock() -> VirtualClock:
    """A clock that moves only when the test advances it."""
    return VirtualClock()


@pytest.fixture
def make_state(clock: VirtualClock) -> Callable[..., EC2State]:
    """Build an EC2State on the virtual clock; keyword arguments go to Timings or EC2State."""

    def make(**settings: Any) -> EC2State:
        timings = Timings(**{k: v for k, v in settings.items() if k in _TIMINGS})
        rest = {k: v for k, v in settings.items() if k not in _TIMINGS}
        rest.setdefault("seed", 7)
        rest.setdefault("rsa_key_bits", 1024)
        return EC2State(clock=clock, timings=timings, **rest)

    return make


@pytest.fixture
def state(make_state: Callable[..., EC2State]) -> EC2State:
    """A state machine with boot, stop and terminate times of one second and no lag."""
    return make_state(boot_time=1.0, stop_time=1.0, terminate_time=1.0)
