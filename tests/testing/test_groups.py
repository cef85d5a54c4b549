"""Security groups: creation, rules, duplicates, revocation, dependencies, lag, paging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aioec2.testing import EC2State, FakeError, VirtualClock
from tests.testing.helpers import call


def error_of(state: EC2State, action: str, params: dict[str, Any]) -> FakeError:
    """The FakeError ``action`` raises."""
    with pytest.raises(FakeError) as caught:
        call(state, action, params)
    return caught.value


def group(state: EC2State, group_id: str) -> dict[str, Any]:
    """DescribeSecurityGroups' item for ``group_id``."""
    return call(state, "DescribeSecurityGroups", {"GroupId": [group_id]})["securityGroupInfo"][0]


def tcp(port: int, cidr: str) -> dict[str, Any]:
    """One IpPermissions item: TCP ``port`` from ``cidr``."""
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}


def create(state: EC2State, name: str) -> str:
    """Create a group; return its id."""
    return call(state, "CreateSecurityGroup", {"GroupName": name, "GroupDescription": name})[
        "groupId"
    ]


def test_default_vpc_group_exists(state: EC2State) -> None:
    """The default VPC has a group named default that lets its members talk to each other."""
    (default,) = call(state, "DescribeSecurityGroups")["securityGroupInfo"]
    assert ("default", state.vpc_id) == (default["groupName"], default["vpcId"])
    (rule,) = default["ipPermissions"]
    assert ("-1", default["groupId"]) == (rule["ipProtocol"], rule["groups"][0]["groupId"])


def test_new_group_allows_all_egress_and_no_ingress(state: EC2State) -> None:
    """A new group has no inbound rule and one outbound rule to 0.0.0.0/0."""
    created = group(state, create(state, "apache"))
    assert [] == created["ipPermissions"]
    assert [{"cidrIp": "0.0.0.0/0", "description": None}] == created["ipPermissionsEgress"][0][
        "ipRanges"
    ]


def test_three_tier_rules_merge_by_protocol_and_ports(state: EC2State) -> None:
    """CIDR and group grants appear as EC2 shows them: one IpPermission per protocol and range."""
    web = create(state, "apache")
    app = create(state, "appserver")
    call(
        state,
        "AuthorizeSecurityGroupIngress",
        {"GroupId": web, "IpPermissions": [tcp(80, "0.0.0.0/0")]},
    )
    call(
        state,
        "AuthorizeSecurityGroupIngress",
        {
            "GroupName": "apache",
            "IpProtocol": "tcp",
            "FromPort": 22,
            "ToPort": 22,
            "CidrIp": "192.168.1.130/32",
        },
    )
    call(
        state,
        "AuthorizeSecurityGroupIngress",
        {"GroupId": web, "IpPermissions": [tcp(80, "10.0.0.0/8")]},
    )
    call(
        state,
        "AuthorizeSecurityGroupIngress",
        {"GroupName": "appserver", "SourceSecurityGroupName": "apache"},
    )
    rules = group(state, web)["ipPermissions"]
    assert [("tcp", 80, 80), ("tcp", 22, 22)] == [
        (r["ipProtocol"], r["fromPort"], r["toPort"]) for r in rules
    ]
    assert ["0.0.0.0/0", "10.0.0.0/8"] == [r["cidrIp"] for r in rules[0]["ipRanges"]]
    (app_rule,) = group(state, app)["ipPermissions"]
    assert ("-1", web) == (app_rule["ipProtocol"], app_rule["groups"][0]["groupId"])


def test_duplicate_rule_is_refused(state: EC2State) -> None:
    """Granting the same rule twice answers InvalidPermission.Duplicate."""
    web = create(state, "apache")
    call(
        state,
        "AuthorizeSecurityGroupIngress",
        {"GroupId": web, "IpPermissions": [tcp(80, "0.0.0.0/0")]},
    )
    error = error_of(
        state,
        "AuthorizeSecurityGroupIngress",
        {"GroupId": web, "IpPermissions": [tcp(80, "0.0.0.0/0")]},
    )
    assert "InvalidPermission.Duplicate" == error.code


def test_revoke_removes_one_grant(state: EC2State) -> None:
    """Revoking port 22 leaves port 80 in place."""
    web = create(state, "apache")
    call(
        state,
        "AuthorizeSecurityGroupIngress",
        {"GroupId": web, "IpPermissions": [tcp(80, "0.0.0.0/0"), tcp(22, "192.168.1.130/32")]},
    )
    answer = call(
        state,
        "RevokeSecurityGroupIngress",
        {"GroupId": web, "IpPermissions": [tcp(22, "192.168.1.130/32")]},
    )
    assert True is answer["return"]
    assert [80] == [r["fromPort"] for r in group(state, web)["ipPermissions"]]


def test_revoke_of_a_missing_rule_is_not_found(state: EC2State) -> None:
    """Revoking a rule the group does not have answers InvalidPermission.NotFound."""
    web = create(state, "apache")
    error = error_of(
        state,
        "RevokeSecurityGroupIngress",
        {"GroupId": web, "IpPermissions": [tcp(22, "10.0.0.0/8")]},
    )
    assert "InvalidPermission.NotFound" == error.code


def test_revoke_reports_the_unknown_part(state: EC2State) -> None:
    """Revoking one known and one unknown rule revokes the first and lists the second."""
    web = create(state, "apache")
    call(
        state,
        "AuthorizeSecurityGroupIngress",
        {"GroupId": web, "IpPermissions": [tcp(80, "0.0.0.0/0")]},
    )
    answer = call(
        state,
        "RevokeSecurityGroupIngress",
        {"GroupId": web, "IpPermissions": [tcp(80, "0.0.0.0/0"), tcp(22, "10.0.0.0/8")]},
    )
    assert [22] == [p["fromPort"] for p in answer["unknownIpPermissionSet"]]
    assert 1 == len(answer["revokedSecurityGroupRuleSet"])


def test_referenced_group_cannot_be_deleted(state: EC2State) -> None:
    """Deleting a group another group's rule names answers DependencyViolation."""
    web = create(state, "apache")
    app = create(state, "appserver")
    call(
        state,
        "AuthorizeSecurityGroupIngress",
        {"GroupId": app, "IpPermissions": [{"IpProtocol": "-1", "Groups": [{"GroupId": web}]}]},
    )
    assert "DependencyViolation" == error_of(state, "DeleteSecurityGroup", {"GroupId": web}).code
    call(
        state,
        "RevokeSecurityGroupIngress",
        {"GroupId": app, "IpPermissions": [{"IpProtocol": "-1", "Groups": [{"GroupId": web}]}]},
    )
    assert {"return": True, "groupId": web} == call(state, "DeleteSecurityGroup", {"GroupId": web})


def test_group_in_use_by_an_instance_cannot_be_deleted(state: EC2State) -> None:
    """A group that a live instance uses answers DependencyViolation."""
    web = create(state, "apache")
    call(
        state,
        "RunInstances",
        {"ImageId": "ami-5bb65932", "MinCount": 1, "MaxCount": 1, "SecurityGroup": ["apache"]},
    )
    assert "DependencyViolation" == error_of(state, "DeleteSecurityGroup", {"GroupId": web}).code


def test_default_group_cannot_be_deleted(state: EC2State) -> None:
    """The default group answers CannotDelete."""
    assert "CannotDelete" == error_of(state, "DeleteSecurityGroup", {"GroupName": "default"}).code


def test_duplicate_name_is_refused_even_while_invisible(
    make_state: Callable[..., EC2State],
) -> None:
    """A second group of the same name answers InvalidGroup.Duplicate during the lag too."""
    state = make_state(consistency_lag=5)
    create(state, "apache")
    error = error_of(
        state, "CreateSecurityGroup", {"GroupName": "apache", "GroupDescription": "again"}
    )
    assert "InvalidGroup.Duplicate" == error.code


def test_new_group_is_invisible_during_the_lag(
    make_state: Callable[..., EC2State], clock: VirtualClock
) -> None:
    """A new group answers InvalidGroup.NotFound until consistency_lag has passed."""
    state = make_state(consistency_lag=1)
    web = create(state, "apache")
    assert (
        "InvalidGroup.NotFound"
        == error_of(state, "DescribeSecurityGroups", {"GroupId": [web]}).code
    )
    assert (
        "InvalidGroup.NotFound"
        == error_of(
            state,
            "AuthorizeSecurityGroupIngress",
            {"GroupId": web, "IpPermissions": [tcp(80, "0.0.0.0/0")]},
        ).code
    )
    clock.advance(1)
    assert web == group(state, web)["groupId"]


@pytest.mark.parametrize(
    ("permission", "code"),
    [
        ({"IpProtocol": "tcp", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, "InvalidParameterValue"),
        ({**tcp(80, "10.0.0.1/8")}, "InvalidParameterValue"),
        ({"IpProtocol": "bogus", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, "InvalidParameterValue"),
        (
            {"IpProtocol": "-1", "Groups": [{"GroupId": "sg-0123456789abcdef0"}]},
            "InvalidGroup.NotFound",
        ),
        ({"IpProtocol": "-1", "Groups": [{"GroupId": "sg-x"}]}, "InvalidGroupId.Malformed"),
    ],
)
def test_bad_permissions(state: EC2State, permission: dict[str, Any], code: str) -> None:
    """Missing ports, bad CIDRs, unknown protocols and unknown peer groups are refused."""
    web = create(state, "apache")
    assert (
        code
        == error_of(
            state, "AuthorizeSecurityGroupIngress", {"GroupId": web, "IpPermissions": [permission]}
        ).code
    )


def test_filters_and_paging(state: EC2State) -> None:
    """Groups filter by group-name and ip-permission.cidr and page with MaxResults."""
    for index in range(6):
        create(state, f"g{index}")
    call(
        state,
        "AuthorizeSecurityGroupIngress",
        {"GroupName": "g3", "IpPermissions": [tcp(443, "10.1.0.0/16")]},
    )
    found = call(
        state,
        "DescribeSecurityGroups",
        {"Filter": [{"Name": "ip-permission.cidr", "Value": ["10.1.0.0/16"]}]},
    )
    assert ["g3"] == [g["groupName"] for g in found["securityGroupInfo"]]
    named = call(
        state, "DescribeSecurityGroups", {"Filter": [{"Name": "group-name", "Value": ["g?"]}]}
    )
    assert 6 == len(named["securityGroupInfo"])
    page = call(state, "DescribeSecurityGroups", {"MaxResults": 5})
    rest = call(state, "DescribeSecurityGroups", {"MaxResults": 5, "NextToken": page["nextToken"]})
    assert 7 == len(page["securityGroupInfo"]) + len(rest["securityGroupInfo"])
    assert None is rest["nextToken"]
