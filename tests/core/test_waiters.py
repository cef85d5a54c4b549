"""Waiter tables, their evaluation, id extraction and the poll interval maths, all pure."""

from __future__ import annotations

import json
from pathlib import Path

import botocore
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioec2._core.waiters import (
    NOT_FOUND,
    STATES,
    WAITERS,
    Outcome,
    PollBackoff,
    evaluate,
    ids_in_message,
    set_aside,
    waiter_for,
)
from aioec2.errors import ArgumentError

_BOTOCORE_WAITERS = Path(botocore.__file__).parent / "data/ec2/2016-11-15/waiters-2.json"
_STATE_PATH = "Reservations[].Instances[].State.Name"
INSTANCE_STATES = ("pending", "running", "shutting-down", "terminated", "stopping", "stopped")

# ---------------------------------------------------------------- the tables vs botocore's


def _botocore_rows(name: str) -> list[tuple[str, str, str]]:
    waiter = json.loads(_BOTOCORE_WAITERS.read_text())["waiters"][name]
    rows = []
    for acceptor in waiter["acceptors"]:
        if acceptor["matcher"] in ("pathAll", "pathAny"):
            assert _STATE_PATH == acceptor["argument"]
            rows.append(("state", acceptor["expected"], acceptor["state"]))
        elif acceptor["matcher"] == "error":
            rows.append(("error", acceptor["expected"], acceptor["state"]))
        else:
            assert "length(Reservations[]) > `0`" == acceptor["argument"]
            rows.append(("exists", "", acceptor["state"]))
    return rows


# Rows aioec2 adds to botocore's tables (see the module docstring of aioec2._core.waiters).
_ADDED = {"stopped": [("error", NOT_FOUND, "retry")], "terminated": [("error", NOT_FOUND, "retry")]}


@pytest.mark.parametrize("target", STATES)
def test_tables_transcribe_botocore(target: str) -> None:
    """Each table holds botocore's acceptors in botocore's order, plus the documented rows."""
    model = WAITERS[target]
    ours = [(row.matcher, row.expected, row.state.value) for row in model.acceptors]
    assert _botocore_rows(model.name) + _ADDED.get(target, []) == ours


@pytest.mark.parametrize("target", STATES)
def test_tables_keep_aws_pacing(target: str) -> None:
    """Each table records the AWS waiter's delay and attempts, as botocore has them."""
    model = WAITERS[target]
    waiter = json.loads(_BOTOCORE_WAITERS.read_text())["waiters"][model.name]
    assert (waiter["delay"], waiter["maxAttempts"]) == (model.delay, model.max_attempts)


def test_states_are_the_four_waiters() -> None:
    """wait_until accepts exactly running, stopped, terminated and exists."""
    assert ("exists", "running", "stopped", "terminated") == STATES


# ---------------------------------------------------------------- every acceptor

_S, _F, _R = Outcome.SUCCESS, Outcome.FAILURE, Outcome.RETRY
_EXPECTED = {
    # state:      pending, running, shutting-down, terminated, stopping, stopped
    "running": (_R, _S, _F, _F, _F, _R),
    "stopped": (_F, _R, _R, _F, _R, _S),
    "terminated": (_F, _R, _R, _S, _F, _R),
    "exists": (_S, _S, _S, _S, _S, _S),
}


@pytest.mark.parametrize(
    ("target", "state", "outcome"),
    [
        (target, state, outcome)
        for target, outcomes in _EXPECTED.items()
        for state, outcome in zip(INSTANCE_STATES, outcomes, strict=True)
    ],
)
def test_every_state_against_every_waiter(target: str, state: str, outcome: Outcome) -> None:
    """Each instance state leads to the AWS waiter's outcome for each target."""
    assert outcome == evaluate(WAITERS[target], state).outcome


def test_failure_reason_names_state_and_waiter() -> None:
    """A failure explains which state was reached and which waiter gave up on it."""
    verdict = evaluate(WAITERS["running"], "terminated")
    expected = (
        "reached 'terminated', from which 'running' cannot follow "
        "(the InstanceRunning waiter fails on it)"
    )
    assert expected == verdict.reason


def test_unknown_state_is_retried() -> None:
    """A state no acceptor names (a future EC2 state) means look again, as in botocore."""
    assert Outcome.RETRY == evaluate(WAITERS["running"], "hibernating").outcome


# ---------------------------------------------------------------- NotFound grace


@pytest.mark.parametrize("target", STATES)
def test_not_found_is_retried_within_grace(target: str) -> None:
    """A missing instance is looked for again while it has been missing less than the grace."""
    verdict = evaluate(WAITERS[target], None, missing_for=9.99, grace=10.0)
    assert Outcome.RETRY == verdict.outcome


@pytest.mark.parametrize("target", STATES)
def test_not_found_fails_after_grace(target: str) -> None:
    """A missing instance fails the waiter once the grace period is over."""
    verdict = evaluate(WAITERS[target], None, missing_for=10.0, grace=10.0)
    assert (Outcome.FAILURE, f"still not found ({NOT_FOUND}) after 10 s") == (
        verdict.outcome,
        verdict.reason,
    )


def test_not_found_without_retry_row_fails_at_once() -> None:
    """A table without a NotFound row fails on a missing instance, as an unmatched error."""
    model = WAITERS["running"]
    bare = type(model)(
        name="Bare",
        target="running",
        delay=1,
        max_attempts=1,
        acceptors=tuple(row for row in model.acceptors if row.matcher != "error"),
    )
    assert Outcome.FAILURE == evaluate(bare, None, missing_for=0.0, grace=100.0).outcome


def test_not_found_row_with_failure_state_fails_at_once() -> None:
    """A NotFound row whose state is failure decides so without a grace period."""
    model = WAITERS["exists"]
    strict = type(model)(
        name="Strict",
        target="exists",
        delay=1,
        max_attempts=1,
        acceptors=tuple(
            type(row)(matcher=row.matcher, expected=row.expected, state=Outcome.FAILURE)
            if row.matcher == "error"
            else row
            for row in model.acceptors
        ),
    )
    assert Outcome.FAILURE == evaluate(strict, None, missing_for=0.0, grace=100.0).outcome


# ---------------------------------------------------------------- lookups and messages


def test_waiter_for_unknown_state_names_the_choices() -> None:
    """Asking for an unknown state is an ArgumentError listing the states there are."""
    with pytest.raises(ArgumentError, match="exists, running, stopped, terminated"):
        waiter_for("sideways")


def test_waiter_for_rejects_non_strings() -> None:
    """A state that is not a string is refused the same way."""
    with pytest.raises(ArgumentError):
        waiter_for(16)


@pytest.mark.parametrize(
    ("message", "ids"),
    [
        ("The instance ID 'i-0123456789abcdef0' does not exist", ["i-0123456789abcdef0"]),
        (
            "The instance IDs 'i-0123456789abcdef0, i-0aaaaaaaaaaaaaaaa' do not exist",
            ["i-0123456789abcdef0", "i-0aaaaaaaaaaaaaaaa"],
        ),
        ('Invalid id: "i-xyz" (expecting "i-...")', ["i-xyz"]),
        ("The instance IDs 'i-1, i-1' do not exist", ["i-1"]),
        ("Something else entirely", []),
    ],
)
def test_ids_in_message(message: str, ids: list[str]) -> None:
    """The ids an EC2 error message names are found in order, once each."""
    assert ids == ids_in_message(message)


_A, _B, _C, _D = (f"i-{n:017x}" for n in range(4))


@pytest.mark.parametrize(
    ("ids", "message", "culprits", "again"),
    [
        ([_A, _B, _C], f"The instance ID '{_B}' does not exist", [_B], [[_A, _C]]),
        ([_A, _B], f"The instance IDs '{_B}, {_A}' do not exist", [_B, _A], []),
        ([_A], "The instance ID does not exist", [_A], []),
        ([_A, _B, _C, _D], "Something went wrong", [], [[_A, _B], [_C, _D]]),
        ([_A, _B], f"The instance ID '{_C}' does not exist", [], [[_A], [_B]]),
    ],
    ids=["one-named", "all-named", "lone-id", "unnamed-halves", "stranger-halves"],
)
def test_set_aside(
    ids: list[str], message: str, culprits: list[str], again: list[list[str]]
) -> None:
    """Named culprits leave the batch; an unhelpful message halves it instead."""
    assert (culprits, again) == set_aside(ids, message)


# ---------------------------------------------------------------- poll interval


def test_backoff_grows_to_maximum() -> None:
    """Quiet ticks wait the minimum first, then 1.5 times longer each, up to the maximum."""
    backoff = PollBackoff(minimum=1.0, maximum=5.0)
    delays = [backoff.after_tick(throttled=False) for _ in range(6)]
    assert [1.0, 1.5, 2.25, 3.375, 5.0, 5.0] == delays


def test_backoff_resets_when_a_waiter_arrives() -> None:
    """A new waiter brings the interval back to the minimum."""
    backoff = PollBackoff(minimum=1.0, maximum=15.0)
    for _ in range(5):
        backoff.after_tick(throttled=False)
    backoff.reset()
    assert 1.0 == backoff.after_tick(throttled=False)


def test_throttling_doubles_and_survives_a_reset() -> None:
    """A throttled tick doubles the interval, and a newcomer does not undo that."""
    backoff = PollBackoff(minimum=1.0, maximum=15.0)
    assert [2.0, 4.0, 8.0, 15.0] == [backoff.after_tick(throttled=True) for _ in range(4)]
    backoff.reset()
    assert 15.0 == backoff.interval


def test_quiet_ticks_lower_the_throttle_floor() -> None:
    """After throttling stops, each quiet tick halves the floor back toward the minimum."""
    backoff = PollBackoff(minimum=1.0, maximum=16.0)
    for _ in range(4):
        backoff.after_tick(throttled=True)
    floors = []
    for _ in range(5):
        backoff.after_tick(throttled=False)
        floors.append(backoff.floor)
    assert [8.0, 4.0, 2.0, 1.0, 1.0] == floors


@pytest.mark.parametrize(
    ("minimum", "maximum", "factor"), [(0.0, 1.0, 1.5), (2.0, 1.0, 1.5), (1.0, 2.0, 0.5)]
)
def test_backoff_rejects_bad_bounds(minimum: float, maximum: float, factor: float) -> None:
    """A non-positive minimum, a maximum below it or a shrinking factor is refused."""
    with pytest.raises(ValueError, match="minimum"):
        PollBackoff(minimum=minimum, maximum=maximum, factor=factor)


@given(st.lists(st.sampled_from(["quiet", "throttled", "reset"]), max_size=60))
def test_backoff_delays_stay_within_bounds(events: list[str]) -> None:
    """Whatever happens, every delay lies between the minimum and the maximum."""
    backoff = PollBackoff(minimum=0.5, maximum=15.0)
    for event in events:
        if event == "reset":
            backoff.reset()
            continue
        delay = backoff.after_tick(throttled=event == "throttled")
        assert 0.5 <= delay <= 15.0
    assert "PollBackoff(" in repr(backoff)
