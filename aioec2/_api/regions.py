"""Typed EC2 operations: regions and availability zones."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from aioec2._api._base import OperationsBase
from aioec2._validate import filters as filter_list
from aioec2._validate import id_list
from aioec2._validate_instances import flag

if TYPE_CHECKING:
    from aioec2.models.region import AvailabilityZone, Region

__all__ = ["RegionsAPI"]


class RegionsAPI(OperationsBase):
    """Operations on regions and availability zones."""

    __slots__ = ()

    async def describe_regions(
        self, *, region_names: Iterable[str] = (), all_regions: bool = False
    ) -> list[Region]:
        """
        Describe the regions this account can use (``DescribeRegions``).

        Args:
            region_names: only these regions.
            all_regions: also the regions the account has not opted in to.

        Returns:
            The regions, with their endpoints and opt-in status.

        .. versionadded:: 0.1
        """
        out = await self.call(
            "DescribeRegions",
            {
                "RegionNames": id_list("region_names", region_names) or None,
                "AllRegions": flag("all_regions", all_regions) or None,
            },
        )
        from aioec2.models.region import Region  # noqa: PLC0415 - imported on first use

        session = self._as_session()
        return [Region.from_parsed(r, session=session) for r in out.get("Regions", ())]

    async def describe_availability_zones(
        self, *, zone_names: Iterable[str] = (), filters: Mapping[str, Any] | None = None
    ) -> list[AvailabilityZone]:
        """
        Describe the zones of the session's region (``DescribeAvailabilityZones``).

        Args:
            zone_names: only these zones (``["us-east-1a"]``).
            filters: e.g. ``{"state": "available"}``.

        Returns:
            The zones.

        .. versionadded:: 0.1
        """
        out = await self.call(
            "DescribeAvailabilityZones",
            {
                "ZoneNames": id_list("zone_names", zone_names) or None,
                "Filters": filter_list(filters) or None,
            },
        )
        from aioec2.models.region import AvailabilityZone  # noqa: PLC0415 - imported on first use

        session = self._as_session()
        return [
            AvailabilityZone.from_parsed(z, session=session)
            for z in out.get("AvailabilityZones", ())
        ]
