"""Process-wide test mode: lets users' test suites skip retry back-off sleeps (as stamina does)."""

from __future__ import annotations

import attrs

__all__ = ["TestMode", "current"]


@attrs.frozen
class TestMode:
    """Whether test mode is on, and the factor applied to every retry delay."""

    __test__ = False  # not a pytest test class, despite the name

    enabled: bool = False
    delay_scale: float = 1.0


_state: list[TestMode] = [TestMode()]


def current() -> TestMode:
    """Return the test mode in force."""
    return _state[0]


def replace(mode: TestMode) -> TestMode:
    """Install ``mode`` and return the previous one."""
    previous, _state[0] = _state[0], mode
    return previous
