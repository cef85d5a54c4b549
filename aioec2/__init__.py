"""aioec2: an asyncio-native Amazon EC2 SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aioec2._lazy import attach
from aioec2.config import Config
from aioec2.credentials import Credentials
from aioec2.session import Session

if TYPE_CHECKING:
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

# The models are imported on first use (PEP 562), so ``import aioec2`` does not build the
# attrs classes of every model; a call builds only those of the models it returns.
_LAZY = dict.fromkeys(
    set(__all__) - {"Config", "Credentials", "Session"},  # the model names
    "aioec2.models",  # which loads each model's own module on first use in turn
)
# Submodules that ``import aioec2`` used to import as a side effect stay reachable as
# attributes (``aioec2.poller.Poller``); importing one sets the attribute for next time.
_SUBMODULES = frozenset({"poller"})


# Defined for the interpreter only: type checkers see the imports above, and a typo in a
# name stays an error for them instead of falling back to __getattr__'s Any.
if not TYPE_CHECKING:
    __getattr__, __dir__ = attach(__name__, _LAZY, _SUBMODULES)
