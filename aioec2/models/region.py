"""
Regions and availability zones.

See https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Region.html and
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AvailabilityZone.html.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

import attrs

from aioec2.models._base import Model, Struct, wire
from aioec2.models._required import require

if TYPE_CHECKING:
    from aioec2.session import Session

__all__ = ["AvailabilityZone", "Region"]


@attrs.frozen(kw_only=True, repr=False)
class Region(Model):
    """
    An EC2 region: ``repr(region) == "Region:us-east-1"``.

    ``opt_in_status`` is ``opt-in-not-required``, ``opted-in`` or ``not-opted-in``.

    .. versionadded:: 0.1
    """

    kind: ClassVar[str] = "Region"
    name: str = wire("RegionName")
    endpoint: str | None = wire("Endpoint")
    opt_in_status: str | None = wire("OptInStatus")
    geography: tuple[Struct, ...] = wire("Geography", default=())

    def __repr__(self) -> str:
        return f"Region:{self.name}"

    @classmethod
    def from_parsed(cls, data: Mapping[str, Any], *, session: Session | None = None) -> Self:
        """
        Build the region from one parsed ``Region``.

        Raises:
            ResponseParseError: it has no ``regionName``
                (see :mod:`aioec2.models._required`).
        """
        require(cls.kind, data, "RegionName")
        return super().from_parsed(data, session=session)


@attrs.frozen(kw_only=True, repr=False)
class AvailabilityZone(Model):
    """
    An availability, Local or Wavelength zone: ``repr(zone) == "AvailabilityZone:us-east-1a"``.

    ``state`` is ``available``, ``information``, ``impaired``, ``unavailable`` or
    ``constrained``; ``messages`` hold EC2's notes about it (``zone.messages[0].message``).

    .. versionadded:: 0.1
    """

    kind: ClassVar[str] = "AvailabilityZone"
    name: str = wire("ZoneName")
    zone_id: str | None = wire("ZoneId")
    state: str | None = wire("State")
    region_name: str | None = wire("RegionName")
    zone_type: str | None = wire("ZoneType")
    opt_in_status: str | None = wire("OptInStatus")
    messages: tuple[Struct, ...] = wire("Messages", default=())
    group_name: str | None = wire("GroupName")
    group_long_name: str | None = wire("GroupLongName")
    network_border_group: str | None = wire("NetworkBorderGroup")
    parent_zone_id: str | None = wire("ParentZoneId")
    parent_zone_name: str | None = wire("ParentZoneName")
    geography: tuple[Struct, ...] = wire("Geography", default=())
    sub_geography: tuple[Struct, ...] = wire("SubGeography", default=())

    def __repr__(self) -> str:
        return f"AvailabilityZone:{self.name}"

    @classmethod
    def from_parsed(cls, data: Mapping[str, Any], *, session: Session | None = None) -> Self:
        """
        Build the zone from one parsed ``AvailabilityZone``.

        Raises:
            ResponseParseError: it has no ``zoneName``
                (see :mod:`aioec2.models._required`).
        """
        require(cls.kind, data, "ZoneName")
        return super().from_parsed(data, session=session)
