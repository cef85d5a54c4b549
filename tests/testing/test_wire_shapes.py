"""Every element FakeEC2 writes is one botocore's EC2 model knows, so no field is lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import xmltodict

from aioec2.testing import EC2State, Faults, VirtualClock
from aioec2.testing._auth import RawRequest
from aioec2.testing._service import Service
from aioec2.testing._state import HANDLERS
from tests.testing.helpers import wire

botocore_session = pytest.importorskip("botocore.session")
botocore_parsers = pytest.importorskip("botocore.parsers")

MODEL = botocore_session.get_session().get_service_model("ec2")
FEDORA = "ami-5bb65932"
# Every attribute DescribeInstanceAttribute takes, as botocore's model lists them.
INSTANCE_ATTRIBUTES: list[str] = MODEL.shape_for("InstanceAttributeName").enum
# EC2 sends <return>true</return> for these, though botocore's model has no member for it.
RETURN_ONLY = {
    "CreateSecurityGroup",
    "RebootInstances",
    "ModifyImageAttribute",
    "ResetImageAttribute",
    "CreateTags",
    "DeleteTags",
}


def _check(shape: Any, node: Any, path: str, unknown: list[str]) -> None:
    if shape.type_name == "structure":
        if node is None:
            return  # an empty element: a structure with nothing set, e.g. <userData/>
        if not isinstance(node, dict):
            unknown.append(f"{path}: expected elements, got {node!r}")
            return
        members = {m.serialization.get("name", name): m for name, m in shape.members.items()}
        for key, value in node.items():
            if key not in members:
                unknown.append(f"{path}/{key}")
            else:
                _check(members[key], value, f"{path}/{key}", unknown)
    elif shape.type_name == "list":
        if node is None:
            return
        items = node.get("item", []) if isinstance(node, dict) else []
        if not isinstance(node, dict) or set(node) != {"item"}:
            unknown.append(f"{path}: a list must hold only <item>s, got {node!r}")
        for index, item in enumerate(items if isinstance(items, list) else [items]):
            _check(shape.member, item, f"{path}/{index}", unknown)
    elif isinstance(node, dict):
        unknown.append(f"{path}: expected text, got elements {sorted(node)}")


def scenario(state: EC2State, clock: VirtualClock) -> list[tuple[str, bytes]]:
    """Run every action the fake serves; return each action with its answer's XML."""
    service = Service(state, faults=Faults())
    answers: list[tuple[str, bytes]] = []

    def send(action: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        request = RawRequest(
            method="POST", path="/", headers=(), body=b"", params={"Action": action, **wire(params)}
        )
        outcome = service.handle(request)
        assert 200 == outcome.status, outcome.body
        answers.append((action, outcome.body))
        root = xmltodict.parse(outcome.body)
        return next(iter(root.values()))

    tags = [{"Key": "env", "Value": "prod"}]
    send("DescribeImages", {"Owner": ["amazon"]})
    send(
        "CreateKeyPair",
        {"KeyName": "gsg", "TagSpecification": [{"ResourceType": "key-pair", "Tag": tags}]},
    )
    public = state.key_pairs["gsg"].public_key.encode()
    send("ImportKeyPair", {"KeyName": "mine", "PublicKeyMaterial": public})
    send("DescribeKeyPairs", {"IncludePublicKey": True})
    web = send(
        "CreateSecurityGroup",
        {
            "GroupName": "web",
            "GroupDescription": "w",
            "TagSpecification": [{"ResourceType": "security-group", "Tag": tags}],
        },
    )["groupId"]
    app = send("CreateSecurityGroup", {"GroupName": "app", "GroupDescription": "a"})["groupId"]
    send(
        "AuthorizeSecurityGroupIngress",
        {
            "GroupId": web,
            "IpPermissions": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 80,
                    "ToPort": 80,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "http"}],
                    "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                },
                {"IpProtocol": "-1", "Groups": [{"GroupId": app, "Description": "tier"}]},
            ],
        },
    )
    send(
        "RevokeSecurityGroupIngress",
        {
            "GroupId": web,
            "IpPermissions": [
                {"IpProtocol": "-1", "Groups": [{"GroupId": app}]},
                {
                    "IpProtocol": "udp",
                    "FromPort": 53,
                    "ToPort": 53,
                    "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
                },
            ],
        },
    )
    send("DescribeSecurityGroups")
    ran = send(
        "RunInstances",
        {
            "ImageId": FEDORA,
            "MinCount": 2,
            "MaxCount": 2,
            "KeyName": "gsg",
            "SecurityGroup": ["web"],
            "ClientToken": "t",
            "TagSpecification": [{"ResourceType": "instance", "Tag": tags}],
        },
    )
    ids = [item["instanceId"] for item in ran["instancesSet"]["item"]]
    for attribute in INSTANCE_ATTRIBUTES:
        send("DescribeInstanceAttribute", {"InstanceId": ids[0], "Attribute": attribute})
    clock.advance(5)
    send("DescribeInstances", {"MaxResults": 5})
    send("RebootInstances", {"InstanceId": ids})
    send("StopInstances", {"InstanceId": ids})
    clock.advance(5)
    send("DescribeInstances")  # stopped: state reasons, no public address
    send("StartInstances", {"InstanceId": ids})
    send("TerminateInstances", {"InstanceId": ids})
    send(
        "ModifyImageAttribute",
        {
            "ImageId": FEDORA,
            "LaunchPermission": {"Add": [{"UserId": "123456789099"}, {"Group": "all"}]},
        },
    )
    send("DescribeImageAttribute", {"ImageId": FEDORA, "Attribute": "launchPermission"})
    send("DescribeImageAttribute", {"ImageId": FEDORA, "Attribute": "description"})
    mine = send(
        "RegisterImage",
        {
            "Name": "my-image",
            "Description": "mine",
            "Architecture": "x86_64",
            "VirtualizationType": "hvm",
            "RootDeviceName": "/dev/sda1",
            "TagSpecification": [{"ResourceType": "image", "Tag": tags}],
        },
    )["imageId"]
    send("DescribeImages", {"ImageId": [mine]})
    send("ResetImageAttribute", {"ImageId": FEDORA, "Attribute": "launchPermission"})
    send("CreateTags", {"ResourceId": [FEDORA, web], "Tag": tags})
    send("DescribeTags", {"MaxResults": 5})
    send("DeleteTags", {"ResourceId": [FEDORA], "Tag": [{"Key": "env"}]})
    send("DescribeRegions")
    send("DescribeAvailabilityZones")
    send("DeleteSecurityGroup", {"GroupId": app})
    send("DeleteKeyPair", {"KeyName": "mine"})
    return answers


@pytest.fixture
def answers(make_state: Callable[..., EC2State], clock: VirtualClock) -> list[tuple[str, bytes]]:
    """The XML answer of every action in a tutorial-like scenario."""
    return scenario(make_state(boot_time=1, stop_time=1, terminate_time=1), clock)


def test_the_scenario_covers_every_action(answers: list[tuple[str, bytes]]) -> None:
    """The scenario exercises every action the fake serves."""
    assert set(HANDLERS) == {action for action, _ in answers}


def test_every_element_is_in_botocores_model(answers: list[tuple[str, bytes]]) -> None:
    """No answer holds an element that botocore's output shape for the action lacks."""
    unknown: list[str] = []
    for action, body in answers:
        ((root, content),) = xmltodict.parse(body, xml_attribs=False).items()
        assert f"{action}Response" == root
        content = dict(content or {})
        content.pop("requestId")
        if action in RETURN_ONLY:
            assert "true" == content.pop("return")
        output = MODEL.operation_model(action).output_shape
        if output is None:
            assert {} == content, action
        else:
            _check(output, content, action, unknown)
    assert [] == unknown


def test_botocore_parses_every_answer(answers: list[tuple[str, bytes]]) -> None:
    """botocore's EC2 parser reads every answer, timestamps and numbers typed."""
    parser = botocore_parsers.create_parser("ec2")
    parsed: dict[str, list[dict[str, Any]]] = {}
    for action, body in answers:
        shape = MODEL.operation_model(action).output_shape
        answer = parser.parse({"body": body, "headers": {}, "status_code": 200}, shape)
        parsed.setdefault(action, []).append(answer)
    instance = parsed["DescribeInstances"][1]["Reservations"][0]["Instances"][0]
    assert ("stopped", 80) == (instance["State"]["Name"], instance["State"]["Code"])
    assert "Client.UserInitiatedShutdown" == instance["StateReason"]["Code"]
    assert instance["LaunchTime"].tzinfo is not None
    assert [{"Key": "env", "Value": "prod"}] == instance["Tags"]
    permissions = parsed["DescribeImageAttribute"][0]["LaunchPermissions"]
    assert [{"Group": "all"}, {"UserId": "123456789099"}] == permissions
    assert parsed["CreateKeyPair"][0]["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert "t" == parsed["RunInstances"][0]["Instances"][0]["ClientToken"]
