"""
Images (AMIs): the :class:`Image` model and its :class:`LaunchPermissions`.

Every member of EC2's ``Image`` structure is a field, named in snake_case, except:

* ``ImageId`` is :attr:`Image.id`, ``ImageLocation`` :attr:`Image.location` and ``Public``
  :attr:`Image.is_public` (a bool, so the name says what ``True`` means);
* ``CreationDate`` is :attr:`Image.creation_date`, an aware UTC ``datetime``. EC2's model
  declares it a *string* (``"2013-07-11T16:04:06.000Z"``), so the parser leaves it as text and
  this model converts it; :meth:`Image.to_dict` writes it back in EC2's format (ISO 8601,
  milliseconds, ``Z``), which is the very string EC2 (and moto) send. Another ISO 8601
  spelling of the same instant would come back in that format. ``DeprecationTime`` and
  ``LastLaunchedTime`` are strings in the model too but stay text here: EC2 documents
  different spellings for them (with and without milliseconds), so converting them could not
  give the original back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

import attrs

from aioec2.errors import ResponseParseError
from aioec2.models._base import Model, Struct, Tags, wire
from aioec2.models._required import require

if TYPE_CHECKING:
    from aioec2.models.instance import Reservation
    from aioec2.session import Session

__all__ = ["Image", "LaunchPermissions", "format_ec2_time", "parse_ec2_time"]


def parse_ec2_time(text: str) -> dt.datetime:
    """
    Read an ISO 8601 timestamp that EC2 sent as a string, as an aware UTC datetime.

    A timestamp without an offset is taken as UTC, as EC2 writes every time in UTC.

    Raises:
        ValueError: ``text`` is not ISO 8601.
    """
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def format_ec2_time(value: dt.datetime) -> str:
    """Write ``value`` as EC2 writes string timestamps: ``2013-07-11T16:04:06.000Z``."""
    utc = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


@attrs.frozen(kw_only=True)
class LaunchPermissions:
    """
    Who may launch an image besides its owner: account ids and groups (``"all"`` = public).

    .. versionadded:: 0.1
    """

    user_ids: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    @classmethod
    def from_parsed(cls, permissions: Any) -> Self:
        """Build from DescribeImageAttribute's ``LaunchPermissions`` list."""
        items = permissions or ()
        return cls(
            user_ids=tuple(p["UserId"] for p in items if "UserId" in p),
            groups=tuple(p["Group"] for p in items if "Group" in p),
        )


@attrs.frozen(kw_only=True, repr=False)
class Image(Model):
    """
    An Amazon Machine Image, as DescribeImages returned it (an immutable snapshot).

    .. versionadded:: 0.1
    """

    kind: ClassVar[str] = "Image"

    id: str = wire("ImageId")
    location: str | None = wire("ImageLocation")
    name: str | None = wire("Name")
    description: str | None = wire("Description")
    state: str | None = wire("State")
    state_reason: Struct | None = wire("StateReason")
    owner_id: str | None = wire("OwnerId")
    image_owner_alias: str | None = wire("ImageOwnerAlias")
    is_public: bool | None = wire("Public")
    creation_date: dt.datetime | None = wire("CreationDate")
    deprecation_time: str | None = wire("DeprecationTime")
    last_launched_time: str | None = wire("LastLaunchedTime")
    deregistration_protection: str | None = wire("DeregistrationProtection")
    architecture: str | None = wire("Architecture")
    image_type: str | None = wire("ImageType")
    platform: str | None = wire("Platform")
    platform_details: str | None = wire("PlatformDetails")
    usage_operation: str | None = wire("UsageOperation")
    hypervisor: str | None = wire("Hypervisor")
    virtualization_type: str | None = wire("VirtualizationType")
    kernel_id: str | None = wire("KernelId")
    ramdisk_id: str | None = wire("RamdiskId")
    root_device_name: str | None = wire("RootDeviceName")
    root_device_type: str | None = wire("RootDeviceType")
    block_device_mappings: tuple[Struct, ...] = wire("BlockDeviceMappings", default=())
    product_codes: tuple[Struct, ...] = wire("ProductCodes", default=())
    boot_mode: str | None = wire("BootMode")
    tpm_support: str | None = wire("TpmSupport")
    imds_support: str | None = wire("ImdsSupport")
    ena_support: bool | None = wire("EnaSupport")
    sriov_net_support: str | None = wire("SriovNetSupport")
    free_tier_eligible: bool | None = wire("FreeTierEligible")
    image_allowed: bool | None = wire("ImageAllowed")
    image_watermarks: tuple[Struct, ...] = wire("ImageWatermarks", default=())
    instance_type_specification: Struct | None = wire("InstanceTypeSpecification")
    public_ssm_parameter_name: str | None = wire("PublicSsmParameterName")
    source_image_id: str | None = wire("SourceImageId")
    source_image_region: str | None = wire("SourceImageRegion")
    source_instance_id: str | None = wire("SourceInstanceId")
    tags: Tags = wire("Tags", tags=True, default=Tags())

    def __repr__(self) -> str:
        return f"Image:{self.id}"

    @classmethod
    def from_parsed(cls, data: Mapping[str, Any], *, session: Session | None = None) -> Self:
        """
        Build the image from one parsed ``Image`` structure; ``CreationDate`` becomes a datetime.

        Raises:
            ResponseParseError: ``CreationDate`` is not an ISO 8601 timestamp, the image has no
                ``imageId`` or a tag has no key (see :mod:`aioec2.models._required`).
        """
        require(cls.kind, data, "ImageId")
        text = data.get("CreationDate")
        if isinstance(text, str):
            try:
                when = parse_ec2_time(text) if text else None
            except ValueError:
                raise ResponseParseError(
                    f"image {data.get('ImageId')!r}: CreationDate {text[:40]!r} is not ISO 8601"
                ) from None
            data = {**data, "CreationDate": when}
        return super().from_parsed(data, session=session)

    def to_dict(self) -> dict[str, Any]:
        """Return the image in the parser's form; ``CreationDate`` is EC2's string again."""
        out = super().to_dict()
        if self.creation_date is not None:
            out["CreationDate"] = format_ec2_time(self.creation_date)
        return out

    async def run(
        self,
        min_count: int = 1,
        max_count: int = 1,
        key_name: str | None = None,
        security_groups: Iterable[str] | None = None,
        user_data: str | bytes | None = None,
        **more: Any,
    ) -> Reservation:
        """
        Launch instances of this image (RunInstances), as in the boto tutorial.

        Args:
            min_count: the fewest instances to launch, or none at all.
            max_count: the most instances to launch.
            key_name: the key pair to install.
            security_groups: security group names.
            user_data: ``str`` or ``bytes``; the SDK base64-encodes it.
            **more: any other keyword argument of :meth:`aioec2.Session.run_instances`.

        Returns:
            The new reservation; its instances are usually ``"pending"``.

        Raises:
            SessionClosedError: the image's Session is closed or absent.
            ArgumentError: an argument is malformed (nothing was sent).
            EC2APIError: EC2 refused the launch.

        .. versionadded:: 0.1
        """
        return await self.session.run_instances(
            self.id,
            min_count=min_count,
            max_count=max_count,
            key_name=key_name,
            security_groups=() if security_groups is None else security_groups,
            user_data=user_data,
            **more,
        )

    async def get_launch_permissions(self) -> LaunchPermissions:
        """
        Return who may launch this image (DescribeImageAttribute ``launchPermission``).

        .. versionadded:: 0.1
        """
        result = await self.session.describe_image_attribute(self.id, attribute="launchPermission")
        return LaunchPermissions.from_parsed(result.get("LaunchPermissions"))

    async def set_launch_permissions(
        self, *, user_ids: Iterable[str] = (), groups: Iterable[str] = ()
    ) -> None:
        """
        Allow these accounts and groups to launch the image (``groups=["all"]`` makes it public).

        Permissions are added to the existing ones.

        Raises:
            ArgumentError: neither ``user_ids`` nor ``groups`` was given.

        .. versionadded:: 0.1
        """
        await self.session.modify_image_attribute(
            self.id, operation_type="add", user_ids=user_ids, groups=groups
        )

    async def remove_launch_permissions(
        self, *, user_ids: Iterable[str] = (), groups: Iterable[str] = ()
    ) -> None:
        """
        Withdraw launch permissions from these accounts and groups.

        Raises:
            ArgumentError: neither ``user_ids`` nor ``groups`` was given.

        .. versionadded:: 0.1
        """
        await self.session.modify_image_attribute(
            self.id, operation_type="remove", user_ids=user_ids, groups=groups
        )

    async def reset_launch_permissions(self) -> None:
        """
        Make the image private again: only its owner may launch it (ResetImageAttribute).

        .. versionadded:: 0.1
        """
        await self.session.reset_image_attribute(self.id, attribute="launchPermission")

    async def refresh(self) -> Image:
        """
        Fetch this image again and return the new snapshot (this one is left unchanged).

        Raises:
            NotFoundError: the image no longer exists (``InvalidAMIID.NotFound``).

        .. versionadded:: 0.1
        """
        return await self.session.get_image(self.id)
