"""aioec2: an asyncio-native Amazon EC2 SDK."""

from __future__ import annotations

from aioec2.config import Config
from aioec2.credentials import Credentials
from aioec2.models import (
    AvailabilityZone,
    Image,
    Instance,
    InstanceState,
    InstanceStateChange,
    IpPermission,
    KeyPair,
    LaunchPermissions,
    Region,
    Reservation,
    SecurityGroup,
    Tag,
    Tags,
)
from aioec2.session import Session

__all__ = [
    "AvailabilityZone",
    "Config",
    "Credentials",
    "Image",
    "Instance",
    "InstanceState",
    "InstanceStateChange",
    "IpPermission",
    "KeyPair",
    "LaunchPermissions",
    "Region",
    "Reservation",
    "SecurityGroup",
    "Session",
    "Tag",
    "Tags",
]
__version__ = "0.1.0.dev0"
