"""
RegisterImage: an AMI of the caller's own, private until its launch permissions share it.

The fake keeps no snapshots or S3 manifests, so nothing a registration points at is checked:
with ``ImageLocation`` the image is instance store-backed and described at that location,
without it EBS-backed and described at ``<account>/<name>``, as EC2 describes its own.
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RegisterImage.html
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from aioec2.testing._model import FakeError, Image
from aioec2.testing._render import iso8601
from aioec2.testing._tags import tags_from_specs

if TYPE_CHECKING:
    from aioec2.testing._params import Params
    from aioec2.testing._state import EC2State, Handler

__all__ = ["HANDLERS"]

# "3-128 alphanumeric characters, parentheses (()), square brackets ([]), spaces ( ),
# periods (.), slashes (/), dashes (-), single quotes ('), at-signs (@), or underscores(_)"
_NAME = re.compile(r"[A-Za-z0-9()\[\] ./\-'@_]{3,128}")
_ARCHITECTURES = ("i386", "x86_64", "arm64", "x86_64_mac", "arm64_mac")
_VIRTUALIZATION = ("hvm", "paravirtual")


def _choice(params: Params, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = params.get(name) or default
    if value not in allowed:
        raise FakeError(
            "InvalidParameterValue",
            f"Value ({value}) for parameter {name[0].lower() + name[1:]} is invalid."
            f" Expected: {', '.join(allowed)}",
        )
    return value


def _name(state: EC2State, params: Params) -> str:
    name = params.require("Name")
    if not _NAME.fullmatch(name):
        raise FakeError(
            "InvalidAMIName.Malformed",
            "AMI names must be between 3 and 128 characters long, and may contain letters,"
            " numbers, spaces and ( ) [ ] . / - ' @ _",
        )
    # An account's AMI names are unique within the region.
    for image in state.images.values():
        if image.owner_id == state.account_id and image.name == name:
            raise FakeError(
                "InvalidAMIName.Duplicate", f"AMI name {name} is already in use by AMI {image.id}"
            )
    return name


def _register_image(state: EC2State, params: Params) -> dict[str, Any]:
    name = _name(state, params)
    location = params.get("ImageLocation")
    # Documented defaults: i386 (for an EBS-backed AMI) and paravirtual.
    architecture = _choice(params, "Architecture", _ARCHITECTURES, "i386")
    virtualization = _choice(params, "VirtualizationType", _VIRTUALIZATION, "paravirtual")
    tags = tags_from_specs(params, "image")
    state.check_dry_run(params)
    image = Image(
        id=state.new_id("ami"),
        seq=state.next_seq(),
        name=name,
        location=location or f"{state.account_id}/{name}",
        owner_id=state.account_id,
        owner_alias=None,
        description=params.get("Description") or "",
        architecture=architecture,
        root_device_type="instance-store" if location else "ebs",
        root_device_name=params.get("RootDeviceName"),
        virtualization_type=virtualization,
        creation_date=iso8601(state.wall()),
        kernel_id=params.get("KernelId"),
        tags=tags,
    )
    state.images[image.id] = image
    return {"imageId": image.id}


HANDLERS: dict[str, Handler] = {"RegisterImage": _register_image}
