"""
Security groups: Describe/Create/DeleteSecurityGroup and Authorize/RevokeSecurityGroupIngress.

Rules are kept as atomic grants (one protocol, port range and peer each) and merged back into
EC2's ``IpPermissions`` (one per protocol and port range) when described, so granting port
80 to two CIDR blocks and revoking one behaves as it does in EC2.
https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from aioec2.testing._lookup import check_id, find_group
from aioec2.testing._model import FakeError, Grant, SecurityGroup
from aioec2.testing._params import Params, check_filters, match_filters, paginate
from aioec2.testing._tags import tag_set, tags_from_specs

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from aioec2.testing._state import EC2State, Handler

__all__ = ["HANDLERS", "create_default_group"]

_PROTOCOLS = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp", "icmp": "icmp", "1": "icmp"}
_PROTOCOLS |= {"icmpv6": "icmpv6", "58": "icmpv6", "-1": "-1", "all": "-1"}
_MAX_RULES = 60  # inbound rules per security group, the default quota
_ALL_V4 = "0.0.0.0/0"


def _arn(state: EC2State, group_id: str) -> str:
    return f"arn:aws:ec2:{state.region}:{state.account_id}:security-group/{group_id}"


def _new_group(state: EC2State, name: str, description: str, created_at: float) -> SecurityGroup:
    group = SecurityGroup(
        id=state.new_id("sg"),
        seq=state.next_seq(),
        name=name,
        description=description,
        vpc_id=state.vpc_id,
        owner_id=state.account_id,
        created_at=created_at,
    )
    # Every new VPC group may send anything anywhere until told otherwise.
    _add(state, group, group.egress, [Grant("-1", None, None, "cidr", _ALL_V4)])
    state.groups[group.id] = group
    return group


def create_default_group(state: EC2State) -> None:
    """Create the default VPC's ``default`` group: members reach each other, all may leave."""
    group = _new_group(state, "default", "default VPC security group", float("-inf"))
    _add(
        state, group, group.ingress, [Grant("-1", None, None, "group", group.id, state.account_id)]
    )


def _add(
    state: EC2State, group: SecurityGroup, rules: list[Grant], grants: Iterable[Grant]
) -> None:
    for grant in grants:
        rules.append(grant)
        group.rule_ids[grant] = state.new_id("sgr")


def _protocol(value: str | None) -> str:
    if value is None:
        raise FakeError("MissingParameter", "The request must contain the parameter ipProtocol")
    protocol = _PROTOCOLS.get(value.lower())
    if protocol is None:
        if value.isdigit() and 0 <= int(value) <= 255:
            return value
        raise FakeError(
            "InvalidParameterValue", f"Invalid value '{value}' for IP protocol. Unknown protocol."
        )
    return protocol


def _ports(protocol: str, low: int | None, high: int | None) -> tuple[int | None, int | None]:
    if protocol in ("tcp", "udp"):
        if low is None or high is None:
            raise FakeError(
                "InvalidParameterValue",
                "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange",
            )
        if not 0 <= low <= high <= 65535:
            raise FakeError("InvalidParameterValue", f"Invalid TCP/UDP port range {low}-{high}")
        return low, high
    if protocol in ("icmp", "icmpv6"):
        # For ICMP the "ports" are the type and code; -1 means any.
        low = -1 if low is None else low
        high = -1 if high is None else high
        if not (-1 <= low <= 255 and -1 <= high <= 255):
            raise FakeError("InvalidParameterValue", f"Invalid ICMP type/code {low}/{high}")
        return low, high
    return None, None  # all traffic, or another protocol: ports do not apply


def _cidr(value: str, version: int) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise FakeError("InvalidParameterValue", f"CIDR block {value} is malformed") from None
    if network.version != version or "/" not in value:
        raise FakeError("InvalidParameterValue", f"CIDR block {value} is malformed")
    return str(network)


def _peer_group(state: EC2State, pair: Params) -> tuple[str, str]:
    gid, name = pair.get("GroupId"), pair.get("GroupName")
    if not gid and not name:
        raise FakeError("MissingParameter", "The request must contain the parameter groupId")
    peer = find_group(state, group_id=gid) if gid else find_group(state, group_name=name)
    return peer.id, pair.get("UserId") or state.account_id


def _grants(state: EC2State, params: Params) -> list[Grant]:
    """Read the rules of an Authorize/Revoke call, IpPermissions.N and the legacy top level."""
    grants: list[Grant] = []
    for perm in params.structs("IpPermissions"):
        protocol = _protocol(perm.get("IpProtocol"))
        low, high = _ports(protocol, perm.integer("FromPort"), perm.integer("ToPort"))
        found: list[Grant] = []
        for item in perm.structs("IpRanges"):
            cidr = _cidr(item.require("CidrIp"), 4)
            found.append(
                Grant(protocol, low, high, "cidr", cidr, "", item.get("Description") or "")
            )
        for item in perm.structs("Ipv6Ranges"):
            cidr = _cidr(item.require("CidrIpv6"), 6)
            found.append(
                Grant(protocol, low, high, "cidr6", cidr, "", item.get("Description") or "")
            )
        for item in perm.structs("Groups"):
            peer, user = _peer_group(state, item)
            found.append(
                Grant(protocol, low, high, "group", peer, user, item.get("Description") or "")
            )
        if not found:
            raise FakeError(
                "InvalidParameterValue", "Each IP permission needs an IP range or a security group"
            )
        grants += found
    grants += _legacy_grants(state, params)
    if not grants:
        raise FakeError("MissingParameter", "The request must contain the parameter ipPermissions")
    return grants


def _legacy_grants(state: EC2State, params: Params) -> list[Grant]:
    """Read the older top-level form: IpProtocol/FromPort/ToPort with CidrIp or a source group."""
    cidr = params.get("CidrIp")
    source = params.get("SourceSecurityGroupName")
    if cidr is None and source is None:
        return []
    # A source group without a protocol is granted all traffic, as EC2 does in a VPC.
    protocol = _protocol(params.get("IpProtocol") or ("-1" if source is not None else None))
    low, high = _ports(protocol, params.integer("FromPort"), params.integer("ToPort"))
    grants = []
    if cidr is not None:
        grants.append(Grant(protocol, low, high, "cidr", _cidr(cidr, 4)))
    if source is not None:
        group = find_group(state, group_name=source)
        owner = params.get("SourceSecurityGroupOwnerId") or state.account_id
        grants.append(Grant(protocol, low, high, "group", group.id, owner))
    return grants


def _describe_rule(grant: Grant) -> str:
    # As EC2 words InvalidPermission.Duplicate: peer, protocol, ports, ALLOW.
    protocol = "ALL" if grant.protocol == "-1" else grant.protocol.upper()
    ports = (
        f", from port: {grant.from_port}, to port: {grant.to_port}"
        if grant.from_port is not None
        else ""
    )
    return f'the specified rule "peer: {grant.peer}, {protocol}{ports}, ALLOW" already exists'


def _target(state: EC2State, params: Params) -> SecurityGroup:
    gid, name = params.get("GroupId"), params.get("GroupName")
    if not gid and not name:
        raise FakeError(
            "MissingParameter", "The request must contain the parameter groupName or groupId"
        )
    return find_group(state, group_id=gid) if gid else find_group(state, group_name=name)


def _rule(group: SecurityGroup, grant: Grant, *, revoked: bool = False) -> dict[str, Any]:
    peer_key = {"cidr": "cidrIpv4", "cidr6": "cidrIpv6"}.get(grant.kind)
    body: dict[str, Any] = {
        "securityGroupRuleId": group.rule_ids[grant],
        "groupId": group.id,
        "isEgress": False,
        "ipProtocol": grant.protocol,
        "fromPort": -1 if grant.from_port is None else grant.from_port,
        "toPort": -1 if grant.to_port is None else grant.to_port,
    }
    if peer_key is not None:
        body[peer_key] = grant.peer
    elif revoked:
        body["referencedGroupId"] = grant.peer
    else:
        body["referencedGroupInfo"] = {"groupId": grant.peer, "userId": grant.user_id}
    body["description"] = grant.description or None
    if not revoked:
        body["groupOwnerId"] = group.owner_id
    return body


def _authorize(state: EC2State, params: Params) -> dict[str, Any]:
    group = _target(state, params)
    grants = _grants(state, params)
    seen = set(group.ingress)
    for grant in grants:
        if grant in seen:
            raise FakeError("InvalidPermission.Duplicate", _describe_rule(grant))
        seen.add(grant)
    if len(seen) > _MAX_RULES:
        raise FakeError(
            "RulesPerSecurityGroupLimitExceeded",
            "The maximum number of rules per security group has been reached.",
        )
    state.check_dry_run(params)
    _add(state, group, group.ingress, grants)
    return {"return": True, "securityGroupRuleSet": [_rule(group, g) for g in grants]}


def _revoke(state: EC2State, params: Params) -> dict[str, Any]:
    group = _target(state, params)
    grants = _grants(state, params)
    known = [g for g in grants if g in group.ingress]
    unknown = [g for g in grants if g not in group.ingress]
    if not known:
        raise FakeError(
            "InvalidPermission.NotFound",
            "The specified rule does not exist in this security group.",
        )
    state.check_dry_run(params)
    revoked = []
    for grant in known:
        kept = group.ingress[group.ingress.index(grant)]
        revoked.append(_rule(group, kept, revoked=True))
        group.ingress.remove(grant)
        del group.rule_ids[kept]
    return {
        "return": True,
        "unknownIpPermissionSet": _merge(state, unknown) if unknown else None,
        "revokedSecurityGroupRuleSet": revoked,
    }


def _merge(state: EC2State, grants: Iterable[Grant]) -> list[dict[str, Any]]:
    """Group atomic grants into EC2's IpPermissions: one per protocol and port range."""
    merged: dict[tuple[str, int | None, int | None], dict[str, Any]] = {}
    for grant in grants:
        key = (grant.protocol, grant.from_port, grant.to_port)
        if key not in merged:
            merged[key] = {
                "ipProtocol": grant.protocol,
                "fromPort": grant.from_port,
                "toPort": grant.to_port,
                "groups": [],
                "ipRanges": [],
                "ipv6Ranges": [],
                "prefixListIds": [],
            }
        perm = merged[key]
        description = grant.description or None
        if grant.kind == "cidr":
            perm["ipRanges"].append({"cidrIp": grant.peer, "description": description})
        elif grant.kind == "cidr6":
            perm["ipv6Ranges"].append({"cidrIpv6": grant.peer, "description": description})
        else:
            # VPC groups are referenced by id: EC2 (and moto) describe the pair without a name.
            perm["groups"].append(
                {"userId": grant.user_id, "groupId": grant.peer, "description": description}
            )
    return list(merged.values())


def _render(state: EC2State, group: SecurityGroup) -> dict[str, Any]:
    return {
        "ownerId": group.owner_id,
        "groupId": group.id,
        "groupName": group.name,
        "groupDescription": group.description,
        "vpcId": group.vpc_id,
        "securityGroupArn": _arn(state, group.id),
        "ipPermissions": _merge(state, group.ingress),
        "ipPermissionsEgress": _merge(state, group.egress),
        "tagSet": tag_set(group.tags),
    }


def _rule_values(rules: list[Grant], pick: Callable[[Grant], object]) -> list[str]:
    return [str(value) for value in map(pick, rules) if value is not None]


_FIELDS: dict[str, Callable[[SecurityGroup], Iterable[str]]] = {
    "group-id": lambda g: [g.id],
    "group-name": lambda g: [g.name],
    "description": lambda g: [g.description],
    "vpc-id": lambda g: [g.vpc_id],
    "owner-id": lambda g: [g.owner_id],
    "ip-permission.protocol": lambda g: _rule_values(g.ingress, lambda r: r.protocol),
    "ip-permission.from-port": lambda g: _rule_values(g.ingress, lambda r: r.from_port),
    "ip-permission.to-port": lambda g: _rule_values(g.ingress, lambda r: r.to_port),
    "ip-permission.cidr": lambda g: [r.peer for r in g.ingress if r.kind == "cidr"],
    "ip-permission.ipv6-cidr": lambda g: [r.peer for r in g.ingress if r.kind == "cidr6"],
    "ip-permission.group-id": lambda g: [r.peer for r in g.ingress if r.kind == "group"],
    "egress.ip-permission.cidr": lambda g: [r.peer for r in g.egress if r.kind == "cidr"],
    "egress.ip-permission.protocol": lambda g: _rule_values(g.egress, lambda r: r.protocol),
}


def _describe(state: EC2State, params: Params) -> dict[str, Any]:
    ids = params.strings("GroupId")
    names = params.strings("GroupName")
    filters = params.filters()
    check_filters(filters, _FIELDS)
    if names and params.get("MaxResults") is not None:
        raise FakeError(
            "InvalidParameterCombination",
            "The parameter groupName cannot be used with the parameter maxResults",
        )
    if ids or names:
        chosen = [find_group(state, group_id=gid) for gid in ids]
        chosen += [find_group(state, group_name=name) for name in names]
        groups = sorted({g.id: g for g in chosen}.values(), key=lambda g: g.seq)
    else:
        groups = [g for g in state.groups.values() if state.visible(g.created_at)]
    matching = [g for g in groups if match_filters(filters, g, _FIELDS, g.tags)]
    page, token = paginate(
        matching, params, key=lambda g: g.seq, exclusive="GroupId", exclusive_wire="groupIds"
    )
    state.check_dry_run(params)
    return {"securityGroupInfo": [_render(state, g) for g in page], "nextToken": token}


def _create(state: EC2State, params: Params) -> dict[str, Any]:
    name = params.require("GroupName")
    description = params.require("GroupDescription")
    vpc_id = params.get("VpcId")
    if vpc_id is not None and check_id("vpc", vpc_id) != state.vpc_id:
        raise FakeError("InvalidVpcID.NotFound", f"The vpc ID '{vpc_id}' does not exist")
    if name.lower().startswith("sg-"):
        raise FakeError("InvalidParameterValue", "Group names may not be in the format sg-*")
    if len(name) > 255 or len(description) > 255:
        raise FakeError(
            "InvalidParameterValue", "Group name and description are limited to 255 characters"
        )
    # Uniqueness is checked against every group, visible or not: EC2's writes are consistent.
    if any(g.name == name and g.vpc_id == state.vpc_id for g in state.groups.values()):
        raise FakeError(
            "InvalidGroup.Duplicate",
            f"The security group '{name}' already exists for VPC '{state.vpc_id}'",
        )
    tags = tags_from_specs(params, "security-group")
    state.check_dry_run(params)
    group = _new_group(state, name, description, state.now())
    group.tags.update(tags)
    return {
        "return": True,
        "groupId": group.id,
        "securityGroupArn": _arn(state, group.id),
        "tagSet": tag_set(tags) if tags else None,
    }


def _delete(state: EC2State, params: Params) -> dict[str, Any]:
    group = _target(state, params)
    if group.name == "default":
        raise FakeError(
            "CannotDelete",
            f'the specified group: "{group.id}" name: "default" cannot be deleted by a user',
        )
    for other in state.groups.values():
        if other is not group and any(
            r.kind == "group" and r.peer == group.id for r in other.ingress + other.egress
        ):
            raise FakeError("DependencyViolation", f"resource {group.id} has a dependent object")
    for instance in state.instances.values():
        if instance.state != "terminated" and group.id in instance.group_ids:
            raise FakeError("DependencyViolation", f"resource {group.id} has a dependent object")
    state.check_dry_run(params)
    del state.groups[group.id]
    return {"return": True, "groupId": group.id}


HANDLERS: dict[str, Handler] = {
    "DescribeSecurityGroups": _describe,
    "CreateSecurityGroup": _create,
    "DeleteSecurityGroup": _delete,
    "AuthorizeSecurityGroupIngress": _authorize,
    "RevokeSecurityGroupIngress": _revoke,
}
