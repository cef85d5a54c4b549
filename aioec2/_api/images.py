"""Typed EC2 operations: images (DescribeImages and the image attribute calls)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from aioec2 import _validate as check
from aioec2._api._base import OperationsBase
from aioec2._validate_instances import flag
from aioec2.errors import ArgumentError, NotFoundError

if TYPE_CHECKING:
    from aioec2.models.image import Image

__all__ = ["ImagesAPI"]

_OPERATION_TYPES = {"add": "Add", "remove": "Remove"}
# LaunchPermissionModifications: Add and Remove, lists of LaunchPermission structures.
_CHANGE_KEYS = ("Add", "Remove")
_PERMISSION_KEYS = ("Group", "OrganizationArn", "OrganizationalUnitArn", "UserId")


class ImagesAPI(OperationsBase):
    """Operations on images."""

    __slots__ = ()

    async def describe_images(
        self,
        *,
        image_ids: Iterable[str] = (),
        owners: Iterable[str] = (),
        executable_users: Iterable[str] = (),
        filters: Mapping[str, str | Iterable[str]] | None = None,
        include_deprecated: bool | None = None,
    ) -> list[Image]:
        """
        Describe images (DescribeImages), following every page.

        Args:
            image_ids: only these images.
            owners: account ids, or ``"self"``, ``"amazon"``, ``"aws-marketplace"``.
            executable_users: images these accounts may launch (``"self"``, ``"all"``).
            filters: ``{"architecture": ["x86_64"], "name": "amzn2-*"}``.
            include_deprecated: include deprecated images (EC2's ``IncludeDeprecated``).

        Returns:
            The images, bound to this session.

        Raises:
            ArgumentError: an argument is malformed; nothing was sent.
            EC2APIError: EC2 refused the call.

        .. versionadded:: 0.1
        """
        params: dict[str, Any] = {
            "ImageIds": check.id_list("image_ids", image_ids),
            "Owners": check.id_list("owners", owners),
            "ExecutableUsers": check.id_list("executable_users", executable_users),
            "Filters": check.filters(filters),
        }
        if include_deprecated is not None:
            params["IncludeDeprecated"] = flag("include_deprecated", include_deprecated)
        from aioec2.models.image import Image  # noqa: PLC0415 - imported on first use

        session = self._as_session()  # the mixin only ever runs as part of a Session
        found = await self._collect("DescribeImages", params, "Images")
        return [Image.from_parsed(data, session=session) for data in found]

    async def get_all_images(
        self,
        *,
        image_ids: Iterable[str] = (),
        owners: Iterable[str] = (),
        executable_users: Iterable[str] = (),
        filters: Mapping[str, str | Iterable[str]] | None = None,
        include_deprecated: bool | None = None,
    ) -> list[Image]:
        """
        Alias of :meth:`describe_images`, for users of the boto tutorial.

        .. versionadded:: 0.1
        """
        return await self.describe_images(
            image_ids=image_ids,
            owners=owners,
            executable_users=executable_users,
            filters=filters,
            include_deprecated=include_deprecated,
        )

    async def get_image(self, image_id: str) -> Image:
        """
        Describe one image.

        Args:
            image_id: the image, e.g. ``"ami-1a2b3c4d"``.

        Returns:
            The image, bound to this session.

        Raises:
            NotFoundError: no such image (``InvalidAMIID.NotFound``), whether EC2 said so or
                answered with an empty list.

        .. versionadded:: 0.1
        """
        check.non_empty_str("image_id", image_id)
        images = await self.describe_images(image_ids=[image_id])
        for image in images:
            if image.id == image_id:
                return image
        # EC2 usually answers an unknown id with this error itself; an empty list (some
        # EC2-compatible clouds, or an image just deregistered) means the same.
        raise NotFoundError("InvalidAMIID.NotFound", f"The image id '[{image_id}]' does not exist")

    async def describe_image_attribute(
        self, image_id: str, attribute: str = "launchPermission"
    ) -> dict[str, Any]:
        """
        Describe one attribute of an image (DescribeImageAttribute).

        Args:
            image_id: the image.
            attribute: ``launchPermission``, ``description``, ``kernel``, ``ramdisk``,
                ``productCodes``, ``blockDeviceMapping``, ``sriovNetSupport``, ``bootMode``, ...

        Returns:
            The parsed output, e.g. ``{"ImageId": ..., "LaunchPermissions": [{"UserId": ...}]}``.

        .. versionadded:: 0.1
        """
        params = {
            "ImageId": check.non_empty_str("image_id", image_id),
            "Attribute": check.non_empty_str("attribute", attribute),
        }
        return await self.call("DescribeImageAttribute", params)

    async def modify_image_attribute(
        self,
        image_id: str,
        *,
        attribute: str = "launchPermission",
        operation_type: str | None = None,
        user_ids: Iterable[str] = (),
        groups: Iterable[str] = (),
        launch_permission: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> None:
        """
        Change one attribute of an image (ModifyImageAttribute).

        Launch permissions go out in EC2's structured form,
        ``LaunchPermission.Add.1.UserId=...`` / ``LaunchPermission.Remove.1.Group=all``,
        rather than the legacy ``OperationType`` + ``UserId.N`` form.

        Args:
            image_id: the image.
            attribute: the attribute to change; ``"description"`` when ``description`` is given.
            operation_type: ``"add"`` or ``"remove"``: what to do with ``user_ids``/``groups``.
            user_ids: account ids to add or remove.
            groups: groups to add or remove (only ``"all"`` exists: the public).
            launch_permission: botocore's ``LaunchPermissionModifications`` as is,
                ``{"Add": [{"UserId": ...}], "Remove": [{"Group": "all"}]}``.
            description: a new description.

        Raises:
            ArgumentError: nothing to change, an unknown ``operation_type``, or a description
                and launch permissions in one call (EC2 changes one attribute per call).

        .. versionadded:: 0.1
        """
        params: dict[str, Any] = {"ImageId": check.non_empty_str("image_id", image_id)}
        attribute = check.non_empty_str("attribute", attribute)
        users = check.id_list("user_ids", user_ids)
        group_names = check.id_list("groups", groups)
        changes: dict[str, list[dict[str, str]]] = {}
        if launch_permission is not None:
            changes = _permission_changes(launch_permission)
        if users or group_names:
            if operation_type is None:
                raise ArgumentError(
                    "operation_type must be 'add' or 'remove' with user_ids or groups, got None"
                )
            key = _OPERATION_TYPES[check.choice("operation_type", operation_type, _OPERATION_TYPES)]
            changes.setdefault(key, []).extend(
                [{"UserId": u} for u in users] + [{"Group": g} for g in group_names]
            )
        elif operation_type is not None:
            raise ArgumentError("operation_type needs user_ids or groups to add or remove")
        if description is not None:
            if changes:
                raise ArgumentError(
                    "change description and launch permissions in separate calls "
                    "(EC2 modifies one attribute per call)"
                )
            params["Attribute"] = "description"
            params["Description"] = {"Value": check.non_empty_str("description", description)}
        elif changes:
            params["Attribute"] = attribute
            params["LaunchPermission"] = changes
        else:
            raise ArgumentError(
                "nothing to modify: give user_ids or groups (with operation_type), "
                "launch_permission, or description"
            )
        await self.call("ModifyImageAttribute", params)

    async def reset_image_attribute(
        self, image_id: str, attribute: str = "launchPermission"
    ) -> None:
        """
        Reset an image attribute to its default (ResetImageAttribute).

        For ``launchPermission`` that makes the image private: only its owner may launch it.

        Args:
            image_id: the image.
            attribute: ``launchPermission`` (the default), ``kernel`` or ``ramdisk``.

        .. versionadded:: 0.1
        """
        params = {
            "ImageId": check.non_empty_str("image_id", image_id),
            "Attribute": check.non_empty_str("attribute", attribute),
        }
        await self.call("ResetImageAttribute", params)


def _permission_changes(value: object) -> dict[str, list[dict[str, str]]]:
    # botocore's LaunchPermissionModifications, checked here so a mistake names the argument.
    if not isinstance(value, Mapping):
        raise TypeError(
            "launch_permission must be a mapping like {'Add': [{'UserId': ...}]}, "
            f"got {type(value).__name__}"
        )
    changes: dict[str, list[dict[str, str]]] = {}
    for key, items in value.items():
        where = f"launch_permission[{key!r:.40}]"
        check.choice("launch_permission key", key, _CHANGE_KEYS)
        if isinstance(items, str | bytes | Mapping) or not isinstance(items, Iterable):
            raise TypeError(f"{where} must be a list of mappings like {{'UserId': ...}}")
        out: list[dict[str, str]] = []
        for index, item in enumerate(items):
            if not isinstance(item, Mapping) or not item:
                raise TypeError(f"{where}[{index}] must be a mapping like {{'UserId': ...}}")
            for name, text in item.items():
                check.choice(f"{where}[{index}] key", name, _PERMISSION_KEYS)
                check.non_empty_str(f"{where}[{index}][{name!r}]", text)
            out.append(dict(item))
        changes[key] = out
    return changes
