"""The escape hatch against moto_server, an EC2 implementation nobody here wrote."""

from __future__ import annotations

import pytest

import aioec2
from aioec2.errors import NotFoundError
from aioec2.signers import AnonymousSigner, Signer, SigV2Signer, SigV4Signer

pytestmark = pytest.mark.moto

CREDS = aioec2.Credentials("AKIDEXAMPLE", "moto-secret-key", None)

SIGNERS = [SigV4Signer(), SigV2Signer(), AnonymousSigner()]


def moto_session(url: str, signer: Signer | None = None) -> aioec2.Session:
    """A session against the moto_server fixture."""
    return aioec2.Session(region="us-east-1", endpoint_url=url, credentials=CREDS, signer=signer)


@pytest.mark.parametrize("signer", SIGNERS, ids=lambda s: type(s).__name__)
async def test_describe_regions(moto_url: str, signer: Signer) -> None:
    """DescribeRegions lists us-east-1 with its endpoint, whichever signer is used."""
    async with moto_session(moto_url, signer) as s:
        result = await s.request("DescribeRegions")
    regions = {r["regionName"]: r["regionEndpoint"] for r in result["regionInfo"]}
    assert "ec2.us-east-1.amazonaws.com" == regions["us-east-1"]


async def test_describe_images_by_owner(moto_url: str) -> None:
    """DescribeImages with Owner.1=amazon returns only Amazon's images, as a list."""
    async with moto_session(moto_url) as s:
        result = await s.request("DescribeImages", {"Owner": ["amazon"]})
    images = result["imagesSet"]
    assert images
    assert {"amazon"} == {image["imageOwnerAlias"] for image in images}
    assert all(isinstance(image["tagSet"], list) for image in images)


async def test_run_then_terminate_instances(moto_url: str) -> None:
    """RunInstances launches two instances that TerminateInstances then shuts down."""
    async with moto_session(moto_url) as s:
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


async def test_unknown_instance_is_not_found(moto_url: str) -> None:
    """Terminating an unknown instance id raises NotFoundError with EC2's code."""
    async with moto_session(moto_url) as s:
        with pytest.raises(NotFoundError) as caught:
            await s.request("TerminateInstances", {"InstanceId": ["i-0123456789abcdef0"]})
    assert "InvalidInstanceID.NotFound" == caught.value.code
    assert 400 == caught.value.status
