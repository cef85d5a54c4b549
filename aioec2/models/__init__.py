"""
Immutable models of EC2 resources, bound to the Session they came from.

Every model is a frozen, slotted attrs class built from EC2's answer by ``from_parsed`` and
turned back into EC2's structure by ``to_dict``. Methods that need the network
(``image.run()``, ``instance.terminate()``, ``sg.authorize()``) go through the model's Session.
"""

from __future__ import annotations

from aioec2.models._base import Model, Struct, Tags
from aioec2.models.image import Image, LaunchPermissions
from aioec2.models.instance import Instance, InstanceState, InstanceStateChange, Reservation
from aioec2.models.key_pair import KeyPair
from aioec2.models.region import AvailabilityZone, Region
from aioec2.models.security_group import (
    IpPermission,
    IpRange,
    Ipv6Range,
    PrefixListId,
    SecurityGroup,
    UserIdGroupPair,
)
from aioec2.models.tag import Tag

__all__ = [
    "AvailabilityZone",
    "Image",
    "Instance",
    "InstanceState",
    "InstanceStateChange",
    "IpPermission",
    "IpRange",
    "Ipv6Range",
    "KeyPair",
    "LaunchPermissions",
    "Model",
    "PrefixListId",
    "Region",
    "Reservation",
    "SecurityGroup",
    "Struct",
    "Tag",
    "Tags",
    "UserIdGroupPair",
]
