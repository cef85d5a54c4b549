"""SecurityGroup and IpPermission: immutability, reprs, completeness, rule maths, fidelity."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import aioec2
from aioec2._operations import shape
from aioec2.errors import ArgumentError, SessionClosedError
from aioec2.models._base import Model, Tags
from aioec2.models.security_group import (
    DEFAULT_EGRESS,
    IpPermission,
    IpRange,
    Ipv6Range,
    PrefixListId,
    SecurityGroup,
    UserIdGroupPair,
    merge_permissions,
    remove_permissions,
)
from aioec2.testing import set_testing
from tests.conftest import Endpoint
from tests.fixtures_ec2 import CREDS, SECURITY_GROUPS_XML, session_at, session_on, unique
from tests.oracle import botocore_parse, our_parse, raw_answer, wires, without_empty_lists
from tests.servers.scripted import Reply, ScriptedServer


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """Retries happen at once in these tests."""
    with set_testing(True):
        yield


def _group() -> SecurityGroup:
    """The security group of the API reference's DescribeSecurityGroups example."""
    return SecurityGroup.from_parsed(
        our_parse("DescribeSecurityGroups", SECURITY_GROUPS_XML)["SecurityGroups"][0]
    )


# -- the model ------------------------------------------------------------------------------


def test_parsed_group_reads_as_snake_case_fields() -> None:
    """The API reference's example group maps onto the documented field names."""
    sg = _group()
    assert ("sg-1a2b3c4d", "WebServers", "Web Servers") == (sg.id, sg.name, sg.description)
    assert ("123456789012", "vpc-614cc409") == (sg.owner_id, sg.vpc_id)
    assert Tags({"Name": "web"}) == sg.tags
    assert (UserIdGroupPair(user_id="123456789012", group_id="sg-af8661c0"),) == (
        sg.rules[0].user_id_group_pairs
    )
    assert (Ipv6Range(cidr_ipv6="2001:db8::/32", description="office"),) == sg.rules[1].ipv6_ranges
    assert (PrefixListId(prefix_list_id="pl-12345678"),) == sg.rules[1].prefix_list_ids
    assert (DEFAULT_EGRESS,) == sg.egress_rules


def test_models_are_frozen() -> None:
    """Neither a group nor a rule can be changed in place; evolve makes a new one."""
    sg = _group()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        sg.name = "other"  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        sg.rules[0].ip_protocol = "tcp"  # type: ignore[misc]
    assert "other" == attrs.evolve(sg, name="other").name


def test_equality_and_hash_ignore_the_session() -> None:
    """A group bound to a Session equals and hashes like the same data unbound."""
    session = session_at("http://127.0.0.1:1/")
    bound, unbound = _group().with_session(session), _group()
    assert unbound == bound
    assert hash(unbound) == hash(bound)
    assert session is bound.session


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (IpPermission.build("tcp", 80, 80, cidr_ip="0.0.0.0/0"), "IPPermissions:tcp(80-80)"),
        (IpPermission.build("icmp", -1, -1, cidr_ip="0.0.0.0/0"), "IPPermissions:icmp(-1--1)"),
        (IpPermission.build("udp", 53, 54, cidr_ip="0.0.0.0/0"), "IPPermissions:udp(53-54)"),
        (IpPermission.build("all", src_group="sg-1"), "IPPermissions:-1(all)"),
        (IpPermission.build(50, cidr_ip="10.0.0.0/8"), "IPPermissions:50(all)"),
    ],
)
def test_rule_repr(rule: IpPermission, expected: str) -> None:
    """Rules show boto's IPPermissions:proto(from-to); a rule without ports shows (all)."""
    assert expected == repr(rule)


def test_group_repr() -> None:
    """A group shows as SecurityGroup:<name>, as in the tutorial."""
    assert "SecurityGroup:apache" == repr(SecurityGroup(id="sg-1", name="apache"))
    assert "(IPPermissions:tcp(80-80), IPPermissions:tcp(22-22))" == repr(
        (
            IpPermission.build("tcp", 80, 80, cidr_ip="0.0.0.0/0"),
            IpPermission.build("tcp", 22, 22, cidr_ip="192.168.1.130/32"),
        )
    )


@pytest.mark.parametrize(
    ("cls", "shape_name"),
    [
        (SecurityGroup, "SecurityGroup"),
        (IpPermission, "IpPermission"),
        (IpRange, "IpRange"),
        (Ipv6Range, "Ipv6Range"),
        (PrefixListId, "PrefixListId"),
        (UserIdGroupPair, "UserIdGroupPair"),
    ],
)
def test_every_member_of_the_shape_has_a_field(cls: type[Model], shape_name: str) -> None:
    """Each model holds exactly the members of its EC2 shape: nothing left out, no exclusions."""
    assert {m.name for m in shape(shape_name).members} == wires(cls)


def test_to_dict_matches_botocore_on_the_reference_example() -> None:
    """Offline fidelity: the reference example's groups, via the model, equal botocore's parse."""
    expected = botocore_parse("DescribeSecurityGroups", SECURITY_GROUPS_XML)["SecurityGroups"]
    groups = our_parse("DescribeSecurityGroups", SECURITY_GROUPS_XML)["SecurityGroups"]
    actual = [SecurityGroup.from_parsed(g).to_dict() for g in groups]
    assert without_empty_lists(expected) == without_empty_lists(actual)


# -- IpPermission.build ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "fields"),
    [
        (("all",), {"src_group": "sg-1"}, {"ip_protocol": "-1", "from_port": None}),
        (("-1", 0, 65535), {"cidr_ip": "10.0.0.0/8"}, {"ip_protocol": "-1", "to_port": None}),
        ((6, 80, 80), {"cidr_ip": "10.0.0.0/8"}, {"ip_protocol": "tcp", "from_port": 80}),
        (("17", 53, 53), {"cidr_ip": "10.0.0.0/8"}, {"ip_protocol": "udp"}),
        (("TCP", 1, 2), {"cidr_ip": "10.0.0.0/8"}, {"ip_protocol": "tcp", "to_port": 2}),
        (("icmpv6",), {"cidr_ipv6": "::/0"}, {"ip_protocol": "icmpv6", "from_port": None}),
        (("58", -1, -1), {"cidr_ipv6": "::/0"}, {"ip_protocol": "58", "from_port": -1}),
        (("icmp", 8, 0), {"cidr_ip": "10.0.0.0/8"}, {"from_port": 8, "to_port": 0}),
        (
            ("tcp", 1, 1),
            {"cidr_ipv6": "2001:DB8:0::/32"},
            {"ipv6_ranges": (Ipv6Range(cidr_ipv6="2001:db8::/32"),)},
        ),
        ((None,), {"src_group": "sg-1"}, {"ip_protocol": "-1"}),
    ],
)
def test_build_normalizes_as_ec2_describes(
    args: tuple[Any, ...], kwargs: dict[str, Any], fields: dict[str, Any]
) -> None:
    """build() spells protocols, ports and CIDR blocks the way DescribeSecurityGroups does."""
    rule = IpPermission.build(*args, **kwargs)
    assert fields == {name: getattr(rule, name) for name in fields}


def test_build_takes_every_kind_of_source_with_a_description() -> None:
    """One rule can hold an IPv4 and an IPv6 range, a group and a prefix list, all described."""
    group = SecurityGroup(id="sg-2", name="app", owner_id="111122223333")
    rule = IpPermission.build(
        "tcp",
        443,
        443,
        cidr_ip="10.0.0.0/8",
        cidr_ipv6="2001:db8::/32",
        src_group=group,
        prefix_list_id="pl-1",
        description="https",
    )
    assert (IpRange(cidr_ip="10.0.0.0/8", description="https"),) == rule.ip_ranges
    assert (Ipv6Range(cidr_ipv6="2001:db8::/32", description="https"),) == rule.ipv6_ranges
    assert (
        UserIdGroupPair(group_id="sg-2", user_id="111122223333", description="https"),
    ) == rule.user_id_group_pairs
    assert (PrefixListId(prefix_list_id="pl-1", description="https"),) == rule.prefix_list_ids


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "names"),
    [
        (("tcp", 80, 65536), {"cidr_ip": "0.0.0.0/0"}, ArgumentError, "to_port"),
        (("tcp", -2, 80), {"cidr_ip": "0.0.0.0/0"}, ArgumentError, "from_port"),
        (("tcp", 81, 80), {"cidr_ip": "0.0.0.0/0"}, ArgumentError, "from_port"),
        (("udp", 81, 80), {"cidr_ip": "0.0.0.0/0"}, ArgumentError, "from_port"),
        (("tcp", None, 80), {"cidr_ip": "0.0.0.0/0"}, ArgumentError, "from_port"),
        (("icmp", -1), {"cidr_ip": "0.0.0.0/0"}, ArgumentError, "to_port"),
        (("tcp", "80", 80), {"cidr_ip": "0.0.0.0/0"}, TypeError, "from_port"),
        (("tcp", 80, True), {"cidr_ip": "0.0.0.0/0"}, TypeError, "to_port"),
        (("tcp", 80, 80), {"cidr_ip": "10.0.0.0/33"}, ArgumentError, "cidr_ip"),
        (("tcp", 80, 80), {"cidr_ip": "10.0.0.1/8"}, ArgumentError, "cidr_ip"),
        (("tcp", 80, 80), {"cidr_ip": "banana"}, ArgumentError, "cidr_ip"),
        (("tcp", 80, 80), {"cidr_ip": "10.0.0.1"}, ArgumentError, "cidr_ip"),
        (("tcp", 80, 80), {"cidr_ip": "::/0"}, ArgumentError, "cidr_ip"),
        (("tcp", 80, 80), {"cidr_ipv6": "10.0.0.0/8"}, ArgumentError, "cidr_ipv6"),
        (("tcp", 80, 80), {"cidr_ipv6": "2001:db8::1/32"}, ArgumentError, "cidr_ipv6"),
        (("tcp", 80, 80), {"cidr_ip": 10}, TypeError, "cidr_ip"),
        (("sctp", 80, 80), {"cidr_ip": "0.0.0.0/0"}, ArgumentError, "ip_protocol"),
        ((256,), {"cidr_ip": "0.0.0.0/0"}, ArgumentError, "ip_protocol"),
        (("-2",), {"cidr_ip": "0.0.0.0/0"}, ArgumentError, "ip_protocol"),
        ((6.0, 80, 80), {"cidr_ip": "0.0.0.0/0"}, TypeError, "ip_protocol"),
        (("tcp", 80, 80), {}, ArgumentError, "source"),
        (("tcp", 80, 80), {"src_group": ""}, ArgumentError, "src_group"),
        (("tcp", 80, 80), {"src_group": "apache"}, ArgumentError, "src_group"),
        (("tcp", 80, 80), {"src_group": 7}, TypeError, "src_group"),
        (("tcp", 80, 80), {"src_group": UserIdGroupPair(user_id="1")}, ArgumentError, "group_id"),
        (("tcp", 80, 80), {"prefix_list_id": "sg-1"}, ArgumentError, "prefix_list_id"),
        ((None, 80, 80), {"src_group": "sg-1"}, ArgumentError, "ip_protocol"),
        ((None,), {"cidr_ip": "0.0.0.0/0"}, ArgumentError, "ip_protocol"),
    ],
)
def test_build_refuses_bad_arguments_naming_them(
    args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception], names: str
) -> None:
    """Each malformed argument fails with an error that names it."""
    with pytest.raises(error, match=names):
        IpPermission.build(*args, **kwargs)


def test_checked_validates_hand_built_rules() -> None:
    """A rule built without build() is checked field by field, with its position named."""
    assert IpPermission.build("tcp", 1, 2, cidr_ip="10.0.0.0/8") == IpPermission(
        ip_protocol="6", from_port=1, to_port=2, ip_ranges=(IpRange(cidr_ip="10.0.0.0/8"),)
    ).checked("ip_permissions[0].")
    bad = IpPermission(ip_protocol="tcp", from_port=1, to_port=2)
    with pytest.raises(ArgumentError, match=r"ip_permissions\[3\] has no source"):
        bad.checked("ip_permissions[3].")
    bad = IpPermission(ip_protocol="tcp", from_port=1, to_port=2, ip_ranges=(IpRange(cidr_ip="x"),))
    with pytest.raises(ArgumentError, match=r"ip_permissions\[0\]\.ip_ranges\[0\]"):
        bad.checked("ip_permissions[0].")


# -- the rule maths -------------------------------------------------------------------------


HTTP_WORLD = IpPermission.build("tcp", 80, 80, cidr_ip="0.0.0.0/0")
HTTP_LAN = IpPermission.build("tcp", 80, 80, cidr_ip="10.0.0.0/8", cidr_ipv6="2001:db8::/32")
SSH = IpPermission.build("tcp", 22, 22, cidr_ip="192.168.1.130/32")


def test_merge_joins_rules_with_the_same_protocol_and_ports() -> None:
    """A rule for tcp 80 joins the existing tcp 80 rule; a new port range is appended."""
    merged = merge_permissions([HTTP_WORLD], [HTTP_LAN, SSH])
    expected = (
        IpPermission(
            ip_protocol="tcp",
            from_port=80,
            to_port=80,
            ip_ranges=(IpRange(cidr_ip="0.0.0.0/0"), IpRange(cidr_ip="10.0.0.0/8")),
            ipv6_ranges=(Ipv6Range(cidr_ipv6="2001:db8::/32"),),
        ),
        SSH,
    )
    assert expected == merged
    assert merged == merge_permissions(merged, [HTTP_WORLD])


def test_remove_drops_sources_and_empty_rules() -> None:
    """Revoking a source leaves the rest of its rule; a rule left empty disappears."""
    rules = merge_permissions([HTTP_WORLD], [HTTP_LAN, SSH])
    assert (HTTP_WORLD, SSH) == remove_permissions(rules, [HTTP_LAN])
    assert (HTTP_WORLD,) == remove_permissions((HTTP_WORLD, SSH), [SSH])
    described = IpPermission.build("tcp", 22, 22, cidr_ip="192.168.1.130/32", description="me")
    assert (HTTP_WORLD,) == remove_permissions((HTTP_WORLD, described), [SSH])
    assert (HTTP_WORLD,) == remove_permissions((HTTP_WORLD,), [SSH])


_PROTOCOLS = st.sampled_from(
    [("tcp", 80, 80), ("tcp", 22, 22), ("udp", 53, 53), ("-1", None, None)]
)
_CIDRS = st.integers(0, 255).map(lambda n: f"10.{n}.0.0/16")


@st.composite
def _rules(draw: st.DrawFn) -> IpPermission:
    """A single-CIDR rule for one of a few protocol and port ranges."""
    proto, first, last = draw(_PROTOCOLS)
    return IpPermission.build(proto, first, last, cidr_ip=draw(_CIDRS))


@given(st.lists(_rules(), max_size=6), _rules())
def test_authorizing_then_revoking_a_new_source_changes_nothing(
    existing: list[IpPermission], new: IpPermission
) -> None:
    """For a source not yet allowed, remove(merge(rules, new), new) is the rules again."""
    rules = merge_permissions((), existing)
    if any(r.key == new.key and new.ip_ranges[0] in r.ip_ranges for r in rules):
        return
    assert rules == remove_permissions(merge_permissions(rules, [new]), [new])


# -- sessions -------------------------------------------------------------------------------


async def test_a_model_outlives_its_session_but_its_network_methods_do_not() -> None:
    """After the Session closes, fields still read; authorize, revoke, delete, refresh raise."""
    async with ScriptedServer([Reply(200, SECURITY_GROUPS_XML)]) as srv:
        async with aioec2.Session(region="us-east-1", endpoint_url=srv.url, credentials=CREDS) as s:
            (sg,) = await s.describe_security_groups(group_ids=["sg-1a2b3c4d"])
        assert "WebServers" == sg.name
        with pytest.raises(SessionClosedError):
            await sg.authorize("tcp", 80, 80, "0.0.0.0/0")
        with pytest.raises(SessionClosedError):
            await sg.revoke("tcp", 22, 22, "204.246.162.38/32")
        with pytest.raises(SessionClosedError):
            await sg.delete()
        with pytest.raises(SessionClosedError):
            await sg.refresh()
        assert 1 == len(srv.seen)


async def test_an_unbound_model_says_so() -> None:
    """A group built by hand has no Session; its network methods raise SessionClosedError."""
    with pytest.raises(SessionClosedError, match="SecurityGroup"):
        await SecurityGroup(id="sg-1", name="x").delete()


# -- fidelity against moto and FakeEC2 -------------------------------------------------------


async def test_describe_security_groups_matches_botocore(ec2_endpoint: Endpoint) -> None:
    """Groups with every kind of source, via the model, equal botocore's parse of EC2's bytes."""
    async with session_on(ec2_endpoint) as s:
        web = await s.create_security_group(unique("web"), "web tier", tags={"tier": "web"})
        app = await s.create_security_group(unique("app"), "app tier")
        await app.authorize(src_group=web, description="from web")
        await web.authorize("tcp", 80, 80, "0.0.0.0/0", cidr_ipv6="::/0", description="http")
        await web.authorize("icmp", -1, -1, "10.0.0.0/8")
        raw = await raw_answer(s, "DescribeSecurityGroups", {"GroupIds": [web.id, app.id]})
    expected = botocore_parse("DescribeSecurityGroups", raw)["SecurityGroups"]
    actual = [
        SecurityGroup.from_parsed(g).to_dict()
        for g in our_parse("DescribeSecurityGroups", raw)["SecurityGroups"]
    ]
    assert without_empty_lists(expected) == without_empty_lists(actual)
    assert 2 == len(actual)
