"""
Images: a seeded catalogue of Amazon-owned public AMIs, DescribeImages, and the
launchPermission attribute (Describe/Modify/ResetImageAttribute).

As on EC2, an image is public exactly when its launch permissions hold the group ``all``:
DescribeImageAttribute on a seeded (public) image answers that group, removing it makes the
image private, and ResetImageAttribute returns it to the private default with no grants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aioec2.testing._lookup import find_image
from aioec2.testing._model import FakeError, Image
from aioec2.testing._params import Params, check_filters, match_filters, paginate
from aioec2.testing._tags import tag_set

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from aioec2.testing._state import EC2State, Handler

__all__ = ["AMAZON_OWNER_ID", "HANDLERS", "seed_images"]

AMAZON_OWNER_ID = "137112412989"  # the account that owns Amazon Linux AMIs

# (id, name, location, architecture, root device, virtualization, platform, created)
_CATALOGUE = [
    (
        "ami-5bb65932",
        "fedora-core4-base",
        "ec2-public-images/fedora-core4-base.manifest.xml",
        "i386",
        "instance-store",
        "paravirtual",
        None,
        "2006-08-24T00:00:00.000Z",
    ),
    (
        "ami-25b6534c",
        "fedora-core4-apache",
        "ec2-public-images/fedora-core4-apache.manifest.xml",
        "i386",
        "instance-store",
        "paravirtual",
        None,
        "2006-08-24T00:00:00.000Z",
    ),
    (
        "ami-0a1b2c3d4e5f60718",
        "al2023-ami-2023.4.20240513.0-kernel-6.1-x86_64",
        "amazon/al2023-ami-2023.4.20240513.0-kernel-6.1-x86_64",
        "x86_64",
        "ebs",
        "hvm",
        None,
        "2024-05-13T21:21:31.000Z",
    ),
    (
        "ami-0b2c3d4e5f6071829",
        "al2023-ami-2023.4.20240513.0-kernel-6.1-arm64",
        "amazon/al2023-ami-2023.4.20240513.0-kernel-6.1-arm64",
        "arm64",
        "ebs",
        "hvm",
        None,
        "2024-05-13T21:21:32.000Z",
    ),
    (
        "ami-0c3d4e5f607182930",
        "Windows_Server-2022-English-Full-Base-2024.05.15",
        "amazon/Windows_Server-2022-English-Full-Base-2024.05.15",
        "x86_64",
        "ebs",
        "hvm",
        "windows",
        "2024-05-15T08:12:01.000Z",
    ),
    (
        "ami-0d4e5f60718293a41",
        "amzn2-ami-hvm-2.0.20240503.0-x86_64-gp2",
        "amazon/amzn2-ami-hvm-2.0.20240503.0-x86_64-gp2",
        "x86_64",
        "ebs",
        "hvm",
        None,
        "2024-05-03T19:45:06.000Z",
    ),
]


def seed_images(state: EC2State) -> None:
    """Register the Amazon-owned public images, fedora-core4-base first."""
    for ami, name, location, arch, root, virt, platform, created in _CATALOGUE:
        state.images[ami] = Image(
            id=ami,
            seq=state.next_seq(),
            name=name,
            location=location,
            owner_id=AMAZON_OWNER_ID,
            owner_alias="amazon",
            description=name.replace("-", " "),
            architecture=arch,
            platform=platform,
            root_device_type=root,
            virtualization_type=virt,
            creation_date=created,
            kernel_id="aki-9b00e5f2" if virt == "paravirtual" else None,
            launch_groups=["all"],
        )


def _launchable_by(image: Image, account: str, caller: str) -> bool:
    # ExecutableBy: "all" means public; "self" what the caller may launch; an account id
    # the images explicitly shared with it (or that it owns).
    if account == "all":
        return image.is_public
    if account == "self":
        return image.is_public or image.owner_id == caller or caller in image.launch_users
    return account in image.launch_users or image.owner_id == account


def _owned_by(image: Image, owner: str, caller: str) -> bool:
    if owner == "self":
        return image.owner_id == caller
    if owner in ("amazon", "aws-marketplace", "aws-backup-vault"):
        return image.owner_alias == owner
    return image.owner_id == owner


_FIELDS: dict[str, Callable[[Image], Iterable[str]]] = {
    "image-id": lambda i: [i.id],
    "name": lambda i: [i.name],
    "description": lambda i: [i.description],
    "manifest-location": lambda i: [i.location],
    "owner-id": lambda i: [i.owner_id],
    "owner-alias": lambda i: [i.owner_alias] if i.owner_alias else [],
    "is-public": lambda i: ["true" if i.is_public else "false"],
    "state": lambda _i: ["available"],
    "architecture": lambda i: [i.architecture],
    "image-type": lambda _i: ["machine"],
    "platform": lambda i: [i.platform] if i.platform else [],
    "root-device-type": lambda i: [i.root_device_type],
    "virtualization-type": lambda i: [i.virtualization_type],
    "hypervisor": lambda _i: ["xen"],
}


def _root_device(root_device_type: str) -> str:
    return "/dev/xvda" if root_device_type == "ebs" else "/dev/sda1"


def _render(image: Image) -> dict[str, Any]:
    windows = image.platform == "windows"
    return {
        "imageId": image.id,
        "imageLocation": image.location,
        "imageState": "available",
        "imageOwnerId": image.owner_id,
        "creationDate": image.creation_date,
        "isPublic": image.is_public,
        "architecture": image.architecture,
        "imageType": "machine",
        "kernelId": image.kernel_id,
        "platform": image.platform,
        "platformDetails": "Windows" if windows else "Linux/UNIX",
        "usageOperation": "RunInstances:0002" if windows else "RunInstances",
        "imageOwnerAlias": image.owner_alias,
        "name": image.name,
        "description": image.description or None,  # EC2 leaves an unset description out
        "rootDeviceType": image.root_device_type,
        "rootDeviceName": image.root_device_name or _root_device(image.root_device_type),
        "blockDeviceMapping": [],
        "virtualizationType": image.virtualization_type,
        "tagSet": tag_set(image.tags),
        "hypervisor": "xen",
        "enaSupport": image.virtualization_type == "hvm",
    }


def _describe_images(state: EC2State, params: Params) -> dict[str, Any]:
    ids = params.strings("ImageId")
    owners = params.strings("Owner")
    executable_by = params.strings("ExecutableBy")
    filters = params.filters()
    check_filters(filters, _FIELDS)
    caller = state.account_id
    images = [find_image(state, ami) for ami in ids] if ids else list(state.images.values())
    if not ids and not owners and not executable_by:
        # No scope given: every image the caller may launch (EC2's documented default).
        executable_by = ["self"]
    selected = [
        image
        for image in sorted(images, key=lambda i: i.seq)
        if (not owners or any(_owned_by(image, owner, caller) for owner in owners))
        and (not executable_by or any(_launchable_by(image, e, caller) for e in executable_by))
        and (image.is_public or image.owner_id == caller or caller in image.launch_users)
        and match_filters(filters, image, _FIELDS, image.tags)
    ]
    page, token = paginate(
        selected,
        params,
        key=lambda i: i.seq,
        bounds=(1, 1000),
        exclusive="ImageId",
        exclusive_wire="imageIds",
    )
    state.check_dry_run(params)
    return {"imagesSet": [_render(image) for image in page], "nextToken": token}


def _permissions(image: Image) -> list[dict[str, str]]:
    return [{"group": g} for g in image.launch_groups] + [{"userId": u} for u in image.launch_users]


def _attribute(params: Params) -> str:
    name = params.require("Attribute")
    if name not in (
        "launchPermission",
        "description",
        "productCodes",
        "blockDeviceMapping",
        "kernel",
        "ramdisk",
    ):
        raise FakeError(
            "InvalidParameterValue", f"Value ({name}) for parameter attribute is invalid."
        )
    return name


def _describe_image_attribute(state: EC2State, params: Params) -> dict[str, Any]:
    image = find_image(state, params.require("ImageId"))
    name = _attribute(params)
    state.check_dry_run(params)
    body: dict[str, Any] = {"imageId": image.id}
    if name == "launchPermission":
        body["launchPermission"] = _permissions(image)
    elif name == "description":
        body["description"] = {"value": image.description} if image.description else {}
    elif name == "kernel":
        body["kernel"] = {"value": image.kernel_id} if image.kernel_id else {}
    elif name == "ramdisk":
        body["ramdisk"] = {}
    else:
        body[name] = []
    return body


def _check_user(user: str) -> str:
    if not (user.isdigit() and len(user) == 12):
        raise FakeError("InvalidUserID.Malformed", f"User ID '{user}' is invalid")
    return user


def _check_group(group: str) -> str:
    if group != "all":
        raise FakeError(
            "InvalidParameterValue", f"Invalid value '{group}' for userGroup; only 'all' is allowed"
        )
    return group


def _grant(item: Params) -> tuple[str, str]:
    user = item.get("UserId")
    if user:
        return "user", _check_user(user)
    return "group", _check_group(item.get("Group") or "")


def _changes(params: Params) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Read the launch permission changes, new style (LaunchPermission.Add/Remove) and old."""
    add = [_grant(item) for item in params.structs("LaunchPermission.Add")]
    remove = [_grant(item) for item in params.structs("LaunchPermission.Remove")]
    # The older form: Attribute=launchPermission, OperationType=add|remove, UserId.N, UserGroup.N.
    legacy = [("user", _check_user(u)) for u in params.strings("UserId")]
    legacy += [("group", _check_group(g)) for g in params.strings("UserGroup")]
    if legacy:
        operation = params.get("OperationType")
        if operation not in ("add", "remove"):
            raise FakeError(
                "InvalidParameterValue",
                f"Value ({operation}) for parameter operationType is invalid."
                " Expected: add, remove",
            )
        (add if operation == "add" else remove).extend(legacy)
    return add, remove


def _modify_image_attribute(state: EC2State, params: Params) -> dict[str, Any]:
    image = find_image(state, params.require("ImageId"))
    description = params.get("Description.Value")
    if description is None and params.get("Attribute") == "description":
        description = params.get("Value")
    add, remove = _changes(params)
    if not add and not remove and description is None:
        raise FakeError(
            "MissingParameter", "The request must contain the parameter launchPermission"
        )
    state.check_dry_run(params)
    if description is not None:
        image.description = description
    for kind, value in add:
        bucket = image.launch_users if kind == "user" else image.launch_groups
        if value not in bucket:
            bucket.append(value)
    for kind, value in remove:
        bucket = image.launch_users if kind == "user" else image.launch_groups
        if value in bucket:
            bucket.remove(value)
    return {"return": True}


def _reset_image_attribute(state: EC2State, params: Params) -> dict[str, Any]:
    image = find_image(state, params.require("ImageId"))
    name = params.require("Attribute")
    # "You can only reset the launch permission attribute." (ResetImageAttribute)
    if name != "launchPermission":
        raise FakeError(
            "InvalidParameterValue", f"Value ({name}) for parameter attribute is invalid."
        )
    state.check_dry_run(params)
    image.launch_users.clear()
    image.launch_groups.clear()
    return {"return": True}


HANDLERS: dict[str, Handler] = {
    "DescribeImages": _describe_images,
    "DescribeImageAttribute": _describe_image_attribute,
    "ModifyImageAttribute": _modify_image_attribute,
    "ResetImageAttribute": _reset_image_attribute,
}
