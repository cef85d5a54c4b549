"""The escape hatch against moto_server and FakeEC2: the same tests, two EC2 implementations."""

from __future__ import annotations

import pytest

from aioec2.errors import NotFoundError
from aioec2.signers import AnonymousSigner, Signer, SigV2Signer, SigV4Signer
from tests.conftest import Endpoint

SIGNERS = [SigV4Signer(), SigV2Signer(), AnonymousSigner()]


@pytest.mark.parametrize("signer", SIGNERS, ids=lambda s: type(s).__name__)
async def test_describe_regions(ec2_endpoint: Endpoint, signer: Signer) -> None:
    """DescribeRegions lists us-east-1 with its endpoint, whichever signer is used."""
    async with ec2_endpoint.session(signer=signer) as s:
        result = await s.request("DescribeRegions")
    regions = {r["regionName"]: r["regionEndpoint"] for r in result["regionInfo"]}
    assert "ec2.us-east-1.amazonaws.com" == regions["us-east-1"]


async def test_describe_images_by_owner(ec2_endpoint: Endpoint) -> None:
    """DescribeImages with Owner.1=amazon returns only Amazon's images, as a list."""
    async with ec2_endpoint.session() as s:
        result = await s.request("DescribeImages", {"Owner": ["amazon"]})
    images = result["imagesSet"]
    assert images
    assert {"amazon"} == {image["imageOwnerAlias"] for image in images}
    assert all(isinstance(image["tagSet"], list) for image in images)


async def test_run_then_terminate_instances(ec2_endpoint: Endpoint) -> None:
    """RunInstances launches two instances that TerminateInstances then shuts down."""
    async with ec2_endpoint.session() as s:
        images = (await s.request("DescribeImages", {"Owner": ["amazon"]}))["imagesSet"]
        ran = await s.request(
            "RunInstances",
            {
                "ImageId": images[0]["imageId"],
                "MinCount": 2,
                "MaxCount": 2,
                "InstanceType": "t3.micro",
            },
        )
        ids = [i["instanceId"] for i in ran["instancesSet"]]
        assert 2 == len(ids)
        assert ran["reservationId"].startswith("r-")
        described = await s.request("DescribeInstances", {"InstanceId": ids})
        found = [i["instanceId"] for r in described["reservationSet"] for i in r["instancesSet"]]
        assert sorted(ids) == sorted(found)
        stopped = await s.request("TerminateInstances", {"InstanceId": ids})
    changes = {c["instanceId"]: c["currentState"]["name"] for c in stopped["instancesSet"]}
    assert set(ids) == set(changes)
    assert set(changes.values()) <= {"shutting-down", "terminated"}


async def test_unknown_instance_is_not_found(ec2_endpoint: Endpoint) -> None:
    """Terminating an unknown instance id raises NotFoundError with EC2's code."""
    async with ec2_endpoint.session() as s:
        with pytest.raises(NotFoundError) as caught:
            await s.request("TerminateInstances", {"InstanceId": ["i-0123456789abcdef0"]})
    assert "InvalidInstanceID.NotFound" == caught.value.code
    assert 400 == caught.value.status


async def test_new_instances_start_pending(ec2_endpoint: Endpoint) -> None:
    """RunInstances answers with instances in the 'pending' state, as EC2 does."""
    async with ec2_endpoint.session() as s:
        images = (await s.request("DescribeImages", {"Owner": ["amazon"]}))["imagesSet"]
        ran = await s.request(
            "RunInstances", {"ImageId": images[0]["imageId"], "MinCount": 1, "MaxCount": 1}
        )
    assert ["pending"] == [i["instanceState"]["name"] for i in ran["instancesSet"]]


@pytest.mark.moto_gap(reason="moto has no ResetImageAttribute")
async def test_reset_image_attribute(ec2_endpoint: Endpoint) -> None:
    """ResetImageAttribute on launchPermission answers 'true'."""
    async with ec2_endpoint.session() as s:
        images = (await s.request("DescribeImages", {"Owner": ["amazon"]}))["imagesSet"]
        result = await s.request(
            "ResetImageAttribute",
            {"ImageId": images[0]["imageId"], "Attribute": "launchPermission"},
        )
    assert "true" == result["return"]
