"""
Helpers for testing code that uses aioec2.

``set_testing(True)`` turns retry back-off sleeps off for the whole process (retries still
happen, at once), so a test of retry behaviour runs in milliseconds. Use it as a context
manager to restore the previous setting on exit.
"""

from __future__ import annotations

from types import TracebackType

from aioec2 import _testmode

__all__ = ["set_testing"]


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
