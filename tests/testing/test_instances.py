"""The instance state machine: timing, consistency, idempotency, capacity, paging, errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aioec2.testing import EC2State, FakeError, VirtualClock
from tests.testing.helpers import call, instance_ids, states

FEDORA = "ami-5bb65932"


def run(state: EC2State, count: int = 1, **params: object) -> list[str]:
    """Launch ``count`` instances of the fedora image; return their ids."""
    return instance_ids(
        call(
            state,
            "RunInstances",
            {"ImageId": FEDORA, "MinCount": count, "MaxCount": count, **params},
        )
    )


def error_of(state: EC2State, action: str, params: dict[str, object] | None = None) -> FakeError:
    """The FakeError that ``action`` raises."""
    with pytest.raises(FakeError) as caught:
        call(state, action, params)
    return caught.value


def test_pending_turns_running_after_boot_time(state: EC2State, clock: VirtualClock) -> None:
    """A new instance is pending until boot_time has passed on the clock, then running."""
    ids = run(state)
    assert ["pending"] == states(state, ids)
    clock.advance(0.999)
    assert ["pending"] == states(state, ids)
    clock.advance(0.001)
    assert ["running"] == states(state, ids)


def test_stop_then_start_walks_through_every_state(state: EC2State, clock: VirtualClock) -> None:
    """Stop goes stopping -> stopped; start goes pending -> running; the changes are reported."""
    ids = run(state)
    clock.advance(1)
    stop = call(state, "StopInstances", {"InstanceId": ids})["instancesSet"][0]
    assert ("running", "stopping") == (stop["previousState"]["name"], stop["currentState"]["name"])
    assert (16, 64) == (stop["previousState"]["code"], stop["currentState"]["code"])
    clock.advance(1)
    assert ["stopped"] == states(state, ids)
    start = call(state, "StartInstances", {"InstanceId": ids})["instancesSet"][0]
    assert ("stopped", "pending") == (start["previousState"]["name"], start["currentState"]["name"])
    clock.advance(1)
    assert ["running"] == states(state, ids)


def test_terminated_instances_linger_then_vanish(
    make_state: Callable[..., EC2State], clock: VirtualClock
) -> None:
    """Terminate: shutting-down, terminated for terminated_ttl, then InvalidInstanceID.NotFound."""
    state = make_state(boot_time=0, terminate_time=2, terminated_ttl=10)
    ids = run(state)
    change = call(state, "TerminateInstances", {"InstanceId": ids})["instancesSet"][0]
    assert "shutting-down" == change["currentState"]["name"]
    clock.advance(2)
    assert ["terminated"] == states(state, ids)
    clock.advance(9.9)
    assert ["terminated"] == states(state, ids)
    clock.advance(0.1)
    assert (
        "InvalidInstanceID.NotFound"
        == error_of(state, "DescribeInstances", {"InstanceId": ids}).code
    )
    assert [] == call(state, "DescribeInstances")["reservationSet"]


def test_stopping_a_never_running_instance_is_refused(state: EC2State) -> None:
    """StopInstances on an instance that never ran answers IncorrectInstanceState."""
    ids = run(state)
    error = error_of(state, "StopInstances", {"InstanceId": ids})
    assert ("IncorrectInstanceState", 400) == (error.code, error.status)


def test_starting_a_terminated_instance_is_refused(state: EC2State, clock: VirtualClock) -> None:
    """StartInstances on a terminated instance answers IncorrectInstanceState, changing nothing."""
    ids = run(state)
    call(state, "TerminateInstances", {"InstanceId": ids})
    clock.advance(1)
    assert "IncorrectInstanceState" == error_of(state, "StartInstances", {"InstanceId": ids}).code
    assert ["terminated"] == states(state, ids)


def test_reboot_keeps_the_instance_running(state: EC2State, clock: VirtualClock) -> None:
    """RebootInstances answers true and leaves a running instance running."""
    ids = run(state)
    clock.advance(1)
    assert {"return": True} == call(state, "RebootInstances", {"InstanceId": ids})
    assert ["running"] == states(state, ids)


def test_new_instances_are_invisible_during_the_consistency_lag(
    make_state: Callable[..., EC2State], clock: VirtualClock
) -> None:
    """For consistency_lag seconds Describe, Terminate and CreateTags answer NotFound."""
    state = make_state(consistency_lag=2)
    ids = run(state)
    assert [] == call(state, "DescribeInstances")["reservationSet"]
    for action, params in [
        ("DescribeInstances", {"InstanceId": ids}),
        ("TerminateInstances", {"InstanceId": ids}),
        ("CreateTags", {"ResourceId": ids, "Tag": [{"Key": "a", "Value": "b"}]}),
    ]:
        assert "InvalidInstanceID.NotFound" == error_of(state, action, params).code
    clock.advance(2)
    assert ids == instance_ids(call(state, "DescribeInstances"))


def test_same_client_token_returns_the_first_answer(state: EC2State, clock: VirtualClock) -> None:
    """A repeated RunInstances with the same token and parameters launches nothing new."""
    params = {"ImageId": FEDORA, "MinCount": 2, "MaxCount": 2, "ClientToken": "tok-1"}
    first = call(state, "RunInstances", params)
    clock.advance(5)
    again = call(state, "RunInstances", params)
    assert first == again
    assert 2 == len(instance_ids(call(state, "DescribeInstances")))
    assert {"tok-1"} == {i["clientToken"] for i in first["instancesSet"]}


def test_same_client_token_with_other_parameters_is_a_mismatch(state: EC2State) -> None:
    """Reusing a token with different parameters answers IdempotentParameterMismatch."""
    call(
        state, "RunInstances", {"ImageId": FEDORA, "MinCount": 1, "MaxCount": 1, "ClientToken": "t"}
    )
    error = error_of(
        state, "RunInstances", {"ImageId": FEDORA, "MinCount": 1, "MaxCount": 2, "ClientToken": "t"}
    )
    assert "IdempotentParameterMismatch" == error.code


def test_capacity_launches_as_many_as_fit(make_state: Callable[..., EC2State]) -> None:
    """With room for 3, MinCount=2 MaxCount=5 launches 3; then MinCount=1 finds no capacity."""
    state = make_state(capacity=3)
    assert 3 == len(run(state, 1, MinCount=2, MaxCount=5))
    error = error_of(state, "RunInstances", {"ImageId": FEDORA, "MinCount": 1, "MaxCount": 1})
    assert ("InsufficientInstanceCapacity", 400) == (error.code, error.status)


def test_terminating_frees_capacity(
    make_state: Callable[..., EC2State], clock: VirtualClock
) -> None:
    """A terminated instance gives its capacity back."""
    state = make_state(capacity=1, terminate_time=1)
    ids = run(state)
    call(state, "TerminateInstances", {"InstanceId": ids})
    clock.advance(1)
    assert 1 == len(run(state))


def test_min_count_above_max_count_is_invalid(state: EC2State) -> None:
    """MinCount greater than MaxCount answers InvalidParameterValue."""
    error = error_of(state, "RunInstances", {"ImageId": FEDORA, "MinCount": 3, "MaxCount": 2})
    assert "InvalidParameterValue" == error.code


@pytest.mark.parametrize(
    ("image_id", "code"),
    [("ami-nothex", "InvalidAMIID.Malformed"), ("ami-0123456789abcdef0", "InvalidAMIID.NotFound")],
)
def test_bad_image_ids(state: EC2State, image_id: str, code: str) -> None:
    """A badly shaped AMI id is Malformed; a well shaped unknown one is NotFound."""
    assert (
        code
        == error_of(state, "RunInstances", {"ImageId": image_id, "MinCount": 1, "MaxCount": 1}).code
    )


def test_malformed_instance_id(state: EC2State) -> None:
    """DescribeInstances with a badly shaped id answers InvalidInstanceID.Malformed."""
    assert (
        "InvalidInstanceID.Malformed"
        == error_of(state, "DescribeInstances", {"InstanceId": ["i-xyz"]}).code
    )


def test_unknown_key_pair_is_refused(state: EC2State) -> None:
    """RunInstances with a key pair that does not exist answers InvalidKeyPair.NotFound."""
    params = {"ImageId": FEDORA, "MinCount": 1, "MaxCount": 1, "KeyName": "nope"}
    assert "InvalidKeyPair.NotFound" == error_of(state, "RunInstances", params).code


def test_dry_run_checks_then_answers_412(state: EC2State) -> None:
    """DryRun answers DryRunOperation (412) when valid, the real error when not; nothing runs."""
    ok = error_of(
        state, "RunInstances", {"ImageId": FEDORA, "MinCount": 1, "MaxCount": 1, "DryRun": True}
    )
    assert ("DryRunOperation", 412) == (ok.code, ok.status)
    bad = error_of(
        state, "RunInstances", {"ImageId": "ami-bad", "MinCount": 1, "MaxCount": 1, "DryRun": True}
    )
    assert "InvalidAMIID.Malformed" == bad.code
    assert [] == call(state, "DescribeInstances")["reservationSet"]


def test_pages_cover_every_instance_once(state: EC2State) -> None:
    """MaxResults=5 pages through 12 instances in launch order, the last page without a token."""
    launched = run(state, 12)
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        params: dict[str, object] = {"MaxResults": 5}
        if token:
            params["NextToken"] = token
        page = call(state, "DescribeInstances", params)
        seen += instance_ids(page)
        pages += 1
        token = page.get("nextToken")
        if token is None:
            break
    assert launched == seen
    assert 3 == pages


@pytest.mark.parametrize("max_results", [4, 1001])
def test_max_results_out_of_bounds(state: EC2State, max_results: int) -> None:
    """MaxResults outside 5..1000 answers InvalidParameterValue."""
    assert (
        "InvalidParameterValue"
        == error_of(state, "DescribeInstances", {"MaxResults": max_results}).code
    )


def test_max_results_with_instance_ids_is_refused(state: EC2State) -> None:
    """MaxResults together with InstanceId answers InvalidParameterCombination, as in EC2."""
    ids = run(state)
    error = error_of(state, "DescribeInstances", {"InstanceId": ids, "MaxResults": 5})
    assert "InvalidParameterCombination" == error.code


def test_a_forged_next_token_is_refused(state: EC2State) -> None:
    """A NextToken the fake did not issue answers InvalidParameterValue."""
    assert (
        "InvalidParameterValue"
        == error_of(state, "DescribeInstances", {"NextToken": "garbage"}).code
    )


def test_filters_by_state_tag_image_and_reservation(state: EC2State, clock: VirtualClock) -> None:
    """Filters on instance-state-name, tag:K, tag-key, image-id and reservation-id all apply."""
    tagged = call(
        state,
        "RunInstances",
        {
            "ImageId": FEDORA,
            "MinCount": 1,
            "MaxCount": 1,
            "TagSpecification": [
                {"ResourceType": "instance", "Tag": [{"Key": "env", "Value": "prod"}]}
            ],
        },
    )
    clock.advance(1)
    other = run(state)
    tagged_id = instance_ids(tagged)

    def ids(*filters: tuple[str, list[str]]) -> list[str]:
        params = {"Filter": [{"Name": name, "Value": values} for name, values in filters]}
        return instance_ids(call(state, "DescribeInstances", params))

    assert tagged_id == ids(("instance-state-name", ["running"]))
    assert other == ids(("instance-state-name", ["pending"]))
    assert tagged_id == ids(("tag:env", ["prod"]))
    assert tagged_id == ids(("tag:env", ["pr*"]))
    assert tagged_id == ids(("tag-key", ["env"]))
    assert tagged_id + other == ids(("image-id", [FEDORA]))
    assert tagged_id == ids(("reservation-id", [tagged["reservationId"]]))
    assert [] == ids(("tag:env", ["prod"]), ("instance-state-name", ["pending"]))


def test_unknown_filter_is_refused(state: EC2State) -> None:
    """A filter name DescribeInstances does not know answers InvalidParameterValue."""
    params = {"Filter": [{"Name": "no-such-filter", "Value": ["x"]}]}
    assert "InvalidParameterValue" == error_of(state, "DescribeInstances", params).code


def test_instances_carry_the_launch_parameters(state: EC2State) -> None:
    """Key name, type, groups, subnet, user data and launch index are reported back."""
    call(state, "CreateKeyPair", {"KeyName": "gsg-keypair"})
    group = call(state, "CreateSecurityGroup", {"GroupName": "web", "GroupDescription": "w"})
    subnet = next(iter(state.subnets.values()))
    answer = call(
        state,
        "RunInstances",
        {
            "ImageId": FEDORA,
            "MinCount": 2,
            "MaxCount": 2,
            "KeyName": "gsg-keypair",
            "InstanceType": "t3.micro",
            "SecurityGroupId": [group["groupId"]],
            "SubnetId": subnet,
            "UserData": "aGVsbG8=",
        },
    )
    first, second = answer["instancesSet"]
    assert ("gsg-keypair", "t3.micro", subnet) == (
        first["keyName"],
        first["instanceType"],
        first["subnetId"],
    )
    assert [{"groupId": group["groupId"], "groupName": "web"}] == first["groupSet"]
    assert (0, 1) == (first["amiLaunchIndex"], second["amiLaunchIndex"])
    assert "aGVsbG8=" == state.instances[first["instanceId"]].user_data


def test_bad_user_data_is_refused(state: EC2State) -> None:
    """UserData that is not base64 answers InvalidParameterValue."""
    params = {"ImageId": FEDORA, "MinCount": 1, "MaxCount": 1, "UserData": "not base64!"}
    assert "InvalidParameterValue" == error_of(state, "RunInstances", params).code


def test_unknown_action_is_invalid(state: EC2State) -> None:
    """An action the fake does not serve answers InvalidAction."""
    assert "InvalidAction" == error_of(state, "LaunchRockets").code


def test_instance_attributes_report_the_launch(state: EC2State) -> None:
    """DescribeInstanceAttribute answers the type, user data, groups and root device launched."""
    (instance,) = run(state, InstanceType="t3.micro", UserData="aGVsbG8=")

    def attribute(name: str) -> object:
        answer = call(
            state, "DescribeInstanceAttribute", {"InstanceId": instance, "Attribute": name}
        )
        assert instance == answer.pop("instanceId")
        ((key, value),) = answer.items()
        assert name == key
        return value

    assert {"value": "t3.micro"} == attribute("instanceType")
    assert {"value": "aGVsbG8="} == attribute("userData")
    default = state.groups[state.instances[instance].group_ids[0]]
    assert [{"groupId": default.id, "groupName": "default"}] == attribute("groupSet")
    assert {"value": "/dev/sda1"} == attribute("rootDeviceName")  # fedora: instance store
    assert {"value": "stop"} == attribute("instanceInitiatedShutdownBehavior")
    assert {"value": False} == attribute("disableApiTermination")
    assert {"value": "aki-9b00e5f2"} == attribute("kernel")


def test_instance_attribute_without_a_value_is_empty(state: EC2State) -> None:
    """An instance launched without user data answers an empty userData element."""
    (instance,) = run(state)
    answer = call(
        state, "DescribeInstanceAttribute", {"InstanceId": instance, "Attribute": "userData"}
    )
    assert {"instanceId": instance, "userData": {}} == answer


@pytest.mark.parametrize(
    ("instance", "attribute", "code"),
    [
        ("i-0123456789abcdef0", "userData", "InvalidInstanceID.NotFound"),
        ("nope", "userData", "InvalidInstanceID.Malformed"),
        (None, "userData", "MissingParameter"),
        ("launched", "colour", "InvalidParameterValue"),
        ("launched", None, "MissingParameter"),
    ],
)
def test_instance_attribute_errors(
    state: EC2State, instance: str | None, attribute: str | None, code: str
) -> None:
    """Unknown or malformed instances, and missing or unknown attributes, answer EC2's codes."""
    (launched,) = run(state)
    params = {
        "InstanceId": launched if instance == "launched" else instance,
        "Attribute": attribute,
    }
    sent: dict[str, object] = {k: v for k, v in params.items() if v is not None}
    assert code == error_of(state, "DescribeInstanceAttribute", sent).code


def test_instance_attribute_dry_run(state: EC2State) -> None:
    """A dry run of a call that would succeed answers DryRunOperation."""
    (instance,) = run(state)
    params = {"InstanceId": instance, "Attribute": "userData", "DryRun": True}
    assert "DryRunOperation" == error_of(state, "DescribeInstanceAttribute", params).code
