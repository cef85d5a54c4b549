"""Helpers shared by FakeEC2's tests: calling the state machine with readable parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aioec2._core.query import serialize_params
from aioec2.testing import EC2State

__all__ = ["call", "instance_ids", "states", "wire"]


def wire(params: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Flatten parameters written as Session.request takes them into EC2 wire pairs."""
    return dict(serialize_params(params or {}))


def call(state: EC2State, action: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Run ``action`` on ``state`` with Session.request-style parameters."""
    return state.call(action, wire(params))


def instance_ids(answer: Mapping[str, Any]) -> list[str]:
    """The instance ids of a RunInstances or DescribeInstances answer, in order."""
    reservations = answer.get("reservationSet", [answer])
    return [i["instanceId"] for r in reservations for i in r["instancesSet"]]


def states(state: EC2State, ids: list[str]) -> list[str]:
    """The state names DescribeInstances reports for ``ids``."""
    answer = call(state, "DescribeInstances", {"InstanceId": ids})
    by_id = {
        i["instanceId"]: i["instanceState"]["name"]
        for r in answer["reservationSet"]
        for i in r["instancesSet"]
    }
    return [by_id[i] for i in ids]
