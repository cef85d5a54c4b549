"""The KeyPair model: immutability, a repr without the private key, completeness, fidelity."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest

import aioec2
from aioec2._operations import operation, shape
from aioec2.errors import SessionClosedError
from aioec2.models._base import Tags
from aioec2.models.key_pair import KeyPair
from tests.conftest import Endpoint
from tests.fixtures_ec2 import CREDS, ED25519_PUBLIC, session_at, session_on, unique
from tests.oracle import botocore_parse, our_parse, raw_answer, wires, without_empty_lists
from tests.servers.scripted import Reply, ScriptedServer

PRIVATE = "-----BEGIN RSA PRIVATE KEY-----\nMIIEogIBAAKCAQEAsecret\n-----END RSA PRIVATE KEY-----"

CREATE_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<CreateKeyPairResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <keyName>gsg-keypair</keyName>
  <keyFingerprint>1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f</keyFingerprint>
  <keyMaterial>{PRIVATE}</keyMaterial>
  <keyPairId>key-0123456789abcdef0</keyPairId>
  <tagSet><item><key>purpose</key><value>tutorial</value></item></tagSet>
</CreateKeyPairResponse>""".encode()

DESCRIBE_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeKeyPairsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <keySet>
    <item>
      <keyPairId>key-0123456789abcdef0</keyPairId>
      <keyName>gsg-keypair</keyName>
      <keyFingerprint>1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f</keyFingerprint>
      <keyType>rsa</keyType>
      <publicKey>ssh-rsa AAAAB3Nza gsg</publicKey>
      <createTime>2021-05-26T19:28:34.000Z</createTime>
      <tagSet/>
    </item>
  </keySet>
</DescribeKeyPairsResponse>"""


def _created() -> KeyPair:
    """The key pair of the reference CreateKeyPair answer."""
    return KeyPair.from_parsed(our_parse("CreateKeyPair", CREATE_XML))


def test_created_key_pair_holds_the_material() -> None:
    """CreateKeyPair's answer maps onto name, fingerprint, id, tags and material."""
    kp = _created()
    assert ("gsg-keypair", "key-0123456789abcdef0") == (kp.name, kp.id)
    assert kp.fingerprint is not None
    assert kp.fingerprint.startswith("1f:51")
    assert PRIVATE == kp.material
    assert Tags({"purpose": "tutorial"}) == kp.tags


def test_described_key_pair_has_no_material() -> None:
    """DescribeKeyPairs' answer fills key_type, public_key and an aware create_time."""
    (item,) = our_parse("DescribeKeyPairs", DESCRIBE_XML)["KeyPairs"]
    kp = KeyPair.from_parsed(item)
    assert kp.material is None
    assert ("rsa", "ssh-rsa AAAAB3Nza gsg") == (kp.key_type, kp.public_key)
    assert dt.datetime(2021, 5, 26, 19, 28, 34, tzinfo=dt.UTC) == kp.create_time


def test_the_private_key_never_shows_in_repr_or_str() -> None:
    """repr and str name the key pair only; the material appears in neither."""
    kp = _created()
    assert "KeyPair:gsg-keypair" == repr(kp)
    assert "KeyPair:gsg-keypair" == str(kp)
    assert "PRIVATE" not in repr([kp]) + str({"k": kp})


def test_key_pair_is_frozen_and_ignores_its_session() -> None:
    """A key pair cannot change in place; equality and hash ignore the Session."""
    kp = _created()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        kp.name = "x"  # type: ignore[misc]
    session = session_at("http://127.0.0.1:1/")
    assert kp == kp.with_session(session)
    assert hash(kp) == hash(kp.with_session(session))


def test_every_member_of_the_key_pair_shapes_has_a_field() -> None:
    """KeyPair holds KeyPairInfo's members and those of the CreateKeyPair/ImportKeyPair answers."""
    members = {m.name for m in shape("KeyPairInfo").members}
    members |= {m.name for m in operation("CreateKeyPair").output.members}
    members |= {m.name for m in operation("ImportKeyPair").output.members}
    assert members == wires(KeyPair)


@pytest.mark.parametrize(
    ("action", "raw", "path"),
    [("CreateKeyPair", CREATE_XML, None), ("DescribeKeyPairs", DESCRIBE_XML, "KeyPairs")],
)
def test_to_dict_matches_botocore_offline(action: str, raw: bytes, path: str | None) -> None:
    """The documented examples, via the model, equal botocore's parse of the same bytes."""
    expected, ours = botocore_parse(action, raw), our_parse(action, raw)
    if path is None:
        assert without_empty_lists(expected) == KeyPair.from_parsed(ours).to_dict()
    else:
        actual = [KeyPair.from_parsed(k).to_dict() for k in ours[path]]
        assert without_empty_lists(expected[path]) == without_empty_lists(actual)


async def test_delete_needs_an_open_session() -> None:
    """A key pair from a closed Session still reads, but delete() raises SessionClosedError."""
    async with ScriptedServer([Reply(200, DESCRIBE_XML)]) as srv:
        session = aioec2.Session(region="us-east-1", endpoint_url=srv.url, credentials=CREDS)
        async with session as s:
            (kp,) = await s.describe_key_pairs(key_names=["gsg-keypair"])
        assert "gsg-keypair" == kp.name
        with pytest.raises(SessionClosedError):
            await kp.delete()
        assert 1 == len(srv.seen)


async def test_key_pair_answers_match_botocore(ec2_endpoint: Endpoint) -> None:
    """CreateKeyPair, ImportKeyPair and DescribeKeyPairs answers: the model equals botocore."""
    rsa, ed, imported = unique("rsa"), unique("ed"), unique("imp")
    tags = [{"ResourceType": "key-pair", "Tags": [{"Key": "team", "Value": "ops"}]}]
    async with session_on(ec2_endpoint) as s:
        answers: list[tuple[str, bytes]] = [
            (
                "CreateKeyPair",
                await raw_answer(s, "CreateKeyPair", {"KeyName": rsa, "TagSpecifications": tags}),
            ),
            (
                "CreateKeyPair",
                await raw_answer(s, "CreateKeyPair", {"KeyName": ed, "KeyType": "ed25519"}),
            ),
            (
                "ImportKeyPair",
                await raw_answer(
                    s,
                    "ImportKeyPair",
                    {"KeyName": imported, "PublicKeyMaterial": ED25519_PUBLIC.encode()},
                ),
            ),
        ]
        described = await raw_answer(
            s, "DescribeKeyPairs", {"KeyNames": [rsa, ed, imported], "IncludePublicKey": True}
        )
    for action, raw in answers:
        expected = without_empty_lists(botocore_parse(action, raw))
        actual = without_empty_lists(KeyPair.from_parsed(our_parse(action, raw)).to_dict())
        assert expected == actual
    listed: list[dict[str, Any]] = botocore_parse("DescribeKeyPairs", described)["KeyPairs"]
    found = [
        KeyPair.from_parsed(k).to_dict()
        for k in our_parse("DescribeKeyPairs", described)["KeyPairs"]
    ]
    assert without_empty_lists(listed) == without_empty_lists(found)
    assert {rsa, ed, imported} == {k["KeyName"] for k in found}


async def test_key_material_is_kept_byte_for_byte(ec2_endpoint: Endpoint) -> None:
    """The private key from CreateKeyPair equals botocore's, trailing newline included."""
    async with session_on(ec2_endpoint) as s:
        raw = await raw_answer(s, "CreateKeyPair", {"KeyName": unique("material")})
    expected = botocore_parse("CreateKeyPair", raw)["KeyMaterial"]
    assert expected == KeyPair.from_parsed(our_parse("CreateKeyPair", raw)).material
