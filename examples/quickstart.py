"""
Quick start: the API.md tutorial on FakeEC2, aioec2's in-process EC2 endpoint.

    .venv/bin/python examples/quickstart.py

Point the same code at real EC2 by dropping ``endpoint_url`` and ``credentials`` (they then
come from the usual AWS environment variables and files).
"""

from __future__ import annotations

import asyncio

import aioec2
from aioec2.testing import FakeEC2


async def tutorial(s: aioec2.Session) -> None:
    """Images, instances, launch permissions and the three-tier security groups."""
    images = await s.describe_images(owners=["amazon"])
    image = images[0]
    print(image, image.location)

    reservation = await image.run()
    instance = reservation.instances[0]
    print(reservation, instance, instance.state)
    change = await instance.terminate()
    print(instance, change.previous_state.name, "->", change.current_state.name)

    await s.create_key_pair("gsg-keypair")
    reservation = await image.run(2, 2, "gsg-keypair")
    print(reservation, reservation.instances)
    await reservation.terminate_all()

    for r in await s.describe_instances():
        for i in r.instances:
            print(" ", i.id, i.state)

    print(await image.get_launch_permissions())
    await image.set_launch_permissions(user_ids=["123456789012"])
    print(await image.get_launch_permissions())
    await image.reset_launch_permissions()
    print(await image.get_launch_permissions())

    web = await s.create_security_group("apache", "Our Apache Group")
    web = await web.authorize("tcp", 80, 80, "0.0.0.0/0")
    app = await s.create_security_group("appserver", "The application tier")
    app = await app.authorize(src_group=web)
    web = await web.authorize(
        ip_protocol="tcp", from_port=22, to_port=22, cidr_ip="192.168.1.130/32"
    )
    print(web, web.rules)
    web = await web.revoke("tcp", 22, 22, cidr_ip="192.168.1.130/32")
    print(web, web.rules)


async def main() -> None:
    """Start FakeEC2 on a free loopback port and run the tutorial against it."""
    credentials = aioec2.Credentials("AKIDEXAMPLE", "example-secret-key")
    async with (
        FakeEC2(credentials=credentials, boot_time=0.2) as fake,
        aioec2.Session(region="us-east-1", endpoint_url=fake.url, credentials=credentials) as s,
    ):
        await tutorial(s)
        print("requests sent:", dict(fake.calls))


if __name__ == "__main__":
    asyncio.run(main())
