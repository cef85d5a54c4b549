"""Session settings: one frozen :class:`Config` with validated, documented defaults."""

from __future__ import annotations

from typing import Literal

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
