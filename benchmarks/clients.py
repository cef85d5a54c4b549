"""
The clients compared, each behind the same two-method face: ``call(case)`` returns a
zero-argument callable doing one operation (a coroutine function for the asyncio clients,
a plain function for boto3).

* ``aioec2``: the typed operations, returning models, as users write them;
* ``aiobotocore`` and ``boto3``: the generated client methods, returning parsed dicts;
* ``raw aiohttp``: a prebuilt request (no signing, no serialization), body read, not parsed;
* ``raw + xmltodict``: the same, then ``xmltodict.parse`` of the body: the parse floor of
  the XML library aioec2 is built on.

Every client sends the same parameters to the same canned responses, keeps at most
:data:`POOL` connections (64) and reads credentials and region from its arguments alone.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import boto3
import xmltodict
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.config import Config

import aioec2

__all__ = [
    "ACCESS_KEY",
    "ASYNC_CLIENTS",
    "POOL",
    "REGION",
    "SECRET_KEY",
    "AsyncCall",
    "Ids",
    "SyncCall",
    "make_async",
    "make_sync",
]

POOL = 64
REGION = "us-east-1"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
VERSION = "2016-11-15"

AsyncCall = Callable[[], Awaitable[Any]]
SyncCall = Callable[[], Any]

#: The async clients, in the order tables list them; boto3 is the sync one.
ASYNC_CLIENTS = ("aioec2", "aiobotocore", "raw aiohttp", "raw + xmltodict")


class Ids:
    """The AMI and instance ids the requests name, read from the canned responses."""

    def __init__(self, responses: dict[str, Path]) -> None:
        run = responses["run"].read_text()
        image = re.search(r"<imageId>([^<]+)</imageId>", run)
        instance = re.search(r"<instanceId>([^<]+)</instanceId>", run)
        assert image is not None
        assert instance is not None
        self.image_id = image[1]
        self.instance_id = instance[1]

    def raw_bodies(self) -> dict[str, str]:
        """The form bodies the raw clients send, as aioec2 and botocore would build them."""
        common = f"Version={VERSION}"
        return {
            "describe1": f"Action=DescribeInstances&{common}&InstanceId.1={self.instance_id}",
            "describe1000": f"Action=DescribeInstances&{common}",
            "run": (
                f"Action=RunInstances&{common}&ImageId={self.image_id}&MinCount=1&MaxCount=1"
                "&ClientToken=5d6a1d57-9a2c-4d7f-8f0e-53c5b4f7a2c1"
            ),
            "terminate": f"Action=TerminateInstances&{common}&InstanceId.1={self.instance_id}",
            "groups": f"Action=DescribeSecurityGroups&{common}",
            "images": f"Action=DescribeImages&{common}",
        }

    # The typed calls, as keyword arguments for botocore-style clients.
    def botocore_calls(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """case -> (botocore method name, its keyword arguments)."""
        return {
            "describe1": ("describe_instances", {"InstanceIds": [self.instance_id]}),
            "describe1000": ("describe_instances", {}),
            "run": ("run_instances", {"ImageId": self.image_id, "MinCount": 1, "MaxCount": 1}),
            "terminate": ("terminate_instances", {"InstanceIds": [self.instance_id]}),
            "groups": ("describe_security_groups", {}),
            "images": ("describe_images", {}),
        }


class _AsyncBase:
    """One endpoint (and so one session or client) per case, opened on first use."""

    def __init__(self, base_url: str, ids: Ids) -> None:
        self.base_url = base_url
        self.ids = ids
        self.stack = contextlib.AsyncExitStack()
        self._calls: dict[str, AsyncCall] = {}

    def endpoint(self, case: str) -> str:
        return f"{self.base_url}/{case}/"

    async def call(self, case: str) -> AsyncCall:
        """The operation of ``case`` as a coroutine function."""
        if case not in self._calls:
            self._calls[case] = await self._open(case)
        return self._calls[case]

    async def _open(self, case: str) -> AsyncCall:
        raise NotImplementedError

    async def close(self) -> None:
        await self.stack.aclose()


class AioEC2Client(_AsyncBase):
    name = "aioec2"

    async def _open(self, case: str) -> AsyncCall:
        s = await self.stack.enter_async_context(
            aioec2.Session(
                region=REGION,
                endpoint_url=self.endpoint(case),
                credentials=aioec2.Credentials(ACCESS_KEY, SECRET_KEY),
                config=aioec2.Config(max_connections=POOL),
            )
        )
        ids = self.ids
        calls: dict[str, AsyncCall] = {
            "describe1": lambda: s.describe_instances(instance_ids=[ids.instance_id]),
            "describe1000": s.describe_instances,
            "run": lambda: s.run_instances(ids.image_id, min_count=1, max_count=1),
            "terminate": lambda: s.terminate_instances([ids.instance_id]),
            "groups": s.describe_security_groups,
            "images": s.describe_images,
        }
        return calls[case]


class AiobotocoreClient(_AsyncBase):
    name = "aiobotocore"

    async def _open(self, case: str) -> AsyncCall:
        client = await self.stack.enter_async_context(
            get_session().create_client(
                "ec2",
                region_name=REGION,
                endpoint_url=self.endpoint(case),
                aws_access_key_id=ACCESS_KEY,
                aws_secret_access_key=SECRET_KEY,
                config=AioConfig(max_pool_connections=POOL),
            )
        )
        method, kwargs = self.ids.botocore_calls()[case]
        bound = getattr(client, method)
        return lambda: bound(**kwargs)


class RawClient(_AsyncBase):
    """aiohttp with a prebuilt request; ``parse`` adds ``xmltodict.parse`` of the body."""

    def __init__(self, base_url: str, ids: Ids, *, parse: bool) -> None:
        super().__init__(base_url, ids)
        self.parse = parse
        self.name = "raw + xmltodict" if parse else "raw aiohttp"
        self._http: Any = None

    async def _open(self, case: str) -> AsyncCall:
        if self._http is None:
            self._http = await self.stack.enter_async_context(
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=POOL))
            )
        http = self._http
        url = self.endpoint(case)
        body = self.ids.raw_bodies()[case].encode()
        headers = {"Content-Type": FORM}
        parse = self.parse

        async def call() -> Any:
            async with http.post(url, data=body, headers=headers) as resp:
                data = await resp.read()
            return xmltodict.parse(data) if parse else data

        return call


def make_async(name: str, base_url: str, ids: Ids) -> _AsyncBase:
    """Build the asyncio client called ``name``."""
    if name == "aioec2":
        return AioEC2Client(base_url, ids)
    if name == "aiobotocore":
        return AiobotocoreClient(base_url, ids)
    if name in ("raw aiohttp", "raw + xmltodict"):
        return RawClient(base_url, ids, parse=name == "raw + xmltodict")
    raise ValueError(f"no async client {name!r}")


class Boto3Client:
    """boto3, synchronous; its clients are thread-safe, so a thread pool shares one."""

    name = "boto3"

    def __init__(self, base_url: str, ids: Ids) -> None:
        self.base_url = base_url
        self.ids = ids
        self._clients: list[Any] = []
        self._calls: dict[str, SyncCall] = {}

    def call(self, case: str) -> SyncCall:
        """The operation of ``case`` as a plain function."""
        if case not in self._calls:
            client = boto3.session.Session().client(
                "ec2",
                region_name=REGION,
                endpoint_url=f"{self.base_url}/{case}/",
                aws_access_key_id=ACCESS_KEY,
                aws_secret_access_key=SECRET_KEY,
                config=Config(max_pool_connections=POOL),
            )
            self._clients.append(client)
            method, kwargs = self.ids.botocore_calls()[case]
            bound = getattr(client, method)
            self._calls[case] = lambda: bound(**kwargs)
        return self._calls[case]

    def close(self) -> None:
        for client in self._clients:
            client.close()


def make_sync(base_url: str, ids: Ids) -> Boto3Client:
    """Build the boto3 client."""
    return Boto3Client(base_url, ids)
