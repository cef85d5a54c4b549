"""Throttling buckets with EC2's documented limits, and scripted and seeded faults."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aioec2.testing import EC2State, Fault, Faults, VirtualClock
from aioec2.testing._auth import RawRequest
from aioec2.testing._service import Service
from aioec2.testing._throttle import Throttle, TokenBucket
from tests.testing.helpers import wire

FEDORA = "ami-5bb65932"


def admitted(
    throttle: Throttle,
    action: str,
    times: int,
    *,
    now: float = 0.0,
    resources: int = 0,
    **params: object,
) -> int:
    """How many of ``times`` calls the throttle lets through."""
    flat = wire(params)
    return sum(throttle.admit(action, flat, resources=resources, now=now) for _ in range(times))


def raw(action: str, params: dict[str, object] | None = None) -> RawRequest:
    """An unsigned request for ``action``."""
    return RawRequest(
        method="POST",
        path="/",
        headers=(("Host", "127.0.0.1"),),
        body=b"",
        params={"Action": action, **wire(params)},
    )


def test_token_bucket_refills_at_its_rate() -> None:
    """A bucket refills continuously and never beyond its capacity."""
    bucket = TokenBucket(10, 2, now=0)
    bucket.take(10)
    assert 0 == bucket.available(0)
    assert 3 == bucket.available(1.5)
    assert 10 == bucket.available(100)


def test_unfiltered_describe_instances_has_the_small_bucket() -> None:
    """Unfiltered, unpaginated DescribeInstances gets 50 tokens and 10 a second, as documented."""
    throttle = Throttle()
    assert 50 == admitted(throttle, "DescribeInstances", 60)
    assert 10 == admitted(throttle, "DescribeInstances", 20, now=1.0)


def test_filtered_describe_uses_the_non_mutating_bucket() -> None:
    """A filtered DescribeInstances draws from the 100-token non-mutating bucket instead."""
    throttle = Throttle()
    filtered = {"Filter": [{"Name": "instance-state-name", "Value": ["running"]}]}
    assert 50 == admitted(throttle, "DescribeInstances", 60)
    assert 100 == admitted(throttle, "DescribeInstances", 120, **filtered)


def test_mutating_and_uncategorized_limits() -> None:
    """CreateSecurityGroup is mutating (50); CreateTags 100; RunInstances 5 requests."""
    throttle = Throttle()
    assert 50 == admitted(throttle, "CreateSecurityGroup", 70)
    assert 100 == admitted(throttle, "CreateTags", 120)
    assert 5 == admitted(throttle, "RunInstances", 10, resources=1)


def test_run_instances_resource_bucket_counts_instances() -> None:
    """1000 instances launch at once; then resource tokens come back at two a second."""
    throttle = Throttle()
    assert 1 == admitted(throttle, "RunInstances", 1, resources=1000)
    assert 0 == admitted(throttle, "RunInstances", 1, resources=1, now=0.1)
    assert 1 == admitted(throttle, "RunInstances", 1, resources=1, now=0.5)


def test_limits_can_be_overridden() -> None:
    """throttle_limits replaces a bucket's capacity and rate."""
    throttle = Throttle({"DescribeRegions": (2, 1)})
    assert 2 == admitted(throttle, "DescribeRegions", 5)


def test_service_answers_request_limit_exceeded(state: EC2State) -> None:
    """Past the bucket the service answers 503 RequestLimitExceeded and records it."""
    service = Service(state, faults=Faults(), throttle=Throttle({"DescribeRegions": (1, 1)}))
    assert 200 == service.handle(raw("DescribeRegions")).status
    refused = service.handle(raw("DescribeRegions"))
    assert (503, "RequestLimitExceeded") == (refused.status, service.requests[-1].code)
    assert b"<Code>RequestLimitExceeded</Code>" in refused.body


def test_scripted_faults_fire_in_order() -> None:
    """Rules fire in the order added, for their action only, until their times run out."""
    faults = Faults()
    faults.add(kind="unavailable", action="RunInstances", times=2)
    faults.add(kind="drop_after", action="RunInstances")
    kinds = [getattr(faults.pick("RunInstances"), "kind", None) for _ in range(4)]
    assert ["unavailable", "unavailable", "drop_after", None] == kinds
    faults.add(kind="delay", seconds=0.5)
    assert Fault("delay", 0.5) == faults.pick("DescribeRegions")


def test_fault_rule_for_one_action_spares_others() -> None:
    """A rule for RunInstances does not touch DescribeInstances."""
    faults = Faults()
    rule = faults.add(kind="internal_error", action="RunInstances", times=None)
    assert None is faults.pick("DescribeInstances")
    assert "internal_error" == faults.pick("RunInstances").kind
    assert None is rule.remaining


def test_random_faults_replay_with_the_seed() -> None:
    """The same seed gives the same faults for the same requests; another seed does not."""

    def draw(seed: int) -> list[str | None]:
        faults = Faults(rate=0.2, seed=seed)
        return [getattr(faults.pick("DescribeInstances"), "kind", None) for _ in range(300)]

    first = draw(11)
    assert first == draw(11)
    assert first != draw(12)
    assert 20 < sum(kind is not None for kind in first) < 100


def test_bad_fault_settings_are_refused() -> None:
    """Unknown kinds, rates outside 0..1 and times below 1 are errors."""
    with pytest.raises(ValueError, match="unknown fault kind"):
        Faults().add(kind="meteor")
    with pytest.raises(ValueError, match="between 0 and 1"):
        Faults(rate=1.5)
    with pytest.raises(ValueError, match="times"):
        Faults().add(kind="delay", times=0)


def run_request() -> RawRequest:
    """A RunInstances request for one fedora instance."""
    return raw("RunInstances", {"ImageId": FEDORA, "MinCount": 1, "MaxCount": 1})


def test_drop_before_changes_nothing(state: EC2State) -> None:
    """drop_before closes the connection and the action never happens."""
    service = Service(state, faults=Faults())
    service.faults.add(kind="drop_before", action="RunInstances")
    outcome = service.handle(run_request())
    assert (True, 0) == (outcome.drop, len(state.instances))
    assert ("ConnectionDropped", None, "drop_before") == (
        service.requests[-1].code,
        service.requests[-1].status,
        service.requests[-1].fault,
    )


def test_drop_after_acts_but_answers_nothing(state: EC2State) -> None:
    """drop_after launches the instance and then closes the connection unanswered."""
    service = Service(state, faults=Faults())
    service.faults.add(kind="drop_after", action="RunInstances")
    outcome = service.handle(run_request())
    assert (True, 1) == (outcome.drop, len(state.instances))


def test_error_faults_do_not_act(state: EC2State) -> None:
    """unavailable and internal_error answer 503 and 500 without launching anything."""
    service = Service(state, faults=Faults())
    service.faults.add(kind="unavailable")
    service.faults.add(kind="internal_error")
    first = service.handle(run_request())
    second = service.handle(run_request())
    assert (503, 500, 0) == (first.status, second.status, len(state.instances))
    assert ["Unavailable", "InternalError"] == [r.code for r in service.requests]


def test_delay_acts_and_answers_late(state: EC2State) -> None:
    """delay launches at once and asks the front to hold the answer back."""
    service = Service(state, faults=Faults())
    service.faults.add(kind="delay", seconds=2.5)
    outcome = service.handle(run_request())
    assert (200, 2.5, 1) == (outcome.status, outcome.delay, len(state.instances))


def test_records_and_counters_reset(
    make_state: Callable[..., EC2State], clock: VirtualClock
) -> None:
    """requests record action, params, code and clock time; reset_counters forgets them."""
    service = Service(make_state(), faults=Faults())
    clock.advance(3)
    service.handle(raw("DescribeRegions", {"RegionName": ["us-east-1"]}))
    service.handle(raw("Nope"))
    assert ("DescribeRegions", {"RegionName.1": "us-east-1"}, "OK", 200, 3.0) == (
        service.requests[0].action,
        service.requests[0].params,
        service.requests[0].code,
        service.requests[0].status,
        service.requests[0].time,
    )
    assert ("InvalidAction", 400) == (service.requests[1].code, service.requests[1].status)
    assert {"DescribeRegions": 1, "Nope": 1} == dict(service.calls)
    service.reset_counters()
    assert ([], {}) == (service.requests, dict(service.calls))


def test_a_long_running_fake_keeps_only_its_latest_request_records(state: EC2State) -> None:
    """Past requests_kept the oldest records go (in halves), the latest and the counts stay."""
    service = Service(state, faults=Faults())
    service.requests_kept = 10
    for number in range(25):
        service.handle(raw("DescribeRegions", {"RegionName.1": f"r{number}"}))
    kept = [record.params["RegionName.1"] for record in service.requests]
    assert 5 <= len(kept) <= 10
    assert [f"r{n}" for n in range(25 - len(kept), 25)] == kept
    assert 25 == service.calls["DescribeRegions"]
