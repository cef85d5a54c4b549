"""
Injected faults: scripted ones (``faults.add(...)``) and random ones at a seeded rate.

A scripted rule fires for the requests it matches until its ``times`` run out; rules are
tried in the order added, so adding ``unavailable`` twice and then ``drop_after`` once
scripts exactly that sequence. Random faults come from ``random.Random(seed)``: a failing
test replays with the same seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import attrs

__all__ = ["FAULT_KINDS", "Fault", "FaultRule", "Faults"]

#: What a fault does to one request.
#:
#: * ``unavailable``: answer 503 ``Unavailable`` without acting;
#: * ``internal_error``: answer 500 ``InternalError`` without acting;
#: * ``throttle``: answer 503 ``RequestLimitExceeded`` without acting;
#: * ``drop_before``: close the connection before the action takes effect;
#: * ``drop_after``: let the action take effect, then close the connection unanswered;
#: * ``delay``: let the action take effect, then answer ``seconds`` later.
FAULT_KINDS = frozenset(
    {"unavailable", "internal_error", "throttle", "drop_before", "drop_after", "delay"}
)
_RANDOM_KINDS = ("unavailable", "internal_error", "drop_before", "drop_after")


@attrs.frozen
class Fault:
    """
    The fault chosen for one request.

    .. versionadded:: 0.1
    """

    kind: str
    seconds: float = 0.0


@attrs.define(kw_only=True)
class FaultRule:
    """
    A scripted fault: ``kind`` for the next ``remaining`` requests to ``action``.

    ``action`` None matches every action; ``remaining`` None never runs out.

    .. versionadded:: 0.1
    """

    kind: str
    action: str | None = None
    remaining: int | None = 1
    seconds: float = 0.0


def _check_kind(kind: str) -> str:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
    return kind


class Faults:
    """
    The faults FakeEC2 injects.

    Args:
        rate: the probability (0 to 1) that any request meets a random fault.
        seed: seeds the generator of random faults.
        kinds: the kinds random faults are drawn from (default: unavailable,
            internal_error, drop_before, drop_after).
        delay: how long, seconds, a random ``delay`` fault holds its answer back.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        *,
        rate: float = 0.0,
        seed: int | None = None,
        kinds: Iterable[str] | None = None,
        delay: float = 1.0,
    ) -> None:
        if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
            raise ValueError(f"delay must be a number of seconds >= 0, got {delay!r}")
        self.rules: list[FaultRule] = []
        self.rate = rate
        self.kinds = tuple(_check_kind(kind) for kind in (kinds or _RANDOM_KINDS))
        self.delay = float(delay)
        self._rng = random.Random(seed)  # noqa: S311 - seeded on purpose: a run replays

    def __repr__(self) -> str:
        return f"<Faults rate={self._rate} rules={self.rules!r}>"

    @property
    def rate(self) -> float:
        """The probability that any request meets a random fault."""
        return self._rate

    @rate.setter
    def rate(self, value: float) -> None:
        if isinstance(value, bool) or not 0.0 <= value <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {value!r}")
        self._rate = float(value)

    def add(
        self,
        *,
        kind: str,
        action: str | None = None,
        times: int | None = 1,
        seconds: float = 0.0,
    ) -> FaultRule:
        """
        Script a fault.

        Args:
            kind: one of :data:`FAULT_KINDS`.
            action: the EC2 action it applies to; None for every action.
            times: how many matching requests it hits; None for all of them.
            seconds: for ``delay``, how long the answer is held back.

        Returns:
            The rule; its ``remaining`` counts down as it fires.

        Raises:
            ValueError: an unknown kind, ``times`` below 1 or negative ``seconds``.
        """
        _check_kind(kind)
        if times is not None and times < 1:
            raise ValueError(f"times must be None or >= 1, got {times!r}")
        if seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {seconds!r}")
        rule = FaultRule(kind=kind, action=action, remaining=times, seconds=seconds)
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Forget every scripted fault and stop random ones."""
        self.rules.clear()
        self._rate = 0.0

    def pick(self, action: str) -> Fault | None:
        """
        Choose the fault for one request to ``action``, spending a scripted one if any.

        Returns:
            The fault, or None to serve the request normally.
        """
        for rule in self.rules:
            if rule.action in (None, action) and rule.remaining != 0:
                if rule.remaining is not None:
                    rule.remaining -= 1
                return Fault(rule.kind, rule.seconds)
        # Draw only when a rate is set, so that enabling faults never shifts other draws.
        if self._rate and self._rng.random() < self._rate:
            kind = self._rng.choice(self.kinds)
            return Fault(kind, self.delay if kind == "delay" else 0.0)
        return None
