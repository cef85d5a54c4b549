"""
Argument checks for the image and instance operations, run before anything is sent.

Each raises ``TypeError`` (wrong type) or :class:`ArgumentError` (a ``ValueError``: wrong value)
with the argument's name in the message. Limits are EC2's own, cited where they apply.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from aioec2._validate import sendable
from aioec2.errors import ArgumentError

__all__ = [
    "client_token",
    "counts",
    "flag",
    "page_size",
    "tag_specifications",
    "user_data",
]

# RunInstances: "User data is limited to 16 KB" in raw form, before base64 encoding
# (EC2 User Guide, "Run commands when you launch an EC2 instance with user data input").
_USER_DATA_MAX = 16 * 1024
# RunInstances ClientToken: "Constraints: Maximum 64 ASCII characters" (EC2 API Reference).
_TOKEN_MAX = 64
# Tag restrictions (EC2 User Guide, "Tag your Amazon EC2 resources"): at most 50 tags per
# resource, keys of at most 128 characters, values of at most 256.
_TAGS_MAX = 50
_TAG_KEY_MAX = 128
_TAG_VALUE_MAX = 256
# DescribeInstances MaxResults: "You can specify a value between 5 and 1000."
_PAGE_MIN, _PAGE_MAX = 5, 1000


def flag(name: str, value: object) -> bool:
    """Return ``value`` if it is a bool (``1`` or ``"yes"`` are refused, not guessed at)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return value


def _int(name: str, value: object) -> int:
    # bool is an int to Python, but run_instances(image, True) is a bug, not "one instance".
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


def counts(min_count: object, max_count: object) -> tuple[int, int]:
    """
    Return RunInstances' ``(MinCount, MaxCount)``: ints, at least 1, min not above max.

    EC2 requires both to be at least 1 (RunInstances, "Constraints: Between 1 and ...").
    """
    low = _int("min_count", min_count)
    high = _int("max_count", max_count)
    for name, value in (("min_count", low), ("max_count", high)):
        if value < 1:
            raise ArgumentError(f"{name} must be at least 1, got {value}")
    if low > high:
        raise ArgumentError(f"min_count ({low}) must not exceed max_count ({high})")
    return low, high


def user_data(value: object) -> str | None:
    """Return ``value`` (``str`` or ``bytes``) base64-encoded, as RunInstances' UserData wants."""
    if value is None:
        return None
    if isinstance(value, str):
        raw = sendable("user_data", value).encode("utf-8")
    elif isinstance(value, bytes | bytearray):
        raw = bytes(value)
    else:
        raise TypeError(f"user_data must be str or bytes, got {type(value).__name__}")
    if len(raw) > _USER_DATA_MAX:
        raise ArgumentError(
            f"user_data is {len(raw)} bytes; EC2 accepts at most {_USER_DATA_MAX} (16 KB)"
        )
    return base64.b64encode(raw).decode("ascii")


def client_token(value: object) -> str | None:
    """Return ``value`` if it is None or a non-empty ASCII string of at most 64 characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"client_token must be a string, got {type(value).__name__}")
    if not value or len(value) > _TOKEN_MAX or not value.isascii():
        raise ArgumentError(
            f"client_token must be 1 to {_TOKEN_MAX} ASCII characters, got {value!r:.80}"
        )
    return value


def tag_specifications(value: object, resource_type: str) -> list[dict[str, Any]] | None:
    """
    Turn a ``{key: value}`` mapping into one RunInstances TagSpecification for ``resource_type``.

    Keys must be non-empty strings, values strings (empty is fine: a tag without a value).
    """
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"tags must be a mapping of str to str, got {type(value).__name__}")
    if len(value) > _TAGS_MAX:
        raise ArgumentError(f"tags has {len(value)} entries; EC2 allows at most {_TAGS_MAX}")
    tags: list[dict[str, str]] = []
    for key, item in value.items():
        if not isinstance(key, str):
            raise TypeError(f"tags keys must be str, got {type(key).__name__} ({key!r:.40})")
        if not isinstance(item, str):
            raise TypeError(f"tags[{key!r}] must be a str, got {type(item).__name__}")
        if not key or len(key) > _TAG_KEY_MAX:
            raise ArgumentError(f"tags key {key!r:.40} must be 1 to {_TAG_KEY_MAX} characters")
        if len(item) > _TAG_VALUE_MAX:
            raise ArgumentError(f"tags[{key!r}] must be at most {_TAG_VALUE_MAX} characters")
        sendable("tags key", key)
        sendable(f"tags[{key!r}]", item)
        tags.append({"Key": key, "Value": item})
    if not tags:
        return None
    return [{"ResourceType": resource_type, "Tags": tags}]


def page_size(value: object, *, with_ids: bool) -> int | None:
    """
    Return DescribeInstances' ``MaxResults``: None, or an int from 5 to 1000.

    EC2 refuses MaxResults together with InstanceIds, so that is refused here too.
    """
    if value is None:
        return None
    size = _int("page_size", value)
    if not _PAGE_MIN <= size <= _PAGE_MAX:
        raise ArgumentError(f"page_size must be between {_PAGE_MIN} and {_PAGE_MAX}, got {size}")
    if with_ids:
        raise ArgumentError(
            "page_size cannot be combined with instance_ids (EC2 refuses MaxResults with "
            "InstanceIds); page over filters instead"
        )
    return size
