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

import importlib
from typing import TYPE_CHECKING, Any

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
    "AvailabilityZone": "region",
    "Image": "image",
    "Instance": "instance",
    "InstanceState": "instance",
    "InstanceStateChange": "instance",
    "IpPermission": "security_group",
    "IpRange": "security_group",
    "Ipv6Range": "security_group",
    "KeyPair": "key_pair",
    "LaunchPermissions": "image",
    "PrefixListId": "security_group",
    "Region": "region",
    "Reservation": "instance",
    "SecurityGroup": "security_group",
    "Tag": "tag",
    "UserIdGroupPair": "security_group",
}
# The model modules stay reachable as attributes (``aioec2.models.image.Image``), as when
# this package imported them all; importing one sets the attribute for next time.
_SUBMODULES = frozenset(_LAZY.values())


# Defined for the interpreter only: type checkers see the imports above, and a typo in a
# name stays an error for them instead of falling back to __getattr__'s Any.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        if name in _SUBMODULES:
            return importlib.import_module(f"{__name__}.{name}")
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value  # later lookups find it directly
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *_LAZY, *_SUBMODULES})
