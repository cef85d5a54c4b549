"""
The records FakeEC2's state machine keeps, and the error it raises.

Records are mutable on purpose: they are the fake's private state, changed in place by the
handlers; what leaves the fake is rendered XML, never these objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "STATE_CODES",
    "FakeError",
    "Grant",
    "Image",
    "Instance",
    "KeyPair",
    "Reservation",
    "SecurityGroup",
    "status_for",
]

# InstanceState codes; the high byte is internal to EC2 and always 0 here.
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceState.html
STATE_CODES = {
    "pending": 0,
    "running": 16,
    "shutting-down": 32,
    "terminated": 48,
    "stopping": 64,
    "stopped": 80,
}

# EC2's HTTP status per error code. Authentication failures are 401 (AuthFailure) and 403
# (signature and permission errors), as EC2 answers them; every other client error is 400.
_STATUS = {
    "AuthFailure": 401,
    "SignatureDoesNotMatch": 403,
    "UnauthorizedOperation": 403,
    "DryRunOperation": 412,
    "RequestLimitExceeded": 503,
    "Unavailable": 503,
    "InternalError": 500,
}


def status_for(code: str) -> int:
    """Return the HTTP status EC2 answers error ``code`` with."""
    return _STATUS.get(code, 400)


class FakeError(Exception):
    """
    An EC2 error answer: the code, message and HTTP status of the error envelope.

    .. versionadded:: 0.1
    """

    def __init__(self, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.status = status_for(code) if status is None else status

    def __str__(self) -> str:
        return f"{self.code} ({self.status}): {self.message}"


@attrs.define(kw_only=True)
class Instance:
    """One instance; ``state`` is settled lazily from ``state_since`` by the state machine."""

    id: str
    seq: int
    image_id: str
    reservation_id: str
    instance_type: str
    key_name: str | None
    subnet_id: str
    vpc_id: str
    zone: str
    private_ip: str
    group_ids: list[str]
    launch_index: int
    client_token: str | None
    user_data: str | None
    created_at: float
    launch_time: datetime
    state: str = "pending"
    state_since: float = 0.0
    public_ip: str | None = None
    ever_running: bool = False
    reason: str = ""
    state_reason: tuple[str, str] | None = None
    tags: dict[str, str] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class Reservation:
    """A RunInstances call's reservation and the ids of its instances, in launch order."""

    id: str
    owner_id: str
    instance_ids: list[str]


@attrs.define(kw_only=True)
class Image:
    """
    An AMI. ``public`` is how it was registered; ``launch_users``/``launch_groups`` are the
    explicit launch permissions that Modify/ResetImageAttribute change.
    """

    id: str
    seq: int
    name: str
    location: str
    owner_id: str
    owner_alias: str | None
    description: str
    architecture: str = "x86_64"
    platform: str | None = None
    root_device_type: str = "ebs"
    virtualization_type: str = "hvm"
    creation_date: str = "2006-08-01T00:00:00.000Z"
    kernel_id: str | None = None
    root_device_name: str | None = None  # None: the usual one for the root device type
    public: bool = False
    launch_users: list[str] = attrs.field(factory=list)
    launch_groups: list[str] = attrs.field(factory=list)
    tags: dict[str, str] = attrs.field(factory=dict)

    @property
    def is_public(self) -> bool:
        """Registered public, or shared with the group ``all``."""
        return self.public or "all" in self.launch_groups


@attrs.frozen
class Grant:
    """One atomic ingress or egress permission: a protocol, a port range and one peer."""

    protocol: str  # "tcp", "udp", "icmp", "icmpv6", "-1" or a protocol number
    from_port: int | None
    to_port: int | None
    kind: str  # "cidr", "cidr6" or "group"
    peer: str  # the CIDR block, or the peer group's id
    user_id: str = ""
    description: str = attrs.field(default="", eq=False)


@attrs.define(kw_only=True)
class SecurityGroup:
    """A VPC security group and its rules, kept as atomic grants in the order added."""

    id: str
    seq: int
    name: str
    description: str
    vpc_id: str
    owner_id: str
    created_at: float
    ingress: list[Grant] = attrs.field(factory=list)
    egress: list[Grant] = attrs.field(factory=list)
    rule_ids: dict[Grant, str] = attrs.field(factory=dict)  # sgr- ids, ingress and egress
    tags: dict[str, str] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class KeyPair:
    """A key pair as EC2 keeps it: never the private key, which only CreateKeyPair returns."""

    id: str
    name: str
    fingerprint: str
    key_type: str
    public_key: str
    created_at: float
    create_time: datetime
    tags: dict[str, str] = attrs.field(factory=dict)
