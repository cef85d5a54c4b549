"""Session settings: one frozen :class:`Config` with validated, documented defaults."""

from __future__ import annotations

from typing import Literal, cast

import attrs

from aioec2.errors import ConfigurationError

__all__ = ["Config", "RetryMode"]

RetryMode = Literal["standard", "adaptive"]


def _positive(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigurationError(
            f"Config.{attribute.name} must be a positive number, got {value!r}"
        )


def _positive_int(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"Config.{attribute.name} must be an integer >= 1, got {value!r}")


def _positive_or_none(
    _inst: object, attribute: attrs.Attribute[float | None], value: float | None
) -> None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | float) or not value > 0
    ):
        raise ConfigurationError(
            f"Config.{attribute.name} must be None or a positive number, got {value!r}"
        )


def _retry_mode(_inst: object, _attribute: attrs.Attribute[str], value: str) -> None:
    if value not in ("standard", "adaptive"):
        raise ConfigurationError(
            f"Config.retry_mode must be 'standard' or 'adaptive', got {value!r}"
        )


def _non_empty_str(_inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(
            f"Config.{attribute.name} must be a non-empty string, got {value!r}"
        )


@attrs.frozen(kw_only=True)
class Config:
    """
    Transport, retry and protocol settings of a :class:`~aioec2.Session`.

    Args:
        max_connections: size of the pooled ``TCPConnector`` (requests beyond it queue).
        connect_timeout: seconds to establish a connection.
        read_timeout: seconds to wait for the whole response once connected.
        retry_mode: ``"standard"`` (AWS SDK standard mode) or ``"adaptive"`` (standard plus a
            client-side rate limiter that slows down when EC2 throttles).
        max_attempts: total attempts per call, the first one included (AWS default: 3).
        api_version: the EC2 API version sent as ``Version``.
        max_response_bytes: responses larger than this are refused with ResponseParseError,
            so a hostile or broken endpoint cannot exhaust memory.
        user_agent: sent as ``User-Agent``; the library version is appended.
        poll_min_interval: the shortest time between two ticks of the shared waiter poller,
            seconds. One tick costs one DescribeInstances per 1000 waited-on instances; at
            1 s it uses at most a tenth of EC2's refill rate for unfiltered DescribeInstances
            (10 requests a second), and a fresh instance is seen within a second of booting.
        poll_max_interval: the longest time between two ticks. The interval grows from the
            minimum while nothing is happening and never exceeds this; 15 s is the fixed
            delay of the AWS waiters (``InstanceRunning`` and friends), so a long wait is
            never slower to notice a change than boto3's.
        not_found_grace: how long a waiter keeps looking for an instance EC2 answers with
            ``InvalidInstanceID.NotFound`` (eventual consistency right after a launch)
            before it fails. EC2 documents the delay as usually seconds; 120 s leaves a wide
            margin and still ends a wait on a mistyped id.
        wait_timeout: the timeout of a wait when the call names none, seconds; None waits
            until the instance reaches the state or a failure state. 600 s is the AWS
            waiters' limit (40 attempts, 15 s apart).
        bulk_max_attempts: how many times ``launch_many`` sends one spec's RunInstances
            (each time with the session's own retries inside, and always the same
            ``ClientToken``) before reporting the spec as failed.
        bulk_retry_delay: the pause, seconds, ``launch_many`` takes after a throttled or
            failed launch before sending again; it doubles with each throttle (up to
            ``poll_max_interval``) and is shared by the whole bulk call, so the whole batch
            slows down. EC2 refills RunInstances at 2 requests a second; 1 s matches that.

    .. versionadded:: 0.1
    """

    max_connections: int = attrs.field(default=64, validator=_positive_int)
    connect_timeout: float = attrs.field(default=10.0, validator=_positive)
    read_timeout: float = attrs.field(default=60.0, validator=_positive)
    retry_mode: RetryMode = attrs.field(default="standard", validator=_retry_mode)
    max_attempts: int = attrs.field(default=3, validator=_positive_int)
    api_version: str = attrs.field(default="2016-11-15", validator=_non_empty_str)
    max_response_bytes: int = attrs.field(default=64 * 1024 * 1024, validator=_positive_int)
    user_agent: str = attrs.field(default="aioec2", validator=_non_empty_str)
    poll_min_interval: float = attrs.field(default=1.0, validator=_positive)
    poll_max_interval: float = attrs.field(default=15.0, validator=_positive)
    not_found_grace: float = attrs.field(default=120.0, validator=_positive)
    # cast: attrs' stubs infer a field's type from its default, which would forbid None.
    wait_timeout: float | None = attrs.field(
        default=cast("float | None", 600.0), validator=_positive_or_none
    )
    bulk_max_attempts: int = attrs.field(default=10, validator=_positive_int)
    bulk_retry_delay: float = attrs.field(default=1.0, validator=_positive)

    def __attrs_post_init__(self) -> None:
        if self.poll_max_interval < self.poll_min_interval:
            raise ConfigurationError(
                "Config.poll_max_interval must not be below poll_min_interval, got "
                f"{self.poll_max_interval!r} < {self.poll_min_interval!r}"
            )
