"""
Argument checks that run before anything is sent.

Each raises :class:`ArgumentError` (a ``ValueError``) or ``TypeError`` naming the argument,
so a typo fails at the call site instead of as an EC2 error a round trip later.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from aioec2.errors import ArgumentError

__all__ = [
    "ArgumentError",
    "choice",
    "filters",
    "id_list",
    "non_empty_str",
    "optional_str",
    "progress",
    "sendable",
]


def sendable(name: str, value: object) -> str:
    """
    Return ``value`` if it is a string that can be sent: UTF-8 encodable (may be empty).

    A lone surrogate (``"\\ud800"``, what ``os.fsdecode`` makes of a badly encoded file name)
    has no UTF-8 form; refusing it here names the argument instead of a wire parameter.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            raise ArgumentError(
                f"{name} holds a lone surrogate character, which cannot be sent as UTF-8: "
                f"{value!a:.60}"
            ) from None
    return value


def non_empty_str(name: str, value: object, *, max_length: int | None = None) -> str:
    """
    Return ``value`` if it is a non-empty string that can be sent (see :func:`sendable`).

    ``max_length`` bounds its length in characters (EC2's names and descriptions: 255).
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ArgumentError(f"{name} must not be empty")
    sendable(name, value)
    if max_length is not None and len(value) > max_length:
        raise ArgumentError(f"{name} is longer than {max_length} characters")
    return value


def choice(name: str, value: object, choices: Collection[str]) -> str:
    """Return ``value`` if it is one of the strings ``choices``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if value not in choices:
        raise ArgumentError(
            f"{name} must be one of {', '.join(map(repr, sorted(choices)))}, got {value!r:.60}"
        )
    return value


def progress(value: object) -> object:
    """Return ``value`` if it is None or callable (``progress(done, total)``)."""
    if value is not None and not callable(value):
        raise TypeError(
            f"progress must be a callable progress(done, total) or None, got {type(value).__name__}"
        )
    return value


def optional_str(name: str, value: object) -> str | None:
    """Return ``value`` if it is None or a non-empty string."""
    return None if value is None else non_empty_str(name, value)


def id_list(name: str, values: object, *, prefix: str | None = None) -> list[str]:
    """
    Return ``values`` as a list of ids; a lone string is refused (it would iterate by char).

    Args:
        name: the argument's name, for the error message.
        values: an iterable of strings.
        prefix: when given, every id must start with it (``"i-"``, ``"ami-"``, ``"sg-"``).
    """
    # A mapping iterates over its keys: refused, since which of keys or values are the ids
    # is anybody's guess.
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise TypeError(
            f"{name} must be a list of ids, got {type(values).__name__}"
            + (" (wrap a single id in a list)" if isinstance(values, str) else "")
        )
    out = [non_empty_str(f"{name}[{i}]", v) for i, v in enumerate(values)]
    if prefix is not None:
        for i, v in enumerate(out):
            if not v.startswith(prefix):
                raise ArgumentError(f"{name}[{i}] must start with {prefix!r}, got {v!r}")
    return out


def filters(value: object) -> list[dict[str, Any]]:
    """
    Turn ``{"instance-state-name": ["running"], "tag:env": "prod"}`` into EC2's Filter list.

    A single string value stands for a one-element list.
    """
    if value is None:
        return []
    if not isinstance(value, Mapping):
        raise TypeError(
            f"filters must be a mapping of filter name to values, got {type(value).__name__}"
        )
    out: list[dict[str, Any]] = []
    for key, raw in value.items():
        non_empty_str("filters key", key)
        values = [raw] if isinstance(raw, str) else raw
        if isinstance(values, bytes | Mapping) or not isinstance(values, Iterable):
            raise TypeError(f"filters[{key!r}] must be a string or a list of strings")
        items = [non_empty_str(f"filters[{key!r}] value", v) for v in values]
        if not items:
            raise ArgumentError(f"filters[{key!r}] needs at least one value")
        out.append({"Name": key, "Values": items})
    return out
