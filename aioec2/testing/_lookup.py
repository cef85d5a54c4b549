"""
Finding resources by id or name, with EC2's ``.Malformed`` and ``.NotFound`` answers.

A resource younger than the consistency lag is answered as not found, as EC2 does while a
new resource has not yet reached every reader of its eventually consistent API.
https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aioec2.testing._model import FakeError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from aioec2.testing._model import Image, Instance, KeyPair, SecurityGroup
    from aioec2.testing._state import EC2State

__all__ = [
    "check_id",
    "find_group",
    "find_image",
    "find_instances",
    "find_key_pair",
    "is_id",
    "zone_of_subnet",
]

# Older ids have 8 hex digits, those minted since 2016-2018 have 17.
_ID = {
    prefix: re.compile(rf"{prefix}-(?:[0-9a-f]{{8}}|[0-9a-f]{{17}})")
    for prefix in ("i", "ami", "sg", "r", "key", "vpc", "subnet")
}
_MALFORMED = {
    "i": "InvalidInstanceID.Malformed",
    "ami": "InvalidAMIID.Malformed",
    "sg": "InvalidGroupId.Malformed",
    "subnet": "InvalidSubnetID.Malformed",
    "vpc": "InvalidVpcID.Malformed",
    "key": "InvalidKeyPair.Malformed",
}


def is_id(prefix: str, value: str) -> bool:
    """Return True when ``value`` is shaped like an id with ``prefix`` (``"i"``, ``"ami"``, …)."""
    return _ID[prefix].fullmatch(value) is not None


def check_id(prefix: str, value: str) -> str:
    """Return ``value``; EC2's ``.Malformed`` error when it is not a ``prefix-…`` id."""
    if not is_id(prefix, value):
        raise FakeError(
            _MALFORMED.get(prefix, "InvalidID"), f'Invalid id: "{value}" (expecting "{prefix}-...")'
        )
    return value


def _quoted(ids: Iterable[str]) -> str:
    return ", ".join(ids)


def find_instances(state: EC2State, ids: Iterable[str]) -> list[Instance]:
    """
    Return the instances with ``ids``, in the order given.

    Raises:
        FakeError: ``InvalidInstanceID.Malformed`` for a badly shaped id, else
            ``InvalidInstanceID.NotFound`` naming every id unknown or not yet visible.
    """
    ids = [check_id("i", value) for value in ids]
    found, missing = [], []
    for value in ids:
        instance = state.instances.get(value)
        if instance is None or not state.visible(instance.created_at):
            missing.append(value)
        else:
            found.append(instance)
    if missing:
        many = len(missing) > 1
        raise FakeError(
            "InvalidInstanceID.NotFound",
            f"The instance ID{'s' if many else ''} '{_quoted(missing)}'"
            f" do{'' if many else 'es'} not exist",
        )
    return found


def find_image(state: EC2State, image_id: str) -> Image:
    """Return the image ``image_id``; ``InvalidAMIID.Malformed``/``.NotFound`` otherwise."""
    image = state.images.get(check_id("ami", image_id))
    if image is None:
        raise FakeError("InvalidAMIID.NotFound", f"The image id '[{image_id}]' does not exist")
    return image


def find_group(
    state: EC2State, *, group_id: str | None = None, group_name: str | None = None
) -> SecurityGroup:
    """
    Return a security group by id, or by name in the default VPC.

    Raises:
        FakeError: ``InvalidGroupId.Malformed``, or ``InvalidGroup.NotFound`` for a group
            that does not exist or is not yet visible.
    """
    if group_id is not None:
        group = state.groups.get(check_id("sg", group_id))
        if group is None or not state.visible(group.created_at):
            raise FakeError(
                "InvalidGroup.NotFound", f"The security group '{group_id}' does not exist"
            )
        return group
    for group in state.groups.values():
        if group.name == group_name and group.vpc_id == state.vpc_id:
            if state.visible(group.created_at):
                return group
            break
    raise FakeError(
        "InvalidGroup.NotFound",
        f"The security group '{group_name}' does not exist in default VPC '{state.vpc_id}'",
    )


def find_key_pair(state: EC2State, name: str) -> KeyPair:
    """Return the key pair ``name``; ``InvalidKeyPair.NotFound`` when unknown or not visible."""
    key_pair = state.key_pairs.get(name)
    if key_pair is None or not state.visible(key_pair.created_at):
        raise FakeError("InvalidKeyPair.NotFound", f"The key pair '{name}' does not exist")
    return key_pair


def zone_of_subnet(state: EC2State, subnet_id: str) -> str:
    """Return the zone of default subnet ``subnet_id``; ``InvalidSubnetID.*`` otherwise."""
    check_id("subnet", subnet_id)
    for zone, known in state.subnets.items():
        if known == subnet_id:
            return zone
    raise FakeError("InvalidSubnetID.NotFound", f"The subnet ID '{subnet_id}' does not exist")
