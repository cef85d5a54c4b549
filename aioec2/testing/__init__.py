"""
Helpers for testing code that uses aioec2.

* :class:`FakeEC2`: an in-process EC2 endpoint with EC2's state timing, eventual
  consistency, ClientToken idempotency, capacity, throttling, injected faults and signature
  checks: ``async with FakeEC2() as fake: aioec2.Session(endpoint_url=fake.url, ...)``.
  ``python -m aioec2.testing serve`` runs one from the command line, and the pytest plugin
  ``aioec2.testing.pytest_plugin`` offers the ``fake_ec2`` and ``ec2_session`` fixtures.
* :class:`VirtualClock`: time that moves only when a test says so.
* ``set_testing(True)`` turns retry back-off sleeps off for the whole process (retries still
  happen, at once), so a test of retry behaviour runs in milliseconds. Use it as a context
  manager to restore the previous setting on exit.
"""

from __future__ import annotations

from types import TracebackType

from aioec2 import _testmode
from aioec2.testing._clock import Clock, MonotonicClock, VirtualClock
from aioec2.testing._faults import FAULT_KINDS, Fault, FaultRule, Faults
from aioec2.testing._model import FakeError
from aioec2.testing._server import FakeEC2
from aioec2.testing._service import RequestRecord
from aioec2.testing._state import EC2State, Timings

__all__ = [
    "FAULT_KINDS",
    "Clock",
    "EC2State",
    "FakeEC2",
    "FakeError",
    "Fault",
    "FaultRule",
    "Faults",
    "MonotonicClock",
    "RequestRecord",
    "Timings",
    "VirtualClock",
    "set_testing",
]


class _Restore:
    """Returned by :func:`set_testing`; restores the previous mode when used with ``with``."""

    def __init__(self, previous: _testmode.TestMode) -> None:
        self._previous = previous

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _testmode.replace(self._previous)


def set_testing(testing: bool, *, delay_scale: float = 0.0) -> _Restore:
    """
    Switch test mode on or off for the whole process.

    Args:
        testing: True to scale every retry delay (back-off and adaptive rate limiting) by
            ``delay_scale``; False to restore real delays.
        delay_scale: the factor applied to delays while testing (0 = no sleeping at all).

    Returns:
        A context manager that restores the previous mode on exit; ignoring it is fine.

    .. versionadded:: 0.1
    """
    if not isinstance(delay_scale, int | float) or delay_scale < 0:
        raise ValueError(f"delay_scale must be a number >= 0, got {delay_scale!r}")
    mode = _testmode.TestMode(enabled=True, delay_scale=float(delay_scale))
    return _Restore(_testmode.replace(mode if testing else _testmode.TestMode()))
