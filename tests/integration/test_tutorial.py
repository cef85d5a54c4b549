"""API.md's tutorial, step by step, against moto_server and FakeEC2."""

from __future__ import annotations

import pytest

import aioec2
from aioec2.models import LaunchPermissions
from aioec2.testing import set_testing
from tests.conftest import Endpoint


@pytest.fixture(autouse=True)
def _fast_retries() -> object:
    """Retries without back-off sleeps."""
    with set_testing(True):
        yield


async def test_images_instances_and_launch_permissions(ec2_endpoint: Endpoint) -> None:
    """Images, run and terminate, a two-instance launch with a key pair, launch permissions."""
    async with ec2_endpoint.session() as s:
        images = await s.describe_images(owners=["amazon"])
        assert images
        image = images[0]
        assert isinstance(image, aioec2.Image)
        assert f"Image:{image.id}" == repr(image)
        assert image.location

        reservation = await image.run()
        instance = reservation.instances[0]
        assert f"Reservation:{reservation.id}" == repr(reservation)
        assert f"Instance:{instance.id}" == repr(instance)
        assert "pending" == instance.state
        assert image.id == instance.image_id
        assert instance.launch_time is not None
        assert instance.launch_time.tzinfo is not None
        change = await instance.terminate()
        assert instance.id == change.instance_id
        assert change.current_state.name in {"shutting-down", "terminated"}

        await s.create_key_pair("gsg-keypair")
        reservation = await image.run(2, 2, "gsg-keypair")
        assert 2 == len(reservation.instances)
        assert {"gsg-keypair"} == {i.key_name for i in reservation.instances}
        changes = await reservation.terminate_all()
        assert {i.id for i in reservation.instances} == {c.instance_id for c in changes}

        ids = set()
        for r in await s.describe_instances():
            for i in r.instances:
                ids.add(i.id)
                assert isinstance(i.state, str)
        assert {i.id for i in reservation.instances} <= ids

        # A public image is shared with the group "all", as EC2 reports it; make it private.
        assert ("all",) == (await image.get_launch_permissions()).groups
        await image.remove_launch_permissions(groups=["all"])
        assert LaunchPermissions(user_ids=(), groups=()) == await image.get_launch_permissions()
        await image.set_launch_permissions(user_ids=["123456789012"])
        assert ("123456789012",) == (await image.get_launch_permissions()).user_ids
        await image.remove_launch_permissions(user_ids=["123456789012"])
        await image.set_launch_permissions(groups=["all"])
        assert ("all",) == (await image.get_launch_permissions()).groups
        if ec2_endpoint.kind == "fake":  # moto has no ResetImageAttribute (see test_request.py)
            await image.reset_launch_permissions()
            assert LaunchPermissions() == await image.get_launch_permissions()
        else:
            await image.remove_launch_permissions(groups=["all"])
        await s.delete_key_pair("gsg-keypair")


async def test_three_tier_security_groups(ec2_endpoint: Endpoint) -> None:
    """The tutorial's apache/appserver groups: CIDR and group grants, revoke, reprs."""
    async with ec2_endpoint.session() as s:
        web = await s.create_security_group("apache", "Our Apache Group")
        web = await web.authorize("tcp", 80, 80, "0.0.0.0/0")
        app = await s.create_security_group("appserver", "The application tier")
        app = await app.authorize(src_group=web)
        web = await web.authorize(
            ip_protocol="tcp", from_port=22, to_port=22, cidr_ip="192.168.1.130/32"
        )
        assert "(IPPermissions:tcp(80-80), IPPermissions:tcp(22-22))" == repr(web.rules)
        web = await web.revoke("tcp", 22, 22, cidr_ip="192.168.1.130/32")
        assert "(IPPermissions:tcp(80-80),)" == repr(web.rules)
        assert "SecurityGroup:apache" == repr(web)
        assert web.rules == (await web.refresh()).rules
        assert app.rules == (await app.refresh()).rules
        await app.delete()
        await web.delete()
