"""
Clocks for FakeEC2: real monotonic time, or a virtual clock that a test moves by hand.

The state machine never reads the time itself; it asks its clock, so a test can step an
instance from pending to running with ``clock.advance(boot_time)`` instead of sleeping.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "MonotonicClock", "VirtualClock"]


@runtime_checkable
class Clock(Protocol):
    """
    Anything that tells monotonic time in seconds.

    .. versionadded:: 0.1
    """

    def now(self) -> float:
        """Return the current time in seconds; it never goes backwards."""
        ...


class MonotonicClock:
    """
    The real clock: :func:`time.monotonic`.

    .. versionadded:: 0.1
    """

    __slots__ = ()

    def now(self) -> float:
        """Return :func:`time.monotonic`."""
        return time.monotonic()

    def __repr__(self) -> str:
        return "MonotonicClock()"


class VirtualClock:
    """
    A clock that stands still until :meth:`advance` moves it.

    Args:
        start: the time it starts at, in seconds.

    .. versionadded:: 0.1
    """

    __slots__ = ("_now",)

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)

    def now(self) -> float:
        """Return the virtual time."""
        return self._now

    def advance(self, seconds: float) -> float:
        """
        Move the clock forward.

        Args:
            seconds: how far; must not be negative.

        Returns:
            The new time.

        Raises:
            ValueError: ``seconds`` is negative.
        """
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards; got advance({seconds!r})")
        self._now += seconds
        return self._now

    def __repr__(self) -> str:
        return f"VirtualClock(now={self._now!r})"
