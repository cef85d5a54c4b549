"""boto3, unmodified, runs the tutorial against FakeEC2: the fake speaks EC2, not only aioec2."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aioec2.testing import FakeEC2, VirtualClock

boto3 = pytest.importorskip("boto3")
botocore_exceptions = pytest.importorskip("botocore.exceptions")

OTHER_ACCOUNT = "123456789099"


async def test_tutorial_with_boto3() -> None:
    """Images, two instances with a key pair, launch permissions, groups, tags, termination."""
    clock = VirtualClock()
    async with FakeEC2(clock=clock, credentials=True, boot_time=10, rsa_key_bits=1024) as fake:
        assert fake.credentials is not None
        ec2 = boto3.client(
            "ec2",
            endpoint_url=fake.url,
            region_name="us-east-1",
            aws_access_key_id=fake.credentials.access_key_id,
            aws_secret_access_key=fake.credentials.secret_access_key,
        )

        async def call(method: str, **kwargs: Any) -> dict[str, Any]:
            result: dict[str, Any] = await asyncio.to_thread(getattr(ec2, method), **kwargs)
            return result

        image = (await call("describe_images", Owners=["amazon"]))["Images"][0]
        assert "ec2-public-images/fedora-core4-base.manifest.xml" == image["ImageLocation"]
        image_id = image["ImageId"]

        key = await call("create_key_pair", KeyName="gsg-keypair")
        assert key["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----")
        described_keys = (await call("describe_key_pairs", KeyNames=["gsg-keypair"]))["KeyPairs"]
        assert [key["KeyFingerprint"]] == [k["KeyFingerprint"] for k in described_keys]

        reservation = await call(
            "run_instances", ImageId=image_id, MinCount=2, MaxCount=2, KeyName="gsg-keypair"
        )
        ids = [i["InstanceId"] for i in reservation["Instances"]]
        assert [("pending", "gsg-keypair")] * 2 == [
            (i["State"]["Name"], i["KeyName"]) for i in reservation["Instances"]
        ]
        clock.advance(10)
        running = await call("describe_instances", InstanceIds=ids)
        assert {"running"} == {
            i["State"]["Name"] for r in running["Reservations"] for i in r["Instances"]
        }

        async def permissions() -> list[dict[str, str]]:
            answer = await call(
                "describe_image_attribute", ImageId=image_id, Attribute="launchPermission"
            )
            return answer["LaunchPermissions"]

        assert [{"Group": "all"}] == await permissions()  # a public image, as on EC2
        await call(
            "modify_image_attribute",
            ImageId=image_id,
            LaunchPermission={"Remove": [{"Group": "all"}]},
        )
        assert [] == await permissions()
        await call(
            "modify_image_attribute",
            ImageId=image_id,
            LaunchPermission={"Add": [{"UserId": OTHER_ACCOUNT}]},
        )
        assert [{"UserId": OTHER_ACCOUNT}] == await permissions()
        await call(
            "modify_image_attribute",
            ImageId=image_id,
            LaunchPermission={"Remove": [{"UserId": OTHER_ACCOUNT}]},
        )
        await call(
            "modify_image_attribute", ImageId=image_id, LaunchPermission={"Add": [{"Group": "all"}]}
        )
        assert [{"Group": "all"}] == await permissions()
        await call("reset_image_attribute", ImageId=image_id, Attribute="launchPermission")
        assert [] == await permissions()

        web = (
            await call("create_security_group", GroupName="apache", Description="Our Apache Group")
        )["GroupId"]
        http = {
            "IpProtocol": "tcp",
            "FromPort": 80,
            "ToPort": 80,
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
        }
        ssh = {
            "IpProtocol": "tcp",
            "FromPort": 22,
            "ToPort": 22,
            "IpRanges": [{"CidrIp": "192.168.1.130/32"}],
        }
        await call("authorize_security_group_ingress", GroupId=web, IpPermissions=[http])
        app = (
            await call(
                "create_security_group", GroupName="appserver", Description="The application tier"
            )
        )["GroupId"]
        await call(
            "authorize_security_group_ingress",
            GroupId=app,
            IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": web}]}],
        )
        await call("authorize_security_group_ingress", GroupId=web, IpPermissions=[ssh])
        with pytest.raises(botocore_exceptions.ClientError) as duplicate:
            await call("authorize_security_group_ingress", GroupId=web, IpPermissions=[ssh])
        assert "InvalidPermission.Duplicate" == duplicate.value.response["Error"]["Code"]
        await call("revoke_security_group_ingress", GroupId=web, IpPermissions=[ssh])
        groups = (await call("describe_security_groups", GroupIds=[web, app]))["SecurityGroups"]
        rules = {
            g["GroupName"]: [(p["IpProtocol"], p.get("FromPort")) for p in g["IpPermissions"]]
            for g in groups
        }
        assert {"apache": [("tcp", 80)], "appserver": [("-1", None)]} == rules
        assert web == groups[1]["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"]

        await call("create_tags", Resources=ids, Tags=[{"Key": "Name", "Value": "tutorial"}])
        tags = (await call("describe_tags", Filters=[{"Name": "resource-id", "Values": ids}]))[
            "Tags"
        ]
        assert {(i, "Name", "tutorial") for i in ids} == {
            (t["ResourceId"], t["Key"], t["Value"]) for t in tags
        }

        changes = (await call("terminate_instances", InstanceIds=ids))["TerminatingInstances"]
        assert {"shutting-down"} == {c["CurrentState"]["Name"] for c in changes}
        await call("delete_key_pair", KeyName="gsg-keypair")
        assert [] == (await call("describe_key_pairs"))["KeyPairs"]

        with pytest.raises(botocore_exceptions.ClientError) as missing:
            await call("describe_instances", InstanceIds=["i-0123456789abcdef0"])
        assert "InvalidInstanceID.NotFound" == missing.value.response["Error"]["Code"]
