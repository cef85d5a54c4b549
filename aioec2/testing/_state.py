"""
FakeEC2's state machine: every resource, the clock it reads, and the action dispatch.

It is pure: no sockets, no sleeping, no wall-clock reads after construction. Time comes
from an injected :class:`~aioec2.testing.Clock`, randomness from ``random.Random(seed)``,
and each call takes a dict of wire parameters and returns a dict for ``_render`` (or raises
:class:`~aioec2.testing._model.FakeError`). States are settled lazily, from timestamps, at
the start of every call, so nothing runs in the background.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

import attrs

from aioec2.testing import (
    _groups,
    _images,
    _instance_attributes,
    _instances,
    _keys,
    _regions,
    _register,
    _tags,
)
from aioec2.testing._clock import Clock, MonotonicClock
from aioec2.testing._model import FakeError, Image, Instance, KeyPair, Reservation, SecurityGroup
from aioec2.testing._params import Params

__all__ = ["EC2State", "Handler", "Timings"]

Handler: TypeAlias = "Callable[[EC2State, Params], dict[str, Any]]"


def _non_negative(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{attribute.name} must be a number of seconds >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class Timings:
    """
    How long EC2's transitions take in the fake, in seconds of its clock.

    Args:
        boot_time: pending -> running.
        stop_time: stopping -> stopped.
        terminate_time: shutting-down -> terminated.
        terminated_ttl: how long a terminated instance stays visible (EC2: about an hour).
        consistency_lag: how long a new instance, group or key pair stays invisible to
            Describe*, TerminateInstances, CreateTags and the like (EC2's eventual consistency).

    .. versionadded:: 0.1
    """

    boot_time: float = attrs.field(default=0.5, validator=_non_negative)
    stop_time: float = attrs.field(default=0.5, validator=_non_negative)
    terminate_time: float = attrs.field(default=0.5, validator=_non_negative)
    terminated_ttl: float = attrs.field(default=3600.0, validator=_non_negative)
    consistency_lag: float = attrs.field(default=0.0, validator=_non_negative)


class EC2State:
    """
    One account's EC2 resources in one region, and the handlers that change them.

    Args:
        clock: where time comes from; a :class:`~aioec2.testing.VirtualClock` in tests.
        timings: transition times and the consistency lag.
        capacity: how many instances may hold hardware at once (pending, running, stopping,
            shutting-down); None for no limit.
        region: the region served.
        account_id: the caller's account (owner of what it creates).
        seed: seeds the generator of ids and key material, so a run replays.
        started_at: the wall-clock time that the clock's start stands for.
        rsa_key_bits: the size of the RSA keys CreateKeyPair generates.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        timings: Timings | None = None,
        capacity: int | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        seed: int | None = None,
        started_at: datetime | None = None,
        rsa_key_bits: int = 2048,
    ) -> None:
        if capacity is not None and (isinstance(capacity, bool) or capacity < 0):
            raise ValueError(f"capacity must be None or an integer >= 0, got {capacity!r}")
        if isinstance(rsa_key_bits, bool) or rsa_key_bits < 1024:
            raise ValueError(f"rsa_key_bits must be at least 1024, got {rsa_key_bits!r}")
        if region not in _regions.REGIONS:
            raise ValueError(f"unknown region {region!r}; known: {sorted(_regions.REGIONS)}")
        self.clock: Clock = clock or MonotonicClock()
        self.timings = timings or Timings()
        self.capacity = capacity
        self.region = region
        self.account_id = account_id
        self.rsa_key_bits = rsa_key_bits
        self.rng = random.Random(seed)  # noqa: S311 - seeded on purpose: a run replays
        self._t0 = self.clock.now()
        self.started_at = started_at or datetime.now(UTC)
        self._seq = 0
        self.instances: dict[str, Instance] = {}
        # No timed transition is due before this clock time, for these timings: settle()
        # skips its walk over every instance until then. Whatever changes an instance's
        # state or adds one resets it (see _instances.touch).
        self.settled_until = -math.inf
        self.settled_with: Timings | None = None
        self.reservations: dict[str, Reservation] = {}
        self.images: dict[str, Image] = {}
        self.groups: dict[str, SecurityGroup] = {}
        self.key_pairs: dict[str, KeyPair] = {}
        # ClientToken -> (the parameters it was first used with, the answer then given).
        self.client_tokens: dict[str, tuple[tuple[tuple[str, str], ...], dict[str, Any]]] = {}
        self.vpc_id = self.new_id("vpc")
        self.vpc_cidr = "172.31.0.0/16"
        # The default VPC's default subnets: one /20 per zone, as EC2 creates them.
        self.subnets = {zone: self.new_id("subnet") for zone in _regions.zones_for(region)}
        self.next_host = dict.fromkeys(self.subnets, 4)  # EC2 reserves .0 to .3
        _images.seed_images(self)
        _groups.create_default_group(self)

    def __repr__(self) -> str:
        return (
            f"<EC2State region={self.region!r} instances={len(self.instances)}"
            f" groups={len(self.groups)} key_pairs={len(self.key_pairs)}>"
        )

    # -- time, ids, visibility ---------------------------------------------------------

    def now(self) -> float:
        """Return the clock's time."""
        return self.clock.now()

    def wall(self, moment: float | None = None) -> datetime:
        """Return the aware UTC datetime that clock time ``moment`` (default: now) stands for."""
        moment = self.now() if moment is None else moment
        return self.started_at + timedelta(seconds=moment - self._t0)

    def next_seq(self) -> int:
        """Return a new, increasing sequence number (the stable order of paged results)."""
        self._seq += 1
        return self._seq

    def new_id(self, prefix: str, digits: int = 17) -> str:
        """Return a fresh ``prefix-<hex>`` id, ``digits`` hex digits long, as EC2 mints them."""
        taken = (self.instances, self.reservations, self.images, self.groups)
        while True:
            candidate = f"{prefix}-{self.rng.getrandbits(digits * 4):0{digits}x}"
            if not any(candidate in table for table in taken):
                return candidate

    def request_id(self) -> str:
        """Return a request id: a version 4 UUID from the seeded generator."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def visible(self, created_at: float) -> bool:
        """Return True once a resource created at ``created_at`` has reached every reader."""
        return self.now() >= created_at + self.timings.consistency_lag

    def check_dry_run(self, params: Params) -> None:
        """
        Answer ``DryRunOperation`` when the request asked for a dry run.

        Handlers call it after every check a real call would make, just before they change
        anything: EC2 answers DryRunOperation only when the call would have succeeded.
        """
        if params.boolean("DryRun"):
            raise FakeError(
                "DryRunOperation", "Request would have succeeded, but DryRun flag is set."
            )

    # -- dispatch ----------------------------------------------------------------------

    def call(self, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        """
        Run one EC2 action.

        Args:
            action: the EC2 action, e.g. ``"RunInstances"``.
            params: the wire parameters (``InstanceId.1`` and so on), auth fields removed.

        Returns:
            The elements of the answer, for :func:`~aioec2.testing._render.render_response`.

        Raises:
            FakeError: EC2's error for the call (``InvalidAction`` for an unknown action).
        """
        handler = HANDLERS.get(action)
        if handler is None:
            raise FakeError(
                "InvalidAction", f"The action {action} is not valid for this web service."
            )
        _instances.settle(self)
        return handler(self, Params(params))


HANDLERS: dict[str, Handler] = {
    **_images.HANDLERS,
    **_register.HANDLERS,
    **_instances.HANDLERS,
    **_instance_attributes.HANDLERS,
    **_groups.HANDLERS,
    **_keys.HANDLERS,
    **_tags.HANDLERS,
    **_regions.HANDLERS,
}
