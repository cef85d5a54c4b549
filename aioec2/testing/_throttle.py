"""
EC2's API throttling: token buckets per action, with the documented sizes and refill rates.

Source: "Request throttling for the Amazon EC2 API"
(https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html). EC2 evaluates each
action on its own bucket, sized by the action's category; RunInstances, StartInstances,
StopInstances and TerminateInstances also draw one *resource* token per instance from a
second bucket. A request that finds a bucket empty fails with ``RequestLimitExceeded`` (503)
and takes no token from any bucket.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DEFAULT_LIMITS", "Throttle", "TokenBucket", "bucket_for"]

# (bucket maximum capacity, refill rate in tokens per second), from the page cited above.
NON_MUTATING = (100.0, 20.0)  # Describe*, List*, Search*, Get* not listed elsewhere
UNFILTERED = (50.0, 10.0)  # the actions below, called with neither a filter nor paging
MUTATING = (50.0, 5.0)  # every other mutating action
RESOURCE_INTENSIVE = (50.0, 5.0)  # AuthorizeSecurityGroupIngress, CreateKeyPair, ...

_UNFILTERED_ACTIONS = frozenset(
    {
        "DescribeInstances",
        "DescribeInstanceStatus",
        "DescribeNetworkInterfaces",
        "DescribeSecurityGroups",
        "DescribeSnapshots",
        "DescribeSpotInstanceRequests",
        "DescribeVolumes",
    }
)
_RESOURCE_INTENSIVE_ACTIONS = frozenset(
    {"AuthorizeSecurityGroupIngress", "CreateKeyPair", "RevokeSecurityGroupIngress"}
)

#: Request buckets of the actions FakeEC2 serves that the page lists one by one
#: ("uncategorized actions"), and the resource buckets (keys ``"resource:<Action>"``).
DEFAULT_LIMITS: Mapping[str, tuple[float, float]] = {
    "CreateTags": (100.0, 10.0),
    "DeleteTags": (100.0, 10.0),
    "ModifyImageAttribute": (100.0, 5.0),
    "RunInstances": (5.0, 2.0),
    "StartInstances": (5.0, 2.0),
    "TerminateInstances": (100.0, 5.0),
    "resource:RunInstances": (1000.0, 2.0),
    "resource:TerminateInstances": (1000.0, 20.0),
    "resource:StartInstances": (1000.0, 2.0),
    "resource:StopInstances": (1000.0, 20.0),
}
_NON_MUTATING_PREFIXES = ("Describe", "List", "Search", "Get")


def bucket_for(action: str, params: Mapping[str, str]) -> str:
    """
    Name the request bucket a call draws from.

    Returns:
        The action itself, or ``"<Action>:unfiltered"`` for the smaller bucket of an
        unfiltered, unpaginated call to one of the actions EC2 lists for it.
    """
    if action in _UNFILTERED_ACTIONS and not any(
        name.startswith("Filter.") or name in ("MaxResults", "NextToken") for name in params
    ):
        return f"{action}:unfiltered"
    return action


def _default(bucket: str) -> tuple[float, float]:
    if bucket in DEFAULT_LIMITS:
        return DEFAULT_LIMITS[bucket]
    action = bucket.partition(":")[0]
    if bucket.endswith(":unfiltered"):
        return UNFILTERED
    if action in _RESOURCE_INTENSIVE_ACTIONS:
        return RESOURCE_INTENSIVE
    if action.startswith(_NON_MUTATING_PREFIXES):
        return NON_MUTATING
    return MUTATING


class TokenBucket:
    """
    A token bucket that starts full and refills continuously at ``rate`` tokens a second.

    Args:
        capacity: the most tokens it holds.
        rate: tokens added per second.
        now: the time it starts at (full).
    """

    __slots__ = ("_at", "_tokens", "capacity", "rate")

    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self._tokens = capacity
        self._at = now

    def __repr__(self) -> str:
        return f"TokenBucket(capacity={self.capacity}, rate={self.rate}, tokens={self._tokens:.2f})"

    def available(self, now: float) -> float:
        """Return the tokens in the bucket at time ``now``."""
        if now > self._at:
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
        return self._tokens

    def take(self, amount: float) -> None:
        """Remove ``amount`` tokens; call :meth:`available` first."""
        self._tokens -= amount


class Throttle:
    """
    The buckets of one account, created on first use.

    Args:
        limits: ``(capacity, refill per second)`` by bucket name, overriding EC2's defaults:
            an action (``"DescribeImages"``), ``"<Action>:unfiltered"`` or
            ``"resource:<Action>"``.
    """

    def __init__(self, limits: Mapping[str, tuple[float, float]] | None = None) -> None:
        self._limits = dict(limits or {})
        self._buckets: dict[str, TokenBucket] = {}

    def __repr__(self) -> str:
        return f"<Throttle buckets={sorted(self._buckets)}>"

    def _bucket(self, name: str, now: float) -> TokenBucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            capacity, rate = self._limits.get(name) or _default(name)
            bucket = self._buckets[name] = TokenBucket(capacity, rate, now)
        return bucket

    def admit(self, action: str, params: Mapping[str, str], *, resources: int, now: float) -> bool:
        """
        Take the tokens a call needs, or none at all when a bucket runs short.

        Args:
            action: the EC2 action.
            params: its wire parameters (to tell filtered from unfiltered calls).
            resources: the instances the call touches (RunInstances: MaxCount).
            now: the current time.

        Returns:
            True when admitted; False means RequestLimitExceeded.
        """
        needs = [(self._bucket(bucket_for(action, params), now), 1.0)]
        resource = f"resource:{action}"
        if resources and (resource in DEFAULT_LIMITS or resource in self._limits):
            needs.append((self._bucket(resource, now), float(resources)))
        if any(bucket.available(now) < amount for bucket, amount in needs):
            return False
        for bucket, amount in needs:
            bucket.take(amount)
        return True

    def tokens(self, bucket: str, now: float) -> float:
        """Return the tokens left in ``bucket`` at ``now`` (a full bucket if never used)."""
        return self._bucket(bucket, now).available(now)
