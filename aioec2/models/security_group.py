"""
Security groups and their rules.

A :class:`SecurityGroup` holds its inbound rules as :class:`IpPermission` tuples, grouped the
way EC2 groups them: one permission per protocol and port range, carrying every source
(IPv4 and IPv6 ranges, prefix lists, other groups) allowed for it. :meth:`SecurityGroup.authorize`
and :meth:`SecurityGroup.revoke` return the updated group computed locally with
:func:`merge_permissions` and :func:`remove_permissions`, which follow that grouping, so no
second round trip is needed (and none can be fooled by EC2's eventual consistency).

See https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SecurityGroup.html and
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar, Self

import attrs

from aioec2 import _validate_net as net
from aioec2._validate import non_empty_str, optional_str
from aioec2.errors import ArgumentError, error_from_code
from aioec2.models._base import Model, Tags, wire
from aioec2.models._required import require

if TYPE_CHECKING:
    from aioec2.session import Session

__all__ = [
    "DEFAULT_EGRESS",
    "IpPermission",
    "IpRange",
    "Ipv6Range",
    "PrefixListId",
    "SecurityGroup",
    "UserIdGroupPair",
    "merge_permissions",
    "remove_permissions",
]


@attrs.frozen(kw_only=True)
class IpRange(Model):
    """
    An IPv4 source of a rule (``IpRange``).

    .. versionadded:: 0.1
    """

    cidr_ip: str = wire("CidrIp")
    description: str | None = wire("Description")


@attrs.frozen(kw_only=True)
class Ipv6Range(Model):
    """
    An IPv6 source of a rule (``Ipv6Range``).

    .. versionadded:: 0.1
    """

    cidr_ipv6: str = wire("CidrIpv6")
    description: str | None = wire("Description")


@attrs.frozen(kw_only=True)
class PrefixListId(Model):
    """
    A managed prefix list as the source of a rule (``PrefixListId``).

    .. versionadded:: 0.1
    """

    prefix_list_id: str = wire("PrefixListId")
    description: str | None = wire("Description")


@attrs.frozen(kw_only=True)
class UserIdGroupPair(Model):
    """
    Another security group as the source of a rule (``UserIdGroupPair``).

    .. versionadded:: 0.1
    """

    group_id: str | None = wire("GroupId")
    group_name: str | None = wire("GroupName")
    user_id: str | None = wire("UserId")
    description: str | None = wire("Description")
    vpc_id: str | None = wire("VpcId")
    vpc_peering_connection_id: str | None = wire("VpcPeeringConnectionId")
    peering_status: str | None = wire("PeeringStatus")

    @property
    def ref(self) -> str | None:
        """The group this pair names: its id, else (EC2-Classic style) its name."""
        return self.group_id or self.group_name


@attrs.frozen(kw_only=True, repr=False)
class IpPermission(Model):
    """
    One rule: a protocol and port range, and every source allowed for it.

    ``repr`` is boto's ``IPPermissions:tcp(80-80)`` (``icmp(-1--1)`` for every ICMP type and
    code). A rule without ports, as EC2 describes ``-1`` (all traffic) and protocols other
    than tcp, udp and icmp, shows ``(all)``: ``IPPermissions:-1(all)``.

    .. versionadded:: 0.1
    """

    kind: ClassVar[str] = "IpPermission"
    ip_protocol: str = wire("IpProtocol")
    from_port: int | None = wire("FromPort")
    to_port: int | None = wire("ToPort")
    ip_ranges: tuple[IpRange, ...] = wire("IpRanges", model=IpRange, default=())
    ipv6_ranges: tuple[Ipv6Range, ...] = wire("Ipv6Ranges", model=Ipv6Range, default=())
    prefix_list_ids: tuple[PrefixListId, ...] = wire(
        "PrefixListIds", model=PrefixListId, default=()
    )
    user_id_group_pairs: tuple[UserIdGroupPair, ...] = wire(
        "UserIdGroupPairs", model=UserIdGroupPair, default=()
    )

    def __repr__(self) -> str:
        if self.from_port is None and self.to_port is None:
            return f"IPPermissions:{self.ip_protocol}(all)"
        return f"IPPermissions:{self.ip_protocol}({self.from_port}-{self.to_port})"

    @classmethod
    def build(
        cls,
        ip_protocol: str | int | None,
        from_port: int | None = None,
        to_port: int | None = None,
        *,
        cidr_ip: str | None = None,
        cidr_ipv6: str | None = None,
        src_group: SecurityGroup | UserIdGroupPair | str | None = None,
        prefix_list_id: str | None = None,
        description: str | None = None,
    ) -> IpPermission:
        """
        Build a checked rule from Python arguments, normalized as EC2 will describe it.

        Args:
            ip_protocol: ``tcp``, ``udp``, ``icmp``, ``icmpv6``, ``all``/``-1`` or a protocol
                number 0..255 (``all`` is sent as ``-1``; 6, 17 and 1 as their names).
                None only with ``src_group`` alone: a whole-group grant, all traffic (``-1``).
            from_port: first port, or the ICMP type (-1: all); needed for tcp, udp and icmp.
            to_port: last port, or the ICMP code (-1: all). Ignored by EC2, and so dropped,
                for ``-1`` and protocols other than tcp, udp, icmp and icmpv6.
            cidr_ip: an IPv4 source in CIDR notation, host bits zero (``"0.0.0.0/0"``).
            cidr_ipv6: an IPv6 source in CIDR notation (``"2001:db8::/32"``).
            src_group: a source security group: a :class:`SecurityGroup`, its id (``sg-...``)
                or a :class:`UserIdGroupPair` (another account's group).
            prefix_list_id: a managed prefix list id (``pl-...``).
            description: the description of each source given here.

        Returns:
            The rule.

        Raises:
            ArgumentError: a value out of range or malformed, or no source at all.
            TypeError: an argument of the wrong type (e.g. the port ``"80"``).

        .. versionadded:: 0.1
        """
        if ip_protocol is None:
            # A bare group grant: what the EC2 console calls "All traffic" from that group.
            if src_group is None or (from_port, to_port, cidr_ip, cidr_ipv6) != (None,) * 4:
                raise ArgumentError(
                    "ip_protocol is required, except for a whole-group grant (src_group alone)"
                )
            ip_protocol = "-1"
        proto = net.protocol("ip_protocol", ip_protocol)
        first, last = net.port_range(proto, from_port, to_port)
        desc = optional_str("description", description)
        ranges: tuple[IpRange, ...] = ()
        if cidr_ip is not None:
            ranges = (IpRange(cidr_ip=net.cidr_ipv4("cidr_ip", cidr_ip), description=desc),)
        v6: tuple[Ipv6Range, ...] = ()
        if cidr_ipv6 is not None:
            cidr = net.cidr_ipv6("cidr_ipv6", cidr_ipv6)
            v6 = (Ipv6Range(cidr_ipv6=cidr, description=desc),)
        prefixes: tuple[PrefixListId, ...] = ()
        if prefix_list_id is not None:
            pl_id = _prefixed("prefix_list_id", prefix_list_id, "pl-")
            prefixes = (PrefixListId(prefix_list_id=pl_id, description=desc),)
        pairs: tuple[UserIdGroupPair, ...] = ()
        if src_group is not None:
            pair = _pair(src_group)
            pairs = (pair if desc is None else attrs.evolve(pair, description=desc),)
        rule = cls(
            ip_protocol=proto,
            from_port=first,
            to_port=last,
            ip_ranges=ranges,
            ipv6_ranges=v6,
            prefix_list_ids=prefixes,
            user_id_group_pairs=pairs,
        )
        if rule.is_empty:
            raise ArgumentError(
                "a rule needs a source: cidr_ip, cidr_ipv6, src_group or prefix_list_id"
            )
        return rule

    @property
    def is_empty(self) -> bool:
        """True when the rule allows no source at all (EC2 drops such a rule)."""
        return not (
            self.ip_ranges or self.ipv6_ranges or self.prefix_list_ids or self.user_id_group_pairs
        )

    @property
    def key(self) -> tuple[str, int | None, int | None]:
        """``(ip_protocol, from_port, to_port)``: rules with the same key are one EC2 rule."""
        return (self.ip_protocol, self.from_port, self.to_port)

    def checked(self, where: str = "") -> IpPermission:
        """
        Check a rule built by hand (or described by EC2) before it is sent.

        Args:
            where: prefix for argument names in messages, e.g. ``"ip_permissions[0]."``.

        Returns:
            The rule with its protocol, ports and CIDR blocks normalized as by :meth:`build`.

        Raises:
            ArgumentError: a value out of range or malformed, or no source at all.
            TypeError: a field of the wrong type.
        """
        proto = net.protocol(f"{where}ip_protocol", self.ip_protocol)
        first, last = net.port_range(proto, self.from_port, self.to_port, where=where)
        rule = attrs.evolve(
            self,
            ip_protocol=proto,
            from_port=first,
            to_port=last,
            ip_ranges=tuple(
                attrs.evolve(r, cidr_ip=net.cidr_ipv4(f"{where}ip_ranges[{i}]", r.cidr_ip))
                for i, r in enumerate(self.ip_ranges)
            ),
            ipv6_ranges=tuple(
                attrs.evolve(r, cidr_ipv6=net.cidr_ipv6(f"{where}ipv6_ranges[{i}]", r.cidr_ipv6))
                for i, r in enumerate(self.ipv6_ranges)
            ),
        )
        for i, pair in enumerate(self.user_id_group_pairs):
            if pair.ref is None:
                raise ArgumentError(f"{where}user_id_group_pairs[{i}] needs a group_id")
        if rule.is_empty:
            raise ArgumentError(f"{where[:-1] or 'the rule'} has no source")
        return rule


def merge_permissions(
    rules: Iterable[IpPermission], added: Iterable[IpPermission]
) -> tuple[IpPermission, ...]:
    """
    Return ``rules`` with ``added`` authorized, grouped as EC2 groups them.

    A rule with the key (protocol and ports) of an existing one joins it, its sources appended
    after the existing ones; a rule with a new key is appended.

    .. versionadded:: 0.1
    """
    out = list(rules)
    for rule in added:
        for i, existing in enumerate(out):
            if existing.key == rule.key:
                out[i] = _sources(existing, rule, add=True)
                break
        else:
            out.append(rule)
    return tuple(out)


def remove_permissions(
    rules: Iterable[IpPermission], removed: Iterable[IpPermission]
) -> tuple[IpPermission, ...]:
    """
    Return ``rules`` with the sources of ``removed`` revoked; a rule left empty is dropped.

    Sources match by CIDR block, prefix list id or group, never by description: EC2 ignores
    descriptions when it matches a rule to revoke.

    .. versionadded:: 0.1
    """
    out = list(rules)
    for rule in removed:
        out = [_sources(r, rule, add=False) if r.key == rule.key else r for r in out]
    return tuple(r for r in out if not r.is_empty)


#: The outbound rule of every new security group: "By default, new security groups start with
#: only an outbound rule that allows all traffic to leave the resource" (VPC User Guide).
DEFAULT_EGRESS = IpPermission(ip_protocol="-1", ip_ranges=(IpRange(cidr_ip="0.0.0.0/0"),))


@attrs.frozen(kw_only=True, repr=False)
class SecurityGroup(Model):
    """
    A security group: ``repr(sg) == "SecurityGroup:apache"``.

    ``rules`` are the inbound rules (``IpPermissions``), ``egress_rules`` the outbound ones
    (``IpPermissionsEgress``).

    .. versionadded:: 0.1
    """

    kind: ClassVar[str] = "SecurityGroup"
    id: str = wire("GroupId")
    name: str = wire("GroupName")
    description: str | None = wire("Description")
    owner_id: str | None = wire("OwnerId")
    vpc_id: str | None = wire("VpcId")
    arn: str | None = wire("SecurityGroupArn")
    rules: tuple[IpPermission, ...] = wire("IpPermissions", model=IpPermission, default=())
    egress_rules: tuple[IpPermission, ...] = wire(
        "IpPermissionsEgress", model=IpPermission, default=()
    )
    tags: Tags = wire("Tags", tags=True, default=Tags())

    def __repr__(self) -> str:
        return f"SecurityGroup:{self.name}"

    @classmethod
    def from_parsed(cls, data: Mapping[str, Any], *, session: Session | None = None) -> Self:
        """
        Build the group from one parsed ``SecurityGroup``.

        Raises:
            ResponseParseError: it has no ``groupId``, or a tag has no key
                (see :mod:`aioec2.models._required`).
        """
        require(cls.kind, data, "GroupId")
        return super().from_parsed(data, session=session)

    async def authorize(
        self,
        ip_protocol: str | int | None = None,
        from_port: int | None = None,
        to_port: int | None = None,
        cidr_ip: str | None = None,
        *,
        cidr_ipv6: str | None = None,
        src_group: SecurityGroup | UserIdGroupPair | str | None = None,
        description: str | None = None,
    ) -> SecurityGroup:
        """
        Allow inbound traffic: ``web = await web.authorize("tcp", 80, 80, "0.0.0.0/0")``.

        ``authorize(src_group=other)`` alone grants ``other`` all traffic: one rule with
        protocol ``-1`` and the group as its source (what the EC2 console calls "All
        traffic"; boto's three tcp/udp/icmp rules relied on EC2-Classic, which is gone).

        Args:
            ip_protocol: see :meth:`IpPermission.build`.
            from_port: see :meth:`IpPermission.build`.
            to_port: see :meth:`IpPermission.build`.
            cidr_ip: an IPv4 source in CIDR notation.
            cidr_ipv6: an IPv6 source in CIDR notation.
            src_group: a source security group (model, ``sg-`` id or pair).
            description: a description for the new sources.

        Returns:
            The updated group, computed from this snapshot without another request: the rule
            joins the one with the same protocol and ports, as EC2 groups them.

        Raises:
            ArgumentError: bad arguments (nothing was sent).
            EC2APIError: e.g. ``InvalidPermission.Duplicate`` for a rule that exists.

        .. versionadded:: 0.1
        """
        rule = IpPermission.build(
            ip_protocol,
            from_port,
            to_port,
            cidr_ip=cidr_ip,
            cidr_ipv6=cidr_ipv6,
            src_group=src_group,
            description=description,
        )
        await self.session.authorize_security_group_ingress(self.id, ip_permissions=[rule])
        return attrs.evolve(self, rules=merge_permissions(self.rules, [self._described(rule)]))

    async def revoke(
        self,
        ip_protocol: str | int | None = None,
        from_port: int | None = None,
        to_port: int | None = None,
        cidr_ip: str | None = None,
        *,
        cidr_ipv6: str | None = None,
        src_group: SecurityGroup | UserIdGroupPair | str | None = None,
    ) -> SecurityGroup:
        """
        Remove inbound sources given as to :meth:`authorize`.

        Returns:
            The updated group, computed locally: the sources leave their rule, and a rule
            left without sources is dropped, as EC2 does.

        Raises:
            ArgumentError: bad arguments (nothing was sent).
            EC2APIError: e.g. ``InvalidPermission.NotFound`` for a rule that does not exist.

        .. versionadded:: 0.1
        """
        rule = IpPermission.build(
            ip_protocol,
            from_port,
            to_port,
            cidr_ip=cidr_ip,
            cidr_ipv6=cidr_ipv6,
            src_group=src_group,
        )
        await self.session.revoke_security_group_ingress(self.id, ip_permissions=[rule])
        return attrs.evolve(self, rules=remove_permissions(self.rules, [rule]))

    async def delete(self) -> None:
        """
        Delete the group (``DeleteSecurityGroup``).

        Raises:
            EC2APIError: e.g. ``DependencyViolation`` while another group or an instance uses it.

        .. versionadded:: 0.1
        """
        await self.session.delete_security_group(self.id)

    async def refresh(self) -> SecurityGroup:
        """
        Fetch a new snapshot of this group.

        Raises:
            NotFoundError: the group no longer exists.

        .. versionadded:: 0.1
        """
        found = await self.session.describe_security_groups(group_ids=[self.id])
        if not found:
            raise error_from_code(
                "InvalidGroup.NotFound", f"The security group '{self.id}' does not exist"
            )
        return found[0]

    def _described(self, rule: IpPermission) -> IpPermission:
        # EC2 describes a referenced group with its account id, which defaults to the
        # caller's, i.e. this group's owner (API_UserIdGroupPair: "UserId").
        if self.owner_id is None:
            return rule
        pairs = tuple(
            p if p.user_id else attrs.evolve(p, user_id=self.owner_id)
            for p in rule.user_id_group_pairs
        )
        return attrs.evolve(rule, user_id_group_pairs=pairs)


def _pair(src_group: SecurityGroup | UserIdGroupPair | str) -> UserIdGroupPair:
    if isinstance(src_group, SecurityGroup):
        return UserIdGroupPair(group_id=src_group.id, user_id=src_group.owner_id)
    if isinstance(src_group, UserIdGroupPair):
        if src_group.ref is None:
            raise ArgumentError("src_group needs a group_id")
        return src_group
    if isinstance(src_group, str):
        return UserIdGroupPair(group_id=_prefixed("src_group", src_group, "sg-"))
    raise TypeError(
        "src_group must be a SecurityGroup, a group id or a UserIdGroupPair, "
        f"got {type(src_group).__name__}"
    )


def _prefixed(name: str, value: object, prefix: str) -> str:
    text = non_empty_str(name, value)
    if not text.startswith(prefix):
        raise ArgumentError(f"{name} must be an id starting with {prefix!r}, got {text!r}")
    return text


# Each kind of source of a rule, and what identifies one source of that kind.
_SOURCE_KEYS: tuple[tuple[str, Callable[[Any], Hashable]], ...] = (
    ("ip_ranges", attrgetter("cidr_ip")),
    ("ipv6_ranges", attrgetter("cidr_ipv6")),
    ("prefix_list_ids", attrgetter("prefix_list_id")),
    ("user_id_group_pairs", attrgetter("ref")),
)


def _sources(rule: IpPermission, other: IpPermission, *, add: bool) -> IpPermission:
    # Add other's sources after rule's own (skipping repeats), or take them away.
    changes: dict[str, Any] = {}
    for field, key in _SOURCE_KEYS:
        mine, theirs = getattr(rule, field), getattr(other, field)
        if add:
            out, seen = list(mine), {key(x) for x in mine}
            for x in theirs:
                if key(x) not in seen:
                    seen.add(key(x))
                    out.append(x)
            changes[field] = tuple(out)
        else:
            gone = {key(x) for x in theirs}
            changes[field] = tuple(x for x in mine if key(x) not in gone)
    return attrs.evolve(rule, **changes)
