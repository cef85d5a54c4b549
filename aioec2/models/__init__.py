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

from typing import TYPE_CHECKING

from aioec2._lazy import attach
from aioec2.models._base import Model, Struct, Tags

if TYPE_CHECKING:
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

# Each model module is imported on first use (PEP 562): building a module's attrs classes
# is most of its import time, and a call needs only the models it returns.
_LAZY = {
    "AvailabilityZone": "aioec2.models.region",
    "Image": "aioec2.models.image",
    "Instance": "aioec2.models.instance",
    "InstanceState": "aioec2.models.instance",
    "InstanceStateChange": "aioec2.models.instance",
    "IpPermission": "aioec2.models.security_group",
    "IpRange": "aioec2.models.security_group",
    "Ipv6Range": "aioec2.models.security_group",
    "KeyPair": "aioec2.models.key_pair",
    "LaunchPermissions": "aioec2.models.image",
    "PrefixListId": "aioec2.models.security_group",
    "Region": "aioec2.models.region",
    "Reservation": "aioec2.models.instance",
    "SecurityGroup": "aioec2.models.security_group",
    "Tag": "aioec2.models.tag",
    "UserIdGroupPair": "aioec2.models.security_group",
}
# The model modules stay reachable as attributes (``aioec2.models.image.Image``), as when
# this package imported them all; importing one sets the attribute for next time.
_SUBMODULES = frozenset(module.rpartition(".")[2] for module in _LAZY.values())


# Defined for the interpreter only: type checkers see the imports above, and a typo in a
# name stays an error for them instead of falling back to __getattr__'s Any.
if not TYPE_CHECKING:
    __getattr__, __dir__ = attach(__name__, _LAZY, _SUBMODULES)
