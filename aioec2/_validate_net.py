"""
Network argument checks for security group rules: protocols, ports and CIDR blocks.

Like :mod:`aioec2._validate`, each check runs before anything is sent and raises
:class:`~aioec2.errors.ArgumentError` (a ``ValueError``) or ``TypeError`` naming the argument.
The rules are those of the EC2 API reference for ``IpPermission``
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html).
"""

from __future__ import annotations

import ipaddress

from aioec2.errors import ArgumentError

__all__ = ["cidr_ipv4", "cidr_ipv6", "port", "port_range", "protocol"]

#: Protocols EC2 accepts by name. "-1" (or our alias "all") means every protocol.
PROTOCOL_NAMES = frozenset({"tcp", "udp", "icmp", "icmpv6"})

# EC2 reports protocols 6, 17 and 1 by name, whatever the request said, so a rule sent as
# "6" comes back as "tcp"; normalizing before sending keeps locally computed rules equal to
# what DescribeSecurityGroups returns. (58 is kept as a number: EC2 echoes "58".)
_NUMBER_NAMES = {1: "icmp", 6: "tcp", 17: "udp"}

#: Protocols whose rules carry a port range (ICMP: type and code); for every other
#: protocol EC2 allows all ports "regardless of any ports you specify".
PORTED = frozenset({"tcp", "udp", "icmp", "icmpv6", "58"})


def protocol(name: str, value: object) -> str:
    """
    Return EC2's spelling of an IP protocol.

    Accepts ``tcp``, ``udp``, ``icmp``, ``icmpv6`` (any case), ``all`` or ``-1`` (every
    protocol, sent as ``-1``), or a protocol number 0..255 as an int or a decimal string.
    Numbers 1, 6 and 17 become ``icmp``, ``tcp`` and ``udp``, as EC2 reports them.

    Raises:
        TypeError: ``value`` is neither a string nor an int.
        ArgumentError: ``value`` names no protocol.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"{name} must be a protocol name or number, got {type(value).__name__}")
    text = str(value).strip().lower()
    if text in PROTOCOL_NAMES:
        return text
    if text in {"all", "-1"}:
        return "-1"
    if text.isdigit() and 0 <= int(text) <= 255:
        number = int(text)
        return _NUMBER_NAMES.get(number, str(number))
    raise ArgumentError(
        f"{name} must be tcp, udp, icmp, icmpv6, all, -1 or a protocol number 0..255, got {value!r}"
    )


def port(name: str, value: object) -> int | None:
    """
    Return ``value`` if it is None or an int in -1..65535 (-1: every ICMP type or code).

    Raises:
        TypeError: ``value`` is not an int (a string like ``"80"`` is refused, not guessed).
        ArgumentError: ``value`` is out of range.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if not -1 <= value <= 65535:
        raise ArgumentError(f"{name} must be in -1..65535, got {value}")
    return value


def port_range(
    ip_protocol: str, from_port: object, to_port: object, *, where: str = ""
) -> tuple[int | None, int | None]:
    """
    Check the port range of a rule for an already normalized ``ip_protocol``.

    tcp, udp and icmp need both ports (for icmp they are the ICMP type and code); tcp and
    udp need ``from_port <= to_port``. icmpv6 takes both or neither. For ``-1`` and other
    protocols EC2 ignores ports, so they are dropped (EC2 then describes the rule without
    ports, and so does the locally computed rule).

    Args:
        ip_protocol: the protocol, as :func:`protocol` returned it.
        from_port: the first port (or ICMP type).
        to_port: the last port (or ICMP code).
        where: prefix for the argument names in messages (``"ip_permissions[0]."``).

    Returns:
        ``(from_port, to_port)`` as EC2 will describe them.
    """
    first, last = port(f"{where}from_port", from_port), port(f"{where}to_port", to_port)
    if ip_protocol not in PORTED:
        return None, None
    if ip_protocol in {"icmpv6", "58"} and first is None and last is None:
        return None, None
    for arg, val in (("from_port", first), ("to_port", last)):
        if val is None:
            raise ArgumentError(f"{where}{arg} is required for protocol {ip_protocol!r}")
    assert first is not None
    assert last is not None
    if ip_protocol in {"tcp", "udp"} and first > last:
        raise ArgumentError(
            f"{where}from_port must not exceed {where}to_port for {ip_protocol}, "
            f"got {first} > {last}"
        )
    return first, last


def cidr_ipv4(name: str, value: object) -> str:
    """
    Return an IPv4 CIDR block in canonical form; host bits must be zero (``10.0.0.0/8``).

    Raises:
        TypeError: ``value`` is not a string.
        ArgumentError: not an IPv4 network in CIDR notation.
    """
    return _cidr(name, value, 4)


def cidr_ipv6(name: str, value: object) -> str:
    """
    Return an IPv6 CIDR block in canonical (lower-case, compressed) form, e.g. ``2001:db8::/32``.

    Raises:
        TypeError: ``value`` is not a string.
        ArgumentError: not an IPv6 network in CIDR notation.
    """
    return _cidr(name, value, 6)


def _cidr(name: str, value: object, version: int) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    # EC2 wants an explicit prefix length; "10.0.0.1" is not read as a /32.
    if "/" not in value:
        raise ArgumentError(f"{name} must be in CIDR notation (address/prefix), got {value!r}")
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ArgumentError(f"{name} is not a valid CIDR block: {exc}") from None
    if network.version != version:
        raise ArgumentError(f"{name} must be an IPv{version} CIDR block, got {value!r}")
    return str(network)
