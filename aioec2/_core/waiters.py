"""
Instance waiters as data: acceptor tables, their evaluation, and the poll interval maths.

The tables transcribe botocore's ``data/ec2/2016-11-15/waiters-2.json`` (``InstanceRunning``,
``InstanceStopped``, ``InstanceTerminated``, ``InstanceExists``). Those evaluate a whole
DescribeInstances answer with ``pathAll``/``pathAny`` over ``Reservations[].Instances[]``;
aioec2's shared poller hands each waiter the snapshot of its *one* instance, so for a single
instance both matchers reduce to "its ``State.Name`` equals the expected value", and
``InstanceExists``' ``length(Reservations[]) > 0`` to "the instance is present".

One deliberate difference: ``InvalidInstanceID.NotFound`` is ``retry`` in every table, not only
in ``InstanceRunning`` and ``InstanceExists``. EC2 is eventually consistent ("a resource you
just created may not be visible to a Describe call at once",
https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html), so any id handed to
a waiter may still be unknown for a while; the retry is bounded by a grace period
(``Config.not_found_grace``), after which the waiter fails.

Nothing here performs I/O, sleeps or reads a clock: times are arguments.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from aioec2.errors import ArgumentError

__all__ = [
    "MALFORMED",
    "NOT_FOUND",
    "STATES",
    "WAITERS",
    "Acceptor",
    "Outcome",
    "PollBackoff",
    "Verdict",
    "WaiterModel",
    "evaluate",
    "ids_in_message",
    "set_aside",
    "waiter_for",
]

#: The error code of an instance id EC2 does not know (yet).
NOT_FOUND = "InvalidInstanceID.NotFound"
#: The error code of a string that is not shaped like an instance id.
MALFORMED = "InvalidInstanceID.Malformed"


class Outcome(enum.Enum):
    """
    What an acceptor decides: the waiter succeeded, failed, or must look again.

    .. versionadded:: 0.1
    """

    SUCCESS = "success"
    FAILURE = "failure"
    RETRY = "retry"


Matcher = Literal["state", "exists", "error"]


@attrs.frozen(kw_only=True)
class Acceptor:
    """
    One row of a waiter table.

    Attributes:
        matcher: ``"state"`` (the instance's state name equals ``expected``), ``"exists"``
            (the instance is present, any state) or ``"error"`` (the lookup failed with the
            error code ``expected``).
        expected: the state name or error code; empty for ``"exists"``.
        state: the outcome when the row matches.

    .. versionadded:: 0.1
    """

    matcher: Matcher
    expected: str
    state: Outcome


@attrs.frozen(kw_only=True)
class WaiterModel:
    """
    A waiter: its AWS name, the state it waits for, AWS's pacing, and its acceptors.

    Attributes:
        name: the waiter's name in botocore's table, e.g. ``"InstanceRunning"``.
        target: what ``wait_until`` is called with, e.g. ``"running"``.
        delay: AWS's seconds between polls (kept for reference; the shared poller paces
            itself, see :class:`PollBackoff`).
        max_attempts: AWS's number of polls before giving up.
        acceptors: the rows, tried in order; the first match decides.

    .. versionadded:: 0.1
    """

    name: str
    target: str
    delay: float
    max_attempts: int
    acceptors: tuple[Acceptor, ...]


# The tables, in the form of waiters-2.json: "state" stands for the pathAll/pathAny matchers
# on Reservations[].Instances[].State.Name, "exists" for length(Reservations[]) > `0`.
_TABLES: Mapping[str, Mapping[str, Any]] = {
    "running": {
        "name": "InstanceRunning",
        "delay": 15,
        "maxAttempts": 40,
        "acceptors": [
            {"matcher": "state", "expected": "running", "state": "success"},
            {"matcher": "state", "expected": "shutting-down", "state": "failure"},
            {"matcher": "state", "expected": "terminated", "state": "failure"},
            {"matcher": "state", "expected": "stopping", "state": "failure"},
            {"matcher": "error", "expected": NOT_FOUND, "state": "retry"},
        ],
    },
    "stopped": {
        "name": "InstanceStopped",
        "delay": 15,
        "maxAttempts": 40,
        "acceptors": [
            {"matcher": "state", "expected": "stopped", "state": "success"},
            {"matcher": "state", "expected": "pending", "state": "failure"},
            {"matcher": "state", "expected": "terminated", "state": "failure"},
            {"matcher": "error", "expected": NOT_FOUND, "state": "retry"},  # see module doc
        ],
    },
    "terminated": {
        "name": "InstanceTerminated",
        "delay": 15,
        "maxAttempts": 40,
        "acceptors": [
            {"matcher": "state", "expected": "terminated", "state": "success"},
            {"matcher": "state", "expected": "pending", "state": "failure"},
            {"matcher": "state", "expected": "stopping", "state": "failure"},
            {"matcher": "error", "expected": NOT_FOUND, "state": "retry"},  # see module doc
        ],
    },
    "exists": {
        "name": "InstanceExists",
        "delay": 5,
        "maxAttempts": 40,
        "acceptors": [
            {"matcher": "exists", "expected": "", "state": "success"},
            {"matcher": "error", "expected": NOT_FOUND, "state": "retry"},
        ],
    },
}


def _load(target: str, table: Mapping[str, Any]) -> WaiterModel:
    return WaiterModel(
        name=table["name"],
        target=target,
        delay=float(table["delay"]),
        max_attempts=int(table["maxAttempts"]),
        acceptors=tuple(
            Acceptor(matcher=row["matcher"], expected=row["expected"], state=Outcome(row["state"]))
            for row in table["acceptors"]
        ),
    )


#: Every waiter, by the state it waits for.
WAITERS: Mapping[str, WaiterModel] = {
    target: _load(target, table) for target, table in _TABLES.items()
}
#: The states ``wait_until`` accepts, sorted.
STATES: tuple[str, ...] = tuple(sorted(WAITERS))


def waiter_for(target: object) -> WaiterModel:
    """
    Return the waiter for ``target``.

    Raises:
        ArgumentError: ``target`` is not one of :data:`STATES`.
    """
    model = WAITERS.get(target) if isinstance(target, str) else None
    if model is None:
        raise ArgumentError(f"cannot wait for state {target!r}; choose one of {', '.join(STATES)}")
    return model


@attrs.frozen(kw_only=True)
class Verdict:
    """
    The outcome of one evaluation, with a sentence explaining it (for error messages).

    .. versionadded:: 0.1
    """

    outcome: Outcome
    reason: str


def evaluate(
    model: WaiterModel,
    state: str | None,
    *,
    missing_for: float = 0.0,
    grace: float = 0.0,
) -> Verdict:
    """
    Evaluate one instance's latest observation against a waiter's acceptors.

    Args:
        model: the waiter.
        state: the instance's state name, or None when EC2 answered
            ``InvalidInstanceID.NotFound`` for it (or left it out of the answer).
        missing_for: seconds since the instance was first seen missing (with ``state`` None).
        grace: how long a missing instance is retried when an acceptor says ``retry``.

    Returns:
        The first matching acceptor's outcome. A present instance matching no acceptor is
        retried (as in botocore); a missing one without a ``retry`` row, or missing for
        ``grace`` seconds or longer, fails.

    .. versionadded:: 0.1
    """
    if state is None:
        for row in model.acceptors:
            if row.matcher == "error" and row.expected == NOT_FOUND:
                if row.state is Outcome.RETRY and missing_for < grace:
                    return Verdict(
                        outcome=Outcome.RETRY,
                        reason=f"not found yet ({NOT_FOUND}); EC2 is eventually consistent",
                    )
                if row.state is Outcome.RETRY:
                    return Verdict(
                        outcome=Outcome.FAILURE,
                        reason=f"still not found ({NOT_FOUND}) after {grace:g} s",
                    )
                return Verdict(outcome=row.state, reason=f"not found ({NOT_FOUND})")
        return Verdict(outcome=Outcome.FAILURE, reason=f"not found ({NOT_FOUND})")
    for row in model.acceptors:
        if (row.matcher == "state" and row.expected == state) or row.matcher == "exists":
            if row.state is Outcome.FAILURE:
                reason = (
                    f"reached {state!r}, from which {model.target!r} cannot follow "
                    f"(the {model.name} waiter fails on it)"
                )
            else:
                reason = f"is {state!r}"
            return Verdict(outcome=row.state, reason=reason)
    return Verdict(outcome=Outcome.RETRY, reason=f"is {state!r}, waiting for {model.target!r}")


# EC2 names the unknown ids in the message: "The instance ID 'i-1' does not exist",
# "The instance IDs 'i-1, i-2' do not exist", 'Invalid id: "i-x" (expecting "i-...")'.
_ID_PATTERN = re.compile(r"\bi-[0-9A-Za-z]+")


def ids_in_message(message: str) -> list[str]:
    """
    Return the instance ids an EC2 error message names, in order, without repeats.

    .. versionadded:: 0.1
    """
    return list(dict.fromkeys(_ID_PATTERN.findall(message)))


def set_aside(ids: list[str], message: str) -> tuple[list[str], list[list[str]]]:
    """
    Split a batch that EC2 refused because of some of its ids.

    Args:
        ids: the ids of the refused DescribeInstances.
        message: EC2's error message (``InvalidInstanceID.NotFound`` or ``.Malformed``).

    Returns:
        ``(culprits, again)``: the ids the message names (or the lone id of a one-id
        batch), and the batches to ask for again. When the message names none of a larger
        batch's ids, the batch is halved, so an unhelpful message costs requests but never
        holds the other instances back.

    .. versionadded:: 0.1
    """
    named = [i for i in ids_in_message(message) if i in ids]
    if not named and len(ids) == 1:
        named = list(ids)
    if not named:
        half = len(ids) // 2
        return [], [ids[:half], ids[half:]]
    taken = set(named)
    rest = [i for i in ids if i not in taken]
    return named, [rest] if rest else []


class PollBackoff:
    """
    The shared poller's interval: grows while nothing changes, jumps on throttling.

    Each tick's delay starts at ``minimum`` and grows by ``factor`` up to ``maximum``.
    Throttling doubles a *floor* (capped at ``maximum``) that the interval never goes below;
    each tick that is not throttled halves the floor again, back to ``minimum``. A new waiter
    resets the interval to the floor, so it is seen soon, but never undoes a throttle.

    Args:
        minimum: the shortest interval, seconds.
        maximum: the longest interval, seconds.
        factor: growth per quiet tick.

    Raises:
        ValueError: ``minimum`` not positive, ``maximum`` below it, or ``factor`` below 1.

    .. versionadded:: 0.1
    """

    __slots__ = ("factor", "floor", "interval", "maximum", "minimum")

    def __init__(self, *, minimum: float, maximum: float, factor: float = 1.5) -> None:
        if not minimum > 0 or maximum < minimum or factor < 1:
            raise ValueError(
                f"need 0 < minimum <= maximum and factor >= 1; got {minimum!r}, {maximum!r}, "
                f"{factor!r}"
            )
        self.minimum = minimum
        self.maximum = maximum
        self.factor = factor
        #: The delay the next quiet tick will wait.
        self.interval = minimum
        #: The lowest interval allowed now; raised by throttling.
        self.floor = minimum

    def __repr__(self) -> str:
        return f"PollBackoff(interval={self.interval:g}, floor={self.floor:g})"

    def after_tick(self, *, throttled: bool) -> float:
        """
        Return the seconds to wait before the next tick, given how this one went.

        Args:
            throttled: EC2 throttled at least one request of the tick.
        """
        if throttled:
            self.floor = min(self.maximum, max(self.floor, self.interval) * 2)
            self.interval = self.floor
            return self.interval
        delay = self.interval
        self.floor = max(self.minimum, self.floor / 2)
        self.interval = min(self.maximum, max(self.floor, self.interval * self.factor))
        return delay

    def reset(self) -> None:
        """A new waiter arrived: go back to the shortest interval throttling allows."""
        self.interval = self.floor
