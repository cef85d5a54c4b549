"""Key pair, tag, region and zone operations: moto and FakeEC2 end to end, exact bodies, checks."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

import aioec2
from aioec2.errors import ArgumentError, EC2APIError, NotFoundError
from aioec2.models._base import Tags
from aioec2.models.key_pair import KeyPair
from aioec2.models.region import AvailabilityZone, Region
from aioec2.models.tag import Tag
from aioec2.testing import set_testing
from tests.conftest import Endpoint
from tests.fixtures_ec2 import ED25519_PUBLIC, ok, session_at, session_on, unique
from tests.servers.scripted import ScriptedServer


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """Retries happen at once in these tests."""
    with set_testing(True):
        yield


# -- key pairs on moto and FakeEC2 -----------------------------------------------------------


async def test_create_describe_delete_key_pairs(ec2_endpoint: Endpoint) -> None:
    """A created key pair carries its private key once; describe omits it; delete removes it."""
    async with session_on(ec2_endpoint) as s:
        name = unique("gsg-keypair")
        kp = await s.create_key_pair(name, tags={"team": "ops"})
        assert f"KeyPair:{name}" == repr(kp)
        assert kp.material is not None
        assert kp.material.startswith("-----BEGIN RSA PRIVATE KEY-----")
        assert Tags({"team": "ops"}) == kp.tags
        (listed,) = await s.describe_key_pairs(key_names=[name])
        assert (kp.id, kp.fingerprint, None) == (listed.id, listed.fingerprint, listed.material)
        assert [listed] == await s.describe_key_pairs(filters={"tag:team": "ops", "key-name": name})
        ed = await s.create_key_pair(unique("ed"), key_type="ed25519")
        assert "ed25519" == ed.key_type
        assert ed.material is not None
        assert "OPENSSH PRIVATE KEY" in ed.material
        await kp.delete()
        await s.delete_key_pair(ed.name)
        with pytest.raises(NotFoundError) as gone:
            await s.describe_key_pairs(key_names=[name])
        assert "InvalidKeyPair.NotFound" == gone.value.code


@pytest.mark.moto_gap(
    reason="moto_server's DescribeKeyPairs reads KeyName.N and filters but ignores "
    "KeyPairId.N, so it returns every key pair"
)
async def test_describe_key_pairs_by_id(ec2_endpoint: Endpoint) -> None:
    """Describing by key pair id returns that key pair only."""
    async with session_on(ec2_endpoint) as s:
        kp = await s.create_key_pair(unique("by-id"))
        other = await s.create_key_pair(unique("other"))
        try:
            assert kp.id is not None
            assert [kp.id] == [k.id for k in await s.describe_key_pairs(key_pair_ids=[kp.id])]
        finally:  # moto is shared by the whole run: leave no key pair behind
            await kp.delete()
            await other.delete()


async def test_import_key_pair(ec2_endpoint: Endpoint) -> None:
    """An imported OpenSSH key (str or bytes) is described with its type and public key."""
    async with session_on(ec2_endpoint) as s:
        name, again = unique("imported"), unique("imported-bytes")
        kp = await s.import_key_pair(name, ED25519_PUBLIC, tags={"src": "laptop"})
        assert kp.material is None
        assert Tags({"src": "laptop"}) == kp.tags
        other = await s.import_key_pair(again, ED25519_PUBLIC.encode())
        assert kp.fingerprint == other.fingerprint
        (listed,) = await s.describe_key_pairs(key_names=[name], include_public_key=True)
        assert listed.public_key is not None
        # The key itself (type and blob) comes back as imported. What follows it, the comment,
        # is not the key: moto keeps the one uploaded, FakeEC2 drops it.
        assert ("ed25519", ED25519_PUBLIC.split()[:2]) == (
            listed.key_type,
            listed.public_key.split()[:2],
        )
        with pytest.raises(EC2APIError) as duplicate:
            await s.import_key_pair(name, ED25519_PUBLIC)
        assert "InvalidKeyPair.Duplicate" == duplicate.value.code
        await s.delete_key_pair(name)
        await s.delete_key_pair(again)


# -- tags on moto and FakeEC2 ----------------------------------------------------------------


async def test_create_describe_delete_tags(ec2_endpoint: Endpoint) -> None:
    """Tags are listed per resource and key; a bare key deletes whatever its value."""
    async with session_on(ec2_endpoint) as s:
        sg = await s.create_security_group(unique("tags"), "tag target")
        await s.create_tags([sg.id], {"Name": "web", "env": "prod", "empty": ""})
        listed = await s.describe_tags(filters={"resource-id": sg.id})
        assert [
            Tag(resource_id=sg.id, resource_type="security-group", key=k, value=v)
            for k, v in [("Name", "web"), ("empty", ""), ("env", "prod")]
        ] == sorted(listed, key=lambda t: t.key)
        assert [("env", "prod")] == [
            (t.key, t.value)
            for t in await s.describe_tags(filters={"resource-id": sg.id, "key": "env"})
        ]
        await s.delete_tags([sg.id], {"env": "staging"})  # a value that does not match: kept
        await s.delete_tags([sg.id], ["Name"])
        await s.delete_tags([sg.id], {"empty": None})
        assert [("env", "prod")] == [
            (t.key, t.value) for t in await s.describe_tags(filters={"resource-id": sg.id})
        ]
        assert {"env": "prod"} == dict((await sg.refresh()).tags)
        await s.delete_tags([sg.id], {"env": "prod"})
        assert [] == await s.describe_tags(filters={"resource-id": sg.id})
        await sg.delete()


# -- regions and zones on moto and FakeEC2 -----------------------------------------------------


async def test_regions_and_zones(ec2_endpoint: Endpoint) -> None:
    """Regions carry their endpoints; zones their state; both filter by name."""
    async with session_on(ec2_endpoint) as s:
        regions = await s.describe_regions()
        (east,) = await s.describe_regions(region_names=["us-east-1"])
        everything = await s.describe_regions(all_regions=True)
        zones = await s.describe_availability_zones()
        (b,) = await s.describe_availability_zones(
            zone_names=["us-east-1b"], filters={"state": "available"}
        )
    assert (
        Region(
            name="us-east-1",
            endpoint="ec2.us-east-1.amazonaws.com",
            opt_in_status="opt-in-not-required",
        )
        == east
    )
    assert east in regions
    assert len(regions) <= len(everything)
    assert {"us-east-1"} == {z.region_name for z in zones}
    assert all(isinstance(z, AvailabilityZone) for z in zones)
    assert "AvailabilityZone:us-east-1b" == repr(b)
    assert ("available", "us-east-1") == (b.state, b.region_name)


# -- exact bodies on the scripted server --------------------------------------------------------


async def test_tag_bodies() -> None:
    """create_tags and delete_tags send Tag.N.Key/Value; a bare key or None sends no Value."""
    async with ScriptedServer(default=ok("CreateTags")) as srv, session_at(srv.url) as s:
        await s.create_tags(["i-1", "sg-2"], {"Name": "web", "empty": ""})
        await s.delete_tags(["i-1"], ["Name"])
        await s.delete_tags(["i-1"], {"Name": None, "env": "prod", "empty": ""})
    assert [
        "Action=CreateTags&Version=2016-11-15&ResourceId.1=i-1&ResourceId.2=sg-2"
        "&Tag.1.Key=Name&Tag.1.Value=web&Tag.2.Key=empty&Tag.2.Value=",
        "Action=DeleteTags&Version=2016-11-15&ResourceId.1=i-1&Tag.1.Key=Name",
        "Action=DeleteTags&Version=2016-11-15&ResourceId.1=i-1&Tag.1.Key=Name"
        "&Tag.2.Key=env&Tag.2.Value=prod&Tag.3.Key=empty&Tag.3.Value=",
    ] == [seen.body.decode() for seen in srv.seen]


async def test_import_key_pair_sends_the_public_key_in_base64() -> None:
    """PublicKeyMaterial is a blob: the SDK base64-encodes the key's UTF-8 bytes."""
    answer = ok(
        "ImportKeyPair",
        "<keyName>laptop</keyName><keyFingerprint>aa:bb</keyFingerprint>"
        "<keyPairId>key-0abc</keyPairId>",
    )
    async with ScriptedServer(default=answer) as srv, session_at(srv.url) as s:
        kp = await s.import_key_pair("laptop", ED25519_PUBLIC)
        same = await s.import_key_pair("laptop", ED25519_PUBLIC.encode())
    encoded = base64.b64encode(ED25519_PUBLIC.encode()).decode()
    expected = (
        "Action=ImportKeyPair&Version=2016-11-15&KeyName=laptop&PublicKeyMaterial="
        + encoded.replace("/", "%2F").replace("+", "%2B").replace("=", "%3D")
    )
    assert [expected, expected] == [seen.body.decode() for seen in srv.seen]
    assert KeyPair(name="laptop", fingerprint="aa:bb", id="key-0abc") == kp == same


async def test_create_key_pair_and_describe_bodies() -> None:
    """create_key_pair, describe_key_pairs, describe_regions and zones send documented members."""
    script = [
        ok(
            "CreateKeyPair",
            "<keyName>gsg-keypair</keyName><keyFingerprint>aa</keyFingerprint>"
            "<keyMaterial>secret</keyMaterial><keyPairId>key-1</keyPairId>",
        ),
        ok("DescribeKeyPairs", "<keySet/>"),
        ok("DescribeRegions", "<regionInfo/>"),
        ok("DescribeAvailabilityZones", "<availabilityZoneInfo/>"),
        ok("DeleteKeyPair"),
    ]
    async with ScriptedServer(script) as srv, session_at(srv.url) as s:
        kp = await s.create_key_pair("gsg-keypair", key_type="ed25519", tags={"a": "b"})
        assert [] == await s.describe_key_pairs(
            key_names=["gsg-keypair"], key_pair_ids=["key-1"], include_public_key=True
        )
        assert [] == await s.describe_regions(region_names=["us-east-1"], all_regions=True)
        assert [] == await s.describe_availability_zones(
            zone_names=["us-east-1a"], filters={"zone-type": "availability-zone"}
        )
        await kp.delete()
    assert ("ed25519", "secret") == (kp.key_type, kp.material)
    assert [
        "Action=CreateKeyPair&Version=2016-11-15&KeyName=gsg-keypair&KeyType=ed25519"
        "&TagSpecification.1.ResourceType=key-pair&TagSpecification.1.Tag.1.Key=a"
        "&TagSpecification.1.Tag.1.Value=b",
        "Action=DescribeKeyPairs&Version=2016-11-15&IncludePublicKey=true&KeyName.1=gsg-keypair"
        "&KeyPairId.1=key-1",
        "Action=DescribeRegions&Version=2016-11-15&AllRegions=true&RegionName.1=us-east-1",
        "Action=DescribeAvailabilityZones&Version=2016-11-15&Filter.1.Name=zone-type"
        "&Filter.1.Value.1=availability-zone&ZoneName.1=us-east-1a",
        "Action=DeleteKeyPair&Version=2016-11-15&KeyName=gsg-keypair",
    ] == [seen.body.decode() for seen in srv.seen]


# -- checks before anything is sent -------------------------------------------------------------

Call = Callable[[aioec2.Session], Awaitable[object]]

# Values of the wrong type, typed Any so that the calls below type-check.
INT_VALUES: Any = {"Name": 1}
INT_KEYS: Any = {1: "x"}
LONE_ID: Any = "i-1"
LONE_KEY: Any = "Name"
NUMBER_KEY: Any = 42
KEY_AS_INT: Any = 12

CHECKS: list[Any] = [
    pytest.param(lambda s: s.create_tags(["i-1"], INT_VALUES), TypeError, "tags", id="value int"),
    pytest.param(lambda s: s.create_tags(["i-1"], INT_KEYS), TypeError, "tags", id="key int"),
    pytest.param(lambda s: s.create_tags(["i-1"], {"": "x"}), ArgumentError, "tags", id="key ''"),
    pytest.param(
        lambda s: s.create_tags(["i-1"], {"k" * 129: "x"}), ArgumentError, "tags", id="key long"
    ),
    pytest.param(
        lambda s: s.create_tags(["i-1"], {"k": "v" * 257}), ArgumentError, "tags", id="value long"
    ),
    pytest.param(lambda s: s.create_tags(["i-1"], {}), ArgumentError, "tags", id="no tags"),
    pytest.param(
        lambda s: s.create_tags([], {"a": "b"}), ArgumentError, "resource_ids", id="no ids"
    ),
    pytest.param(
        lambda s: s.create_tags(LONE_ID, {"a": "b"}), TypeError, "resource_ids", id="lone id"
    ),
    pytest.param(lambda s: s.delete_tags(["i-1"], []), ArgumentError, "tags", id="delete none"),
    pytest.param(lambda s: s.delete_tags(["i-1"], {}), ArgumentError, "tags", id="delete {}"),
    pytest.param(lambda s: s.delete_tags(["i-1"], LONE_KEY), TypeError, "tags", id="lone key"),
    pytest.param(lambda s: s.delete_tags(["i-1"], [NUMBER_KEY]), TypeError, "tags", id="key 42"),
    pytest.param(
        lambda s: s.delete_tags(["i-1"], {"a": NUMBER_KEY}), TypeError, "tags", id="value 42"
    ),
    pytest.param(lambda s: s.create_key_pair(""), ArgumentError, "name", id="empty key name"),
    pytest.param(lambda s: s.create_key_pair(KEY_AS_INT), TypeError, "name", id="key name int"),
    pytest.param(
        lambda s: s.create_key_pair("k", key_type="dsa"), ArgumentError, "key_type", id="dsa"
    ),
    pytest.param(
        lambda s: s.create_key_pair("k", tags=INT_VALUES), TypeError, "tags", id="key pair tags"
    ),
    pytest.param(lambda s: s.import_key_pair("k", ""), ArgumentError, "public_key", id="no key"),
    pytest.param(
        lambda s: s.import_key_pair("k", NUMBER_KEY), TypeError, "public_key", id="key as int"
    ),
    pytest.param(lambda s: s.delete_key_pair(""), ArgumentError, "name", id="delete ''"),
    pytest.param(
        lambda s: s.describe_key_pairs(key_pair_ids=["gsg"]),
        ArgumentError,
        "key_pair_ids",
        id="key pair id prefix",
    ),
    pytest.param(
        lambda s: s.describe_regions(region_names=LONE_ID), TypeError, "region_names", id="region"
    ),
    pytest.param(
        lambda s: s.describe_availability_zones(filters={"state": []}),
        ArgumentError,
        "filters",
        id="empty filter",
    ),
]


@pytest.mark.parametrize(("call", "error", "match"), CHECKS)
async def test_bad_arguments_fail_before_sending(
    call: Call, error: type[Exception], match: str
) -> None:
    """A bad argument raises an error naming it, and the server sees no request."""
    async with ScriptedServer() as srv, session_at(srv.url) as s:
        with pytest.raises(error, match=match):
            await call(s)
    assert 0 == len(srv.seen)
