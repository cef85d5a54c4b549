"""Key pairs (with EC2's fingerprints), tags, regions and Availability Zones."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from aioec2.testing import EC2State, FakeError, VirtualClock
from tests.testing.helpers import call

serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")


def error_of(state: EC2State, action: str, params: dict[str, Any]) -> FakeError:
    """The FakeError ``action`` raises."""
    with pytest.raises(FakeError) as caught:
        call(state, action, params)
    return caught.value


def colons(digest: bytes) -> str:
    """Colon-separated lower-case hex, as EC2 writes fingerprints."""
    return ":".join(f"{byte:02x}" for byte in digest)


def test_created_rsa_key_is_real_and_fingerprinted_as_ec2_does(state: EC2State) -> None:
    """keyMaterial is a PKCS#1 PEM whose PKCS#8 DER has the SHA-1 that keyFingerprint shows."""
    answer = call(state, "CreateKeyPair", {"KeyName": "gsg-keypair"})
    material = answer["keyMaterial"]
    assert material.startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    key = serialization.load_pem_private_key(material.encode(), None)
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert colons(hashlib.sha1(der).digest()) == answer["keyFingerprint"]
    assert answer["keyPairId"].startswith("key-")


def test_created_ed25519_key_is_an_openssh_key(state: EC2State) -> None:
    """KeyType=ed25519 gives an OpenSSH private key and the base64 SHA-256 fingerprint."""
    answer = call(state, "CreateKeyPair", {"KeyName": "ed", "KeyType": "ed25519"})
    key = serialization.load_ssh_private_key(answer["keyMaterial"].encode(), None)
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    blob = base64.b64decode(public.split()[1])
    assert base64.b64encode(hashlib.sha256(blob).digest()).decode() == answer["keyFingerprint"]


def test_imported_rsa_key_has_the_md5_fingerprint(state: EC2State) -> None:
    """ImportKeyPair's RSA fingerprint is the MD5 of the DER public key, colon-separated."""
    rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    openssh = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    answer = call(
        state, "ImportKeyPair", {"KeyName": "mine", "PublicKeyMaterial": openssh + b" me@host"}
    )
    assert colons(hashlib.md5(spki).digest()) == answer["keyFingerprint"]
    described = call(state, "DescribeKeyPairs", {"KeyName": ["mine"], "IncludePublicKey": True})[
        "keySet"
    ][0]
    assert ("rsa", openssh.decode()) == (described["keyType"], described["publicKey"])


def test_import_of_garbage_is_refused(state: EC2State) -> None:
    """A public key that is not OpenSSH format answers InvalidKey.Format."""
    assert (
        "InvalidKey.Format"
        == error_of(state, "ImportKeyPair", {"KeyName": "x", "PublicKeyMaterial": b"hello"}).code
    )


def test_duplicate_key_name_is_refused(state: EC2State) -> None:
    """A second key pair of the same name answers InvalidKeyPair.Duplicate."""
    call(state, "CreateKeyPair", {"KeyName": "k"})
    assert "InvalidKeyPair.Duplicate" == error_of(state, "CreateKeyPair", {"KeyName": "k"}).code


def test_key_pair_is_invisible_during_the_lag(
    make_state: Callable[..., EC2State], clock: VirtualClock
) -> None:
    """DescribeKeyPairs answers InvalidKeyPair.NotFound for a new key until the lag has passed."""
    state = make_state(consistency_lag=1)
    created = call(state, "CreateKeyPair", {"KeyName": "k"})
    assert "InvalidKeyPair.NotFound" == error_of(state, "DescribeKeyPairs", {"KeyName": ["k"]}).code
    clock.advance(1)
    (described,) = call(state, "DescribeKeyPairs", {"KeyName": ["k"]})["keySet"]
    assert created["keyFingerprint"] == described["keyFingerprint"]
    assert "keyMaterial" not in described


def test_delete_key_pair_is_idempotent(state: EC2State) -> None:
    """DeleteKeyPair removes the key, and answers true again for one already gone."""
    call(state, "CreateKeyPair", {"KeyName": "k"})
    assert True is call(state, "DeleteKeyPair", {"KeyName": "k"})["return"]
    assert {"return": True} == call(state, "DeleteKeyPair", {"KeyName": "k"})
    assert [] == call(state, "DescribeKeyPairs")["keySet"]


def test_tags_create_describe_delete(state: EC2State) -> None:
    """Tags are set on several resources at once, described with filters and deleted."""
    ids = [
        i["instanceId"]
        for i in call(
            state, "RunInstances", {"ImageId": "ami-5bb65932", "MinCount": 1, "MaxCount": 1}
        )["instancesSet"]
    ]
    group = call(state, "CreateSecurityGroup", {"GroupName": "g", "GroupDescription": "g"})[
        "groupId"
    ]
    call(
        state,
        "CreateTags",
        {
            "ResourceId": [*ids, group],
            "Tag": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": ""}],
        },
    )
    described = call(state, "DescribeTags", {"Filter": [{"Name": "key", "Value": ["env"]}]})[
        "tagSet"
    ]
    assert {(ids[0], "instance"), (group, "security-group")} == {
        (t["resourceId"], t["resourceType"]) for t in described
    }
    call(state, "DeleteTags", {"ResourceId": ids, "Tag": [{"Key": "env", "Value": "staging"}]})
    assert {"env", "team"} == set(state.instances[ids[0]].tags)  # value did not match
    call(state, "DeleteTags", {"ResourceId": ids, "Tag": [{"Key": "env"}]})
    assert {"team"} == set(state.instances[ids[0]].tags)


def test_reserved_and_excess_tags_are_refused(state: EC2State) -> None:
    """aws: keys answer InvalidParameterValue; a 51st tag answers TagLimitExceeded."""
    image = "ami-5bb65932"
    assert (
        "InvalidParameterValue"
        == error_of(
            state, "CreateTags", {"ResourceId": [image], "Tag": [{"Key": "aws:x", "Value": "1"}]}
        ).code
    )
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    assert (
        "TagLimitExceeded"
        == error_of(state, "CreateTags", {"ResourceId": [image], "Tag": many}).code
    )


def test_tagging_unknown_resources(state: EC2State) -> None:
    """Unknown ids answer their type's NotFound; an unknown prefix answers InvalidID."""
    tag = [{"Key": "a", "Value": "b"}]
    assert (
        "InvalidInstanceID.NotFound"
        == error_of(state, "CreateTags", {"ResourceId": ["i-0123456789abcdef0"], "Tag": tag}).code
    )
    assert (
        "InvalidID" == error_of(state, "CreateTags", {"ResourceId": ["bogus-1"], "Tag": tag}).code
    )


def test_describe_regions_and_zones(state: EC2State) -> None:
    """DescribeRegions lists enabled regions with endpoints; zones belong to the fake's region."""
    regions = {
        r["regionName"]: r["regionEndpoint"] for r in call(state, "DescribeRegions")["regionInfo"]
    }
    assert "ec2.us-east-1.amazonaws.com" == regions["us-east-1"]
    assert "af-south-1" not in regions
    everything = call(state, "DescribeRegions", {"AllRegions": True})["regionInfo"]
    assert "af-south-1" in {r["regionName"] for r in everything}
    zones = call(state, "DescribeAvailabilityZones")["availabilityZoneInfo"]
    assert ("us-east-1a", "use1-az1", "available") == (
        zones[0]["zoneName"],
        zones[0]["zoneId"],
        zones[0]["zoneState"],
    )
    assert (
        "InvalidParameterValue"
        == error_of(state, "DescribeAvailabilityZones", {"ZoneName": ["us-east-1z"]}).code
    )


def test_delete_tags_without_keys_deletes_all(state: EC2State) -> None:
    """DeleteTags with no Tag.N removes every tag of the resource, as EC2 documents."""
    image = "ami-5bb65932"
    call(
        state,
        "CreateTags",
        {"ResourceId": [image], "Tag": [{"Key": "a", "Value": "1"}, {"Key": "b"}]},
    )
    call(state, "DeleteTags", {"ResourceId": [image]})
    assert (
        []
        == call(state, "DescribeTags", {"Filter": [{"Name": "resource-id", "Value": [image]}]})[
            "tagSet"
        ]
    )
