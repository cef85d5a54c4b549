"""
Immutable models of EC2 resources, bound to the Session they came from.

Every model is a frozen, slotted attrs class built from EC2's answer by ``from_parsed`` and
turned back into EC2's structure by ``to_dict``. Methods that need the network
(``image.run()``, ``instance.terminate()``, ``sg.authorize()``) go through the model's Session.

A partial answer still makes a model: a member EC2 did not send is None (or an empty tuple,
or empty tags). Only the member that identifies the resource (``instanceId``, ``imageId``,
``groupId``, ``keyName``, ...) and the key of each tag are required; without them
``from_parsed`` raises :class:`~aioec2.errors.ResponseParseError` naming the element, and a
RunInstances answer without instances is one too.
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
