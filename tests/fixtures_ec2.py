"""Sessions, names and canned EC2 answers shared by the model and API tests."""

from __future__ import annotations

import contextlib
import inspect
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs

import aioec2
from aioec2.errors import EC2APIError
from tests.conftest import CREDENTIALS, Endpoint
from tests.servers.scripted import Reply

#: The credentials every session here signs with (moto and the scripted server accept any).
CREDS = aioec2.Credentials("AKIDEXAMPLE", "moto-secret-key", None)

#: The namespace of EC2's answers, as an XML attribute.
NS = b'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'

#: A throwaway OpenSSH public key (ssh-keygen -t ed25519), valid for ImportKeyPair.
ED25519_PUBLIC = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPpW1maPo4eH0tjq0bmxFUoliBqQom1HRH/2WZx1Pv2P test"
)

#: A DescribeImages answer with one image (tags and a block device mapping included).
IMAGES_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <imagesSet>
    <item>
      <imageId>ami-1a2b3c4d</imageId>
      <imageLocation>ec2-public-images/fedora-core4-base.manifest.xml</imageLocation>
      <imageState>available</imageState>
      <imageOwnerId>123456789012</imageOwnerId>
      <isPublic>true</isPublic>
      <creationDate>2013-07-11T16:04:06.000Z</creationDate>
      <architecture>x86_64</architecture>
      <blockDeviceMapping>
        <item><deviceName>/dev/sda1</deviceName><ebs><volumeSize>8</volumeSize></ebs></item>
      </blockDeviceMapping>
      <tagSet><item><key>Name</key><value>fedora</value></item></tagSet>
    </item>
  </imagesSet>
</DescribeImagesResponse>"""

#: The example answer of the EC2 API reference for DescribeSecurityGroups (a VPC group whose
#: inbound rules are "all traffic from another group" and "ssh from one address").
SECURITY_GROUPS_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <securityGroupInfo>
    <item>
      <ownerId>123456789012</ownerId>
      <groupId>sg-1a2b3c4d</groupId>
      <groupName>WebServers</groupName>
      <groupDescription>Web Servers</groupDescription>
      <vpcId>vpc-614cc409</vpcId>
      <securityGroupArn>arn:aws:ec2:us-east-1:123456789012:security-group/sg-1a2b3c4d</securityGroupArn>
      <ipPermissions>
        <item>
          <ipProtocol>-1</ipProtocol>
          <groups><item><userId>123456789012</userId><groupId>sg-af8661c0</groupId></item></groups>
          <ipRanges/>
          <prefixListIds/>
        </item>
        <item>
          <ipProtocol>tcp</ipProtocol>
          <fromPort>22</fromPort>
          <toPort>22</toPort>
          <groups/>
          <ipRanges><item><cidrIp>204.246.162.38/32</cidrIp></item></ipRanges>
          <ipv6Ranges><item><cidrIpv6>2001:db8::/32</cidrIpv6>
            <description>office</description></item></ipv6Ranges>
          <prefixListIds><item><prefixListId>pl-12345678</prefixListId></item></prefixListIds>
        </item>
      </ipPermissions>
      <ipPermissionsEgress>
        <item>
          <ipProtocol>-1</ipProtocol>
          <groups/>
          <ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges>
          <prefixListIds/>
        </item>
      </ipPermissionsEgress>
      <tagSet><item><key>Name</key><value>web</value></item></tagSet>
    </item>
  </securityGroupInfo>
</DescribeSecurityGroupsResponse>"""


class RecordingSession(aioec2.Session):
    """A Session that keeps the raw bytes of every successful response, by action."""

    def __init__(self, **kwargs: Any) -> None:
        """Build the Session as usual, with nothing recorded yet."""
        super().__init__(**kwargs)
        self.raw: list[tuple[str, bytes]] = []

    async def send(self, action: str, body: bytes) -> bytes:
        """Send as usual, and remember the answer."""
        data = await super().send(action, body)
        self.raw.append((action, data))
        return data

    def last(self, action: str) -> bytes:
        """The raw bytes of the latest answer to ``action``."""
        return next(data for name, data in reversed(self.raw) if name == action)


def session_at(url: str) -> RecordingSession:
    """A recording session in us-east-1 against a test server (scripted or moto_server)."""
    return RecordingSession(region="us-east-1", endpoint_url=url, credentials=CREDS)


def session_on(endpoint: Endpoint) -> RecordingSession:
    """A recording session against one of the suite's EC2 endpoints (moto or FakeEC2)."""
    # Signed with the suite's credentials, the only ones FakeEC2 accepts.
    return RecordingSession(region="us-east-1", endpoint_url=endpoint.url, credentials=CREDENTIALS)


def settle_at_once(endpoint: Endpoint) -> None:
    """
    On FakeEC2, let every transition (boot, stop, terminate) complete by the next call.

    moto moves an instance to its next state at once; FakeEC2 takes its boot, stop and
    terminate times, as EC2 does. A test that steps an instance through its states without
    waiting (waiters are tested elsewhere) sets the fake's times to zero: each transition
    is then settled at the start of the next call, so an answer still shows the transitional
    state (pending, stopping, shutting-down) that EC2 answers with.
    """
    if endpoint.fake is not None:
        state = endpoint.fake.state
        state.timings = attrs.evolve(state.timings, boot_time=0, stop_time=0, terminate_time=0)


@contextlib.asynccontextmanager
async def key_pair(s: aioec2.Session, name: str) -> AsyncIterator[str]:
    """Create a key pair for the test, and delete it afterwards."""
    # moto is shared by the whole run and ignores DescribeKeyPairs' KeyPairId, so a key pair
    # left behind would show up in other tests' listings.
    try:
        await s.request("CreateKeyPair", {"KeyName": name})
    except EC2APIError as exc:
        if exc.code != "InvalidKeyPair.Duplicate":
            raise
    try:
        yield name
    finally:
        await s.request("DeleteKeyPair", {"KeyName": name})


def unique(prefix: str) -> str:
    """A name no other test uses on the shared moto_server."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def ok(action: str, inner: bytes | str = b"<return>true</return>") -> Reply:
    """A 200 EC2 answer to ``action`` holding ``inner`` (bytes, or text sent as UTF-8)."""
    name = action.encode()
    content = inner.encode() if isinstance(inner, str) else inner
    return Reply(
        200,
        b"<" + name + b"Response " + NS + b"><requestId>req-1</requestId>" + content
        + b"</" + name + b"Response>",
    )  # fmt: skip


async def invoke(call: Callable[[Any], Any], s: Any) -> None:
    """Call, and await the result when it is a coroutine (iter_* check their arguments eagerly)."""
    result = call(s)
    if inspect.isawaitable(result):
        await result
