"""
Quick start: call EC2 through aioec2's escape hatch against a local moto EC2.

Run it from the repository root after installing the test extra (it provides moto):
    .venv/bin/python examples/quickstart.py
Point the same code at real EC2 by dropping ``endpoint_url`` and using your AWS credentials.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import aioec2

MOTO = Path(__file__).resolve().parents[1] / "tests" / "servers" / "moto_ec2.py"


async def main(endpoint: str) -> None:
    """Describe regions and images, launch two instances and terminate them."""
    credentials = aioec2.Credentials("AKIDEXAMPLE", "example-secret-key")
    async with aioec2.Session(
        region="us-east-1", endpoint_url=endpoint, credentials=credentials
    ) as s:
        regions = await s.request("DescribeRegions")
        print("regions:", ", ".join(r["regionName"] for r in regions["regionInfo"][:5]), "...")

        images = (await s.request("DescribeImages", {"Owner": ["amazon"]}))["imagesSet"]
        image = images[0]
        print("image:", image["imageId"], image["imageLocation"])

        ran = await s.request(
            "RunInstances", {"ImageId": image["imageId"], "MinCount": 2, "MaxCount": 2}
        )
        ids = [i["instanceId"] for i in ran["instancesSet"]]
        print("launched:", ran["reservationId"], ids)

        done = await s.request("TerminateInstances", {"InstanceId": ids})
        for change in done["instancesSet"]:
            print("terminating:", change["instanceId"], change["currentState"]["name"])


if __name__ == "__main__":
    server = subprocess.Popen([sys.executable, str(MOTO)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        asyncio.run(main(f"http://127.0.0.1:{port}/"))
    finally:
        server.terminate()
        server.wait()
        if server.stdout is not None:
            server.stdout.close()
