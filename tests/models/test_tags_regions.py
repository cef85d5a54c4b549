"""Tag, Region and AvailabilityZone: reprs, immutability, completeness, fidelity to botocore."""

from __future__ import annotations

import attrs
import pytest

from aioec2._operations import shape
from aioec2.models._base import Model, Struct
from aioec2.models.region import AvailabilityZone, Region
from aioec2.models.tag import Tag
from tests.conftest import Endpoint
from tests.fixtures_ec2 import session_on, unique
from tests.oracle import botocore_parse, our_parse, raw_answer, wires, without_empty_lists

TAGS_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeTagsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>
  <tagSet>
    <item><resourceId>ami-1a2b3c4d</resourceId><resourceType>image</resourceType>
      <key>webserver</key><value/></item>
    <item><resourceId>i-1234567890abcdef0</resourceId><resourceType>instance</resourceType>
      <key>stack</key><value>Production</value></item>
  </tagSet>
</DescribeTagsResponse>"""

ZONES_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeAvailabilityZonesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <availabilityZoneInfo>
    <item>
      <zoneName>us-east-1a</zoneName>
      <zoneId>use1-az6</zoneId>
      <zoneState>impaired</zoneState>
      <regionName>us-east-1</regionName>
      <groupName>us-east-1</groupName>
      <networkBorderGroup>us-east-1</networkBorderGroup>
      <optInStatus>opt-in-not-required</optInStatus>
      <zoneType>availability-zone</zoneType>
      <messageSet><item><message>Degraded networking</message></item></messageSet>
    </item>
  </availabilityZoneInfo>
</DescribeAvailabilityZonesResponse>"""


@pytest.mark.parametrize(
    ("cls", "shape_name"),
    [(Tag, "TagDescription"), (Region, "Region"), (AvailabilityZone, "AvailabilityZone")],
)
def test_every_member_of_the_shape_has_a_field(cls: type[Model], shape_name: str) -> None:
    """Each model holds exactly the members of its EC2 shape (no exclusions)."""
    assert {m.name for m in shape(shape_name).members} == wires(cls)


def test_reprs() -> None:
    """Regions and zones show as in boto: Region:us-east-1, AvailabilityZone:us-east-1a."""
    assert "Region:us-east-1" == repr(Region(name="us-east-1"))
    assert "AvailabilityZone:us-east-1a" == repr(AvailabilityZone(name="us-east-1a"))
    assert "Tag:Name" == repr(Tag(resource_id="i-1", key="Name", value="web"))


def test_models_are_frozen() -> None:
    """Tags, regions and zones cannot change in place."""
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        Tag(resource_id="i-1", key="k").value = "x"  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        Region(name="r").endpoint = "x"  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        AvailabilityZone(name="z").state = "x"  # type: ignore[misc]


def test_zone_messages_read_as_structs() -> None:
    """A zone's state and messages read by attribute, in snake case."""
    (item,) = our_parse("DescribeAvailabilityZones", ZONES_XML)["AvailabilityZones"]
    zone = AvailabilityZone.from_parsed(item)
    assert ("impaired", "use1-az6", "us-east-1") == (zone.state, zone.zone_id, zone.region_name)
    assert (Struct({"Message": "Degraded networking"}),) == zone.messages
    assert "Degraded networking" == zone.messages[0].message


def test_an_empty_tag_value_reads_as_empty_string() -> None:
    """A tag whose <value/> is empty has value "" (as botocore reads it), not None."""
    tags = [Tag.from_parsed(t) for t in our_parse("DescribeTags", TAGS_XML)["Tags"]]
    assert [
        ("ami-1a2b3c4d", "image", "webserver", ""),
        ("i-1234567890abcdef0", "instance", "stack", "Production"),
    ] == [(t.resource_id, t.resource_type, t.key, t.value) for t in tags]


@pytest.mark.parametrize(
    ("action", "raw", "path", "cls"),
    [
        ("DescribeTags", TAGS_XML, "Tags", Tag),
        ("DescribeAvailabilityZones", ZONES_XML, "AvailabilityZones", AvailabilityZone),
    ],
)
def test_to_dict_matches_botocore_offline(
    action: str, raw: bytes, path: str, cls: type[Model]
) -> None:
    """Documented examples, via the models, equal botocore's parse of the same bytes."""
    expected = botocore_parse(action, raw)[path]
    actual = [cls.from_parsed(item).to_dict() for item in our_parse(action, raw)[path]]
    assert without_empty_lists(expected) == without_empty_lists(actual)


async def test_tags_regions_and_zones_match_botocore(ec2_endpoint: Endpoint) -> None:
    """DescribeTags, DescribeRegions and DescribeAvailabilityZones answers equal botocore's."""
    async with session_on(ec2_endpoint) as s:
        sg = await s.create_security_group(unique("tagged"), "tag target")
        await s.create_tags([sg.id], {"Name": "web", "empty": ""})
        answers: list[tuple[str, str, type[Model], bytes]] = [
            (
                "DescribeTags",
                "Tags",
                Tag,
                await raw_answer(
                    s, "DescribeTags", {"Filters": [{"Name": "resource-id", "Values": [sg.id]}]}
                ),
            ),
            ("DescribeRegions", "Regions", Region, await raw_answer(s, "DescribeRegions", {})),
            (
                "DescribeRegions",
                "Regions",
                Region,
                await raw_answer(s, "DescribeRegions", {"AllRegions": True}),
            ),
            (
                "DescribeAvailabilityZones",
                "AvailabilityZones",
                AvailabilityZone,
                await raw_answer(s, "DescribeAvailabilityZones", {}),
            ),
        ]
    for action, path, cls, raw in answers:
        expected = botocore_parse(action, raw)[path]
        actual = [cls.from_parsed(item).to_dict() for item in our_parse(action, raw)[path]]
        assert expected, action
        assert without_empty_lists(expected) == without_empty_lists(actual)
