"""Typed EC2 operations: security groups and their inbound rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aioec2._api._base import OperationsBase
from aioec2._api.tags import tag_specifications
from aioec2._validate import filters as filter_list
from aioec2._validate import id_list, non_empty_str, optional_str
from aioec2._validate_instances import flag
from aioec2.errors import ArgumentError
from aioec2.models._base import Tags
from aioec2.models._required import require

if TYPE_CHECKING:
    from aioec2.models.security_group import IpPermission, SecurityGroup

__all__ = ["SecurityGroupsAPI"]

# CreateSecurityGroup: "Constraints: Up to 255 characters in length. Cannot start with sg-."
_MAX_NAME = 255


class SecurityGroupsAPI(OperationsBase):
    """Operations on security groups."""

    __slots__ = ()

    async def describe_security_groups(
        self,
        *,
        group_names: Iterable[str] = (),
        group_ids: Iterable[str] = (),
        filters: Mapping[str, Any] | None = None,
    ) -> list[SecurityGroup]:
        """
        Describe security groups, every page (``DescribeSecurityGroups``).

        Args:
            group_names: names of groups in the default VPC.
            group_ids: group ids (``sg-...``).
            filters: e.g. ``{"group-name": "apache", "vpc-id": "vpc-..."}``.

        Returns:
            The groups, bound to this session.

        Raises:
            NotFoundError: a named group or id does not exist (``InvalidGroup.NotFound``).

        .. versionadded:: 0.1
        """
        params = {
            "GroupNames": id_list("group_names", group_names) or None,
            "GroupIds": id_list("group_ids", group_ids, prefix="sg-") or None,
            "Filters": filter_list(filters) or None,
        }
        from aioec2.models.security_group import SecurityGroup  # noqa: PLC0415 - imported on first use

        session = self._as_session()
        found = await self._collect("DescribeSecurityGroups", params, "SecurityGroups")
        return [SecurityGroup.from_parsed(data, session=session) for data in found]

    #: boto's name for :meth:`describe_security_groups`.
    get_all_security_groups = describe_security_groups

    async def create_security_group(
        self,
        name: str,
        description: str,
        *,
        vpc_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        dry_run: bool = False,
    ) -> SecurityGroup:
        """
        Create a security group (``CreateSecurityGroup``).

        EC2 answers with the new group's id (and ARN) only. Rather than describe a group that
        EC2's eventual consistency may not show yet, the result is built from what is known:
        the arguments, the id, the ARN and the owner (the account in the ARN), no inbound
        rule, and the outbound rule EC2 gives every new group (all traffic to 0.0.0.0/0).
        ``vpc_id`` stays None when EC2 chose the default VPC; ``await sg.refresh()`` fills it.

        Args:
            name: the group's name (up to 255 characters, not starting with ``sg-``).
            description: its description (up to 255 characters).
            vpc_id: the VPC; the default VPC if None.
            tags: tags for the new group.
            dry_run: only check permissions; EC2 answers with ``DryRunOperation``.

        Returns:
            The new group, bound to this session.

        Raises:
            ArgumentError: an empty or malformed argument (nothing was sent).
            EC2APIError: e.g. ``InvalidGroup.Duplicate``.

        .. versionadded:: 0.1
        """
        _group_name("name", name)
        non_empty_str("description", description, max_length=_MAX_NAME)
        optional_str("vpc_id", vpc_id)
        out = await self.call(
            "CreateSecurityGroup",
            {
                "GroupName": name,
                "Description": description,
                "VpcId": vpc_id,
                "TagSpecifications": tag_specifications("security-group", tags),
                "DryRun": flag("dry_run", dry_run) or None,
            },
        )
        require("SecurityGroup", out, "GroupId")  # the answer's one essential member
        from aioec2.models.security_group import DEFAULT_EGRESS, SecurityGroup  # noqa: PLC0415 - imported on first use

        arn: str | None = out.get("SecurityGroupArn")
        return SecurityGroup(
            session=self._as_session(),
            id=out["GroupId"],
            name=name,
            description=description,
            vpc_id=vpc_id,
            arn=arn,
            owner_id=_account_of(arn),
            egress_rules=(DEFAULT_EGRESS,),
            tags=Tags.from_parsed(out["Tags"]) if out.get("Tags") else Tags(tags),
        )

    async def delete_security_group(
        self, group_id: str | None = None, *, group_name: str | None = None
    ) -> None:
        """
        Delete a security group by id or (default VPC) by name (``DeleteSecurityGroup``).

        Args:
            group_id: the group's id; exactly one of ``group_id`` and ``group_name``.
            group_name: the group's name.

        Raises:
            ArgumentError: both or neither of ``group_id`` and ``group_name`` (nothing sent).
            EC2APIError: e.g. ``DependencyViolation`` while something still uses the group.

        .. versionadded:: 0.1
        """
        await self.call("DeleteSecurityGroup", _target(group_id, group_name))

    async def authorize_security_group_ingress(
        self,
        group_id: str | None = None,
        *,
        group_name: str | None = None,
        ip_permissions: Sequence[IpPermission],
    ) -> None:
        """
        Add inbound rules (``AuthorizeSecurityGroupIngress``).

        Args:
            group_id: the group's id; exactly one of ``group_id`` and ``group_name``.
            group_name: the group's name (default VPC).
            ip_permissions: the rules, e.g. ``[IpPermission.build("tcp", 80, 80,
                cidr_ip="0.0.0.0/0")]``; rules built by hand are checked as ``build`` checks.

        Raises:
            ArgumentError: bad arguments (nothing was sent).
            EC2APIError: e.g. ``InvalidPermission.Duplicate`` for a rule that exists.

        .. versionadded:: 0.1
        """
        params = _target(group_id, group_name)
        params["IpPermissions"] = _rules(ip_permissions)
        await self.call("AuthorizeSecurityGroupIngress", params)

    async def revoke_security_group_ingress(
        self,
        group_id: str | None = None,
        *,
        group_name: str | None = None,
        ip_permissions: Sequence[IpPermission],
    ) -> None:
        """
        Remove inbound rules (``RevokeSecurityGroupIngress``); arguments as for authorizing.

        Raises:
            ArgumentError: bad arguments (nothing was sent).
            EC2APIError: e.g. ``InvalidPermission.NotFound`` for a rule that does not exist.

        .. versionadded:: 0.1
        """
        params = _target(group_id, group_name)
        params["IpPermissions"] = _rules(ip_permissions)
        await self.call("RevokeSecurityGroupIngress", params)


def _group_name(name: str, value: object) -> str:
    text = non_empty_str(name, value, max_length=_MAX_NAME)
    if text.lower().startswith("sg-"):
        raise ArgumentError(f"{name} must not start with 'sg-' (that is how group ids start)")
    return text


def _target(group_id: object, group_name: object) -> dict[str, Any]:
    if (group_id is None) == (group_name is None):
        raise ArgumentError("give exactly one of group_id and group_name")
    if group_id is not None:
        text = non_empty_str("group_id", group_id)
        if not text.startswith("sg-"):
            raise ArgumentError(f"group_id must start with 'sg-', got {text!r}")
        return {"GroupId": text}
    return {"GroupName": _group_name("group_name", group_name)}


def _rules(rules: object) -> list[dict[str, Any]]:
    from aioec2.models.security_group import IpPermission  # noqa: PLC0415 - imported on first use

    if isinstance(rules, IpPermission) or not isinstance(rules, Sequence):
        raise TypeError(
            f"ip_permissions must be a list of IpPermission, got {type(rules).__name__}"
        )
    if not rules:
        raise ArgumentError("ip_permissions must hold at least one rule")
    out: list[dict[str, Any]] = []
    for i, rule in enumerate(rules):
        if not isinstance(rule, IpPermission):
            raise TypeError(
                f"ip_permissions[{i}] must be an IpPermission (see IpPermission.build), "
                f"got {type(rule).__name__}"
            )
        out.append(rule.checked(f"ip_permissions[{i}].").to_dict())
    return out


def _account_of(arn: str | None) -> str | None:
    # arn:partition:ec2:region:account-id:security-group/sg-... (the owner's account).
    parts = (arn or "").split(":")
    return parts[4] or None if len(parts) > 5 else None
