"""Regions and Availability Zones: static tables, DescribeRegions, DescribeAvailabilityZones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aioec2.testing._model import FakeError
from aioec2.testing._params import Params, match_filters

if TYPE_CHECKING:
    from aioec2.testing._state import EC2State, Handler

__all__ = ["HANDLERS", "REGIONS", "zone_id", "zones_for"]

# The regions enabled by default (opt-in-not-required) and a few that need opting in.
# https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
_ENABLED = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
]
_OPT_IN = ["af-south-1", "ap-east-1", "eu-south-1", "me-south-1"]
REGIONS = {
    **dict.fromkeys(_ENABLED, "opt-in-not-required"),
    **dict.fromkeys(_OPT_IN, "not-opted-in"),
}
_DIRECTIONS = {"east": "e", "west": "w", "central": "c", "north": "n", "south": "s"}
_DIRECTIONS |= {"northeast": "ne", "southeast": "se", "northwest": "nw", "southwest": "sw"}


def zones_for(region: str) -> list[str]:
    """Return the Availability Zone names of ``region`` (six in us-east-1, three elsewhere)."""
    letters = "abcdef" if region == "us-east-1" else "abc"
    return [region + letter for letter in letters]


def zone_id(zone: str) -> str:
    """Return the zone id EC2 gives ``zone``, e.g. ``use1-az1`` for ``us-east-1a``."""
    region, letter = zone[:-1], zone[-1]
    area, direction, number = region.split("-")
    return f"{area}{_DIRECTIONS.get(direction, direction[:1])}{number}-az{ord(letter) - 96}"


def _describe_regions(state: EC2State, params: Params) -> dict[str, Any]:
    state.check_dry_run(params)
    names = params.strings("RegionName")
    for name in names:
        if name not in REGIONS:
            raise FakeError("InvalidParameterValue", f"Invalid region: {name}")
    everything = params.boolean("AllRegions")
    filters = params.filters()
    fields = {
        "region-name": lambda r: [r],
        "endpoint": lambda r: [f"ec2.{r}.amazonaws.com"],
        "opt-in-status": lambda r: [REGIONS[r]],
    }
    regions = [
        {
            "regionName": region,
            "regionEndpoint": f"ec2.{region}.amazonaws.com",
            "optInStatus": status,
        }
        for region, status in REGIONS.items()
        if (region in names if names else everything or status == "opt-in-not-required")
        and match_filters(filters, region, fields)
    ]
    return {"regionInfo": regions}


def _describe_availability_zones(state: EC2State, params: Params) -> dict[str, Any]:
    state.check_dry_run(params)
    zones = zones_for(state.region)
    names = params.strings("ZoneName")
    ids = params.strings("ZoneId")
    for name in names:
        if name not in zones:
            raise FakeError("InvalidParameterValue", f"Invalid availability zone: [{name}]")
    for zid in ids:
        if zid not in {zone_id(zone) for zone in zones}:
            raise FakeError("InvalidParameterValue", f"Invalid availability zone id: [{zid}]")
    filters = params.filters()
    fields = {
        "zone-name": lambda z: [z],
        "zone-id": lambda z: [zone_id(z)],
        "region-name": lambda _z: [state.region],
        "state": lambda _z: ["available"],
        "zone-type": lambda _z: ["availability-zone"],
        "group-name": lambda _z: [state.region],
        "opt-in-status": lambda _z: ["opt-in-not-required"],
    }
    selected = [
        zone
        for zone in zones
        if (not names and not ids) or zone in names or zone_id(zone) in ids
        if match_filters(filters, zone, fields)
    ]
    return {
        "availabilityZoneInfo": [
            {
                "zoneName": zone,
                "zoneId": zone_id(zone),
                "zoneState": "available",
                "regionName": state.region,
                "groupName": state.region,
                "networkBorderGroup": state.region,
                "optInStatus": "opt-in-not-required",
                "zoneType": "availability-zone",
                "messageSet": [],
            }
            for zone in selected
        ]
    }


HANDLERS: dict[str, Handler] = {
    "DescribeRegions": _describe_regions,
    "DescribeAvailabilityZones": _describe_availability_zones,
}
