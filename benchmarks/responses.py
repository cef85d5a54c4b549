"""
The canned EC2 responses the benchmark server sends, generated once from FakeEC2.

FakeEC2 answers in EC2's own XML (``aioec2.testing``); the raw bodies are captured with
``Session.send`` and re-indented with four spaces, as EC2 itself sends them, so every client
parses the layout white space it would meet in production. Each response is stored as
``<dir>/<name>.xml`` and served under the path ``/<name>/``.
"""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from clients import ACCESS_KEY, SECRET_KEY

import aioec2
from aioec2.testing import FakeEC2

__all__ = ["CASES", "generate"]

_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
_VERSION = "2016-11-15"
_BIG = 1000

#: name -> the EC2 action each canned response answers.
CASES: dict[str, str] = {
    "describe1": "DescribeInstances",
    "describe1000": "DescribeInstances",
    "run": "RunInstances",
    "terminate": "TerminateInstances",
    "groups": "DescribeSecurityGroups",
    "images": "DescribeImages",
}


def _indent(raw: bytes) -> bytes:
    # EC2 indents its answers by four spaces; FakeEC2's are compact.
    ET.register_namespace("", _NS)
    root = ET.fromstring(raw)
    ET.indent(root, space="    ")
    text = ET.tostring(root, encoding="unicode").replace(" />", "/>")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + text.encode() + b"\n"


def _body(action: str, **params: str) -> bytes:
    extra = "".join(f"&{name}={value}" for name, value in params.items())
    return f"Action={action}&Version={_VERSION}{extra}".encode()


async def _capture() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    async with (
        FakeEC2(boot_time=0.0, terminate_time=0.0, seed=6) as fake,
        aioec2.Session(
            region="us-east-1",
            endpoint_url=fake.url,
            credentials=aioec2.Credentials(ACCESS_KEY, SECRET_KEY),
        ) as s,
    ):
        image = (await s.describe_images())[0]
        first = await s.run_instances(image.id, tags={"Name": "web-0", "env": "bench"})
        instance_id = first.instances[0].id
        out["run"] = await s.send(
            "RunInstances",
            _body("RunInstances", ImageId=image.id, MinCount="1", MaxCount="1"),
        )
        out["describe1"] = await s.send(
            "DescribeInstances", _body("DescribeInstances", **{"InstanceId.1": instance_id})
        )
        out["groups"] = await s.send("DescribeSecurityGroups", _body("DescribeSecurityGroups"))
        out["images"] = await s.send("DescribeImages", _body("DescribeImages"))
        # 1,000 instances in reservations of 100, tagged, as a fleet would be launched.
        for batch in range(_BIG // 100 - 1):
            tags = {"Name": f"web-{batch}", "env": "bench"}
            await s.run_instances(image.id, min_count=100, max_count=100, tags=tags)
        await s.run_instances(image.id, min_count=98, max_count=98, tags={"env": "bench"})
        page = await s.send("DescribeInstances", _body("DescribeInstances"))
        out["describe1000"] = page
        out["terminate"] = await s.send(
            "TerminateInstances", _body("TerminateInstances", **{"InstanceId.1": instance_id})
        )
    return out


def generate(directory: Path) -> dict[str, Path]:
    """
    Write every canned response into ``directory`` (once; later calls reuse the files).

    Returns:
        name -> path of its XML file.
    """
    directory.mkdir(parents=True, exist_ok=True)
    stamp = directory / "responses.json"
    paths = {name: directory / f"{name}.xml" for name in CASES}
    if stamp.exists() and all(p.exists() for p in paths.values()):
        return paths
    raw = asyncio.run(_capture())
    for name, body in raw.items():
        paths[name].write_bytes(_indent(body))
    count = raw["describe1000"].count(b"<instanceId>")
    if count != _BIG:
        raise RuntimeError(f"expected {_BIG} instances in describe1000, FakeEC2 sent {count}")
    sizes = {name: paths[name].stat().st_size for name in CASES}
    stamp.write_text(json.dumps({"sizes": sizes, "instances": count}, indent=1))
    return paths
