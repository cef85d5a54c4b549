"""The Image model: immutability, identity, completeness, and fidelity to botocore on moto."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import aioec2
from aioec2._operations import shape
from aioec2.errors import ResponseParseError, SessionClosedError
from aioec2.models._base import Struct, Tags
from aioec2.models.image import Image, LaunchPermissions, format_ec2_time, parse_ec2_time
from aioec2.testing import set_testing
from tests.conftest import Endpoint
from tests.fixtures_ec2 import CREDS, IMAGES_XML, session_at, session_on
from tests.oracle import botocore_parse, without_empty_lists
from tests.servers.scripted import Reply, ScriptedServer

IMAGE_DATA: dict[str, Any] = {
    "ImageId": "ami-1a2b3c4d",
    "ImageLocation": "ec2-public-images/fedora-core4-base.manifest.xml",
    "State": "available",
    "OwnerId": "123456789012",
    "Public": True,
    "CreationDate": "2013-07-11T16:04:06.000Z",
    "Architecture": "x86_64",
    "BlockDeviceMappings": [{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}}],
    "Tags": [{"Key": "Name", "Value": "fedora"}],
}


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """Retries (if any) happen at once."""
    with set_testing(True):
        yield


# -- the model itself ----------------------------------------------------------------------


def test_image_is_frozen() -> None:
    """Assigning to a field of an Image raises attrs' FrozenInstanceError."""
    image = Image.from_parsed(IMAGE_DATA)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        image.name = "other"  # type: ignore[misc]


def test_image_is_slotted() -> None:
    """An Image has slots and no per-instance __dict__."""
    image = Image.from_parsed(IMAGE_DATA)
    assert not hasattr(image, "__dict__")
    assert "__slots__" in Image.__dict__


def test_repr_is_the_tutorials() -> None:
    """repr(image) is "Image:<id>", as in the boto tutorial."""
    assert "Image:ami-1a2b3c4d" == repr(Image.from_parsed(IMAGE_DATA))


def test_fields_hold_snake_case_values() -> None:
    """Renamed and converted fields hold what EC2 sent, in Python types."""
    image = Image.from_parsed(IMAGE_DATA)
    assert "ami-1a2b3c4d" == image.id
    assert "ec2-public-images/fedora-core4-base.manifest.xml" == image.location
    assert "available" == image.state
    assert "123456789012" == image.owner_id
    assert image.is_public is True
    assert dt.datetime(2013, 7, 11, 16, 4, 6, tzinfo=dt.UTC) == image.creation_date
    assert "fedora" == image.tags["Name"]
    assert (Struct({"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}}),) == (
        image.block_device_mappings
    )
    assert 8 == image.block_device_mappings[0].ebs.volume_size


async def test_equality_and_hash_ignore_the_session() -> None:
    """Two snapshots with the same data are equal and hash alike whatever their sessions."""
    a = aioec2.Session(region="us-east-1", endpoint_url="http://127.0.0.1:9/", credentials=CREDS)
    b = aioec2.Session(region="us-east-1", endpoint_url="http://127.0.0.1:9/", credentials=CREDS)
    one = Image.from_parsed(IMAGE_DATA, session=a)
    two = Image.from_parsed(IMAGE_DATA, session=b)
    assert one == two
    assert hash(one) == hash(two)
    assert one == Image.from_parsed(IMAGE_DATA)
    assert one != attrs.evolve(one, name="other")


async def test_evolve_keeps_the_session_and_leaves_the_original() -> None:
    """attrs.evolve returns a changed copy, still bound, and the original is unchanged."""
    s = aioec2.Session(region="us-east-1", endpoint_url="http://127.0.0.1:9/", credentials=CREDS)
    image = Image.from_parsed(IMAGE_DATA, session=s)
    renamed = attrs.evolve(image, name="renamed", tags=Tags({"env": "prod"}))
    assert "renamed" == renamed.name
    assert {"env": "prod"} == dict(renamed.tags)
    assert image.name is None
    assert s is renamed.session


def test_every_image_member_has_a_field() -> None:
    """Each member of EC2's Image shape is held by exactly one field, and no field is invented."""
    wired = [f.metadata["wire"] for f in attrs.fields(Image) if "wire" in f.metadata]
    members = {m.name for m in shape("Image").members}
    assert len(wired) == len(set(wired))
    assert members == set(wired)


def test_launch_permissions_repr_and_parsing() -> None:
    """LaunchPermissions reads DescribeImageAttribute's list and has the tutorial's repr."""
    assert "LaunchPermissions(user_ids=(), groups=())" == repr(LaunchPermissions.from_parsed([]))
    parsed = LaunchPermissions.from_parsed(
        [{"UserId": "123456789012"}, {"Group": "all"}, {"UserId": "210987654321"}]
    )
    assert LaunchPermissions(user_ids=("123456789012", "210987654321"), groups=("all",)) == parsed


# -- CreationDate: a string in EC2's model, a datetime here ---------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "written"),
    [
        (
            "2013-07-11T16:04:06.000Z",
            dt.datetime(2013, 7, 11, 16, 4, 6, tzinfo=dt.UTC),
            "2013-07-11T16:04:06.000Z",
        ),
        (
            "2013-07-11T16:04:06.123Z",
            dt.datetime(2013, 7, 11, 16, 4, 6, 123000, tzinfo=dt.UTC),
            "2013-07-11T16:04:06.123Z",
        ),
        # Other ISO 8601 spellings are read; to_dict writes EC2's spelling of the same instant.
        (
            "2013-07-11T18:04:06+02:00",
            dt.datetime(2013, 7, 11, 16, 4, 6, tzinfo=dt.UTC),
            "2013-07-11T16:04:06.000Z",
        ),
        (
            "2013-07-11T16:04:06",
            dt.datetime(2013, 7, 11, 16, 4, 6, tzinfo=dt.UTC),
            "2013-07-11T16:04:06.000Z",
        ),
    ],
)
def test_creation_date_is_an_aware_datetime(text: str, expected: dt.datetime, written: str) -> None:
    """CreationDate text becomes an aware UTC datetime, and to_dict writes it as EC2 does."""
    image = Image.from_parsed({**IMAGE_DATA, "CreationDate": text})
    assert expected == image.creation_date
    assert dt.UTC == image.creation_date.tzinfo
    assert written == image.to_dict()["CreationDate"]


def test_empty_creation_date_is_none() -> None:
    """An empty <creationDate/> is no date at all, and to_dict leaves it out."""
    image = Image.from_parsed({**IMAGE_DATA, "CreationDate": ""})
    assert image.creation_date is None
    assert "CreationDate" not in image.to_dict()


def test_malformed_creation_date_is_a_parse_error() -> None:
    """A CreationDate that is no timestamp raises ResponseParseError naming the image."""
    with pytest.raises(ResponseParseError, match=r"ami-1a2b3c4d.*CreationDate"):
        Image.from_parsed({**IMAGE_DATA, "CreationDate": "yesterday"})


def test_to_dict_gives_back_what_was_parsed() -> None:
    """to_dict returns the parsed structure, CreationDate as EC2's string, absent lists empty."""
    expected = {**IMAGE_DATA, "ProductCodes": [], "ImageWatermarks": []}
    assert expected == Image.from_parsed(IMAGE_DATA).to_dict()


_times = st.datetimes(
    min_value=dt.datetime(1970, 1, 1),
    max_value=dt.datetime(2999, 12, 31),
    timezones=st.just(dt.UTC),
).map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))

_images = st.fixed_dictionaries(
    {
        "ImageId": st.from_regex(r"ami-[0-9a-f]{8,17}", fullmatch=True),
        "CreationDate": _times.map(format_ec2_time),
        "Public": st.booleans(),
        "Tags": st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=8)).map(
            lambda d: [{"Key": k, "Value": v} for k, v in d.items()]
        ),
        "BlockDeviceMappings": st.lists(
            st.fixed_dictionaries(
                {
                    "DeviceName": st.text(max_size=10),
                    "Ebs": st.fixed_dictionaries({"VolumeSize": st.integers(1, 16384)}),
                }
            ),
            max_size=3,
        ),
    },
    optional={"Name": st.text(max_size=20), "State": st.sampled_from(["available", "pending"])},
)


@given(_images)
def test_parsed_structure_round_trips(data: dict[str, Any]) -> None:
    """For any image structure, to_dict(from_parsed(d)) == d and from_parsed(to_dict(m)) == m."""
    image = Image.from_parsed(data)
    assert without_empty_lists(data) == without_empty_lists(image.to_dict())
    assert image == Image.from_parsed(image.to_dict())


@given(_times)
def test_ec2_time_round_trips(when: dt.datetime) -> None:
    """Any millisecond-precision UTC instant survives format_ec2_time then parse_ec2_time."""
    assert when == parse_ec2_time(format_ec2_time(when))


# -- bound, unbound and closed sessions ------------------------------------------------------


async def test_unbound_image_raises_session_closed() -> None:
    """An Image built by hand reads its fields but its network methods raise SessionClosedError."""
    image = Image.from_parsed(IMAGE_DATA)
    assert "ami-1a2b3c4d" == image.id
    with pytest.raises(SessionClosedError, match="not bound to a Session"):
        _ = image.session
    with pytest.raises(SessionClosedError):
        await image.run()
    with pytest.raises(SessionClosedError):
        await image.get_launch_permissions()


async def test_image_from_a_closed_session_reads_fields_but_cannot_call() -> None:
    """After its Session closed, an Image still reads fields; run() and refresh() raise."""
    async with ScriptedServer([Reply(200, IMAGES_XML)]) as srv:
        async with session_at(srv.url) as s:
            (image,) = await s.describe_images(image_ids=["ami-1a2b3c4d"])
        assert "ec2-public-images/fedora-core4-base.manifest.xml" == image.location
        with pytest.raises(SessionClosedError, match="closed"):
            await image.run()
        with pytest.raises(SessionClosedError, match="closed"):
            await image.refresh()
        with pytest.raises(SessionClosedError, match="closed"):
            await image.set_launch_permissions(groups=["all"])
    assert 1 == len(srv.seen)


async def test_unknown_elements_do_not_break_parsing() -> None:
    """Elements EC2 may add in the future are ignored, at the top, in items and in structures."""
    noisy = (
        IMAGES_XML.replace(b"<imageId>", b"<futureFlag>yes</futureFlag><imageId>")
        .replace(b"<volumeSize>", b"<throughputX><a>1</a></throughputX><volumeSize>")
        .replace(b"<imagesSet>", b"<brandNewSet><item>1</item></brandNewSet><imagesSet>")
    )
    script = [Reply(200, IMAGES_XML), Reply(200, noisy)]
    async with ScriptedServer(script) as srv, session_at(srv.url) as s:
        plain = await s.describe_images()
        extended = await s.describe_images()
    assert plain == extended
    assert [without_empty_lists(IMAGE_DATA)] == [without_empty_lists(i.to_dict()) for i in extended]


# -- fidelity: the same bytes, through botocore and through the model ----------------------


async def test_describe_images_matches_botocore(ec2_endpoint: Endpoint) -> None:
    """Every Amazon image described turns into a model whose to_dict equals botocore's parse."""
    async with session_on(ec2_endpoint) as s:
        images = await s.describe_images(owners=["amazon"])
        raw = s.last("DescribeImages")
    expected = botocore_parse("DescribeImages", raw)["Images"]
    assert len(expected) == len(images)
    assert images
    assert without_empty_lists(expected) == without_empty_lists([i.to_dict() for i in images])
    # CreationDate is compared as the very string EC2 (here moto or FakeEC2) sent.
    assert [e["CreationDate"] for e in expected] == [i.to_dict()["CreationDate"] for i in images]


async def test_text_keeps_surrounding_white_space() -> None:
    """A name and a tag value with surrounding spaces reach the model exactly as EC2 sent them."""
    body = IMAGES_XML.replace(b"<imageId>", b"<name> spaced name </name><imageId>").replace(
        b"<value>fedora</value>", b"<value>fedora </value>"
    )
    async with ScriptedServer([Reply(200, body)]) as srv, session_at(srv.url) as s:
        (image,) = await s.describe_images()
        raw = s.last("DescribeImages")
    assert " spaced name " == botocore_parse("DescribeImages", raw)["Images"][0]["Name"]
    assert " spaced name " == image.name
    assert "fedora " == image.tags["Name"]
