"""
Reading EC2 query parameters: typed accessors, ``Filter.N``, and MaxResults/NextToken paging.

Every accessor answers a bad value the way EC2 does (``MissingParameter``,
``InvalidParameterValue``, ...), so handlers only ever see well-typed values.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import TypeVar

from aioec2.testing._model import FakeError

__all__ = ["AUTH_PARAMS", "Filter", "Params", "check_filters", "match_filters", "paginate"]

T = TypeVar("T")

# Query parameters that authenticate a request rather than describe the call (SigV2 form
# fields, and SigV4 when it travels in the query string); the service strips them.
AUTH_PARAMS = frozenset(
    {"AWSAccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "Timestamp"}
    | {"Expires", "SecurityToken", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date"}
    | {"X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"}
)


class Filter:
    """One ``Filter.N``: a name and the values any of which may match (``*``/``?`` wildcards)."""

    __slots__ = ("name", "values")

    def __init__(self, name: str, values: Sequence[str]) -> None:
        self.name = name
        self.values = tuple(values)

    def __repr__(self) -> str:
        return f"Filter({self.name!r}, {list(self.values)!r})"

    def matches(self, candidates: Iterable[str]) -> bool:
        """Return True when any candidate matches any value of the filter."""
        patterns = [_pattern(value) for value in self.values]
        return any(pattern.fullmatch(c) for c in candidates for pattern in patterns)


@lru_cache(maxsize=256)
def _pattern(value: str) -> re.Pattern[str]:
    # EC2 filter values take * (any run) and ? (one character); a backslash escapes them.
    # https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Filtering.html
    out: list[str] = []
    chars = iter(value)
    for char in chars:
        if char == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.DOTALL)


class Params:
    """
    The flat ``Name.N.Sub`` parameters of one request (or of one structure inside it).

    Args:
        flat: every parameter by its full wire name.
        prefix: the wire name of this structure, e.g. ``"IpPermissions.1"``; empty at the top.
    """

    __slots__ = ("_flat", "_prefix")

    def __init__(self, flat: Mapping[str, str], prefix: str = "") -> None:
        self._flat = flat
        self._prefix = f"{prefix}." if prefix else ""

    def __repr__(self) -> str:
        return f"Params({self._prefix!r}, {len(self._flat)} values)"

    def wire(self) -> dict[str, str]:
        """Return a copy of every parameter by its full wire name."""
        return dict(self._flat)

    def _full(self, name: str) -> str:
        return self._prefix + name

    def get(self, name: str) -> str | None:
        """Return the value of ``name``, or None when it was not sent."""
        return self._flat.get(self._full(name))

    def has(self, name: str) -> bool:
        """Return True when ``name`` or anything under ``name.`` was sent."""
        full = self._full(name)
        return full in self._flat or any(key.startswith(full + ".") for key in self._flat)

    def require(self, name: str) -> str:
        """Return the value of ``name``; ``MissingParameter`` when it was not sent."""
        value = self.get(name)
        if value is None or value == "":
            raise FakeError(
                "MissingParameter", f"The request must contain the parameter {self._full(name)}"
            )
        return value

    def integer(self, name: str) -> int | None:
        """Return ``name`` as an int, None when absent; ``InvalidParameterValue`` when not one."""
        value = self.get(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise FakeError(
                "InvalidParameterValue",
                f"Invalid value '{value}' for {self._full(name)}: not an integer",
            ) from None

    def boolean(self, name: str) -> bool:
        """Return ``name`` as a bool (``true``/``false``); False when absent."""
        value = self.get(name)
        if value is None:
            return False
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise FakeError(
                "InvalidParameterValue",
                f"Invalid value '{value}' for {self._full(name)}: expected true or false",
            )
        return lowered == "true"

    def _indexes(self, name: str) -> list[int]:
        full = self._full(name) + "."
        found: set[int] = set()
        for key in self._flat:
            if key.startswith(full):
                head = key[len(full) :].partition(".")[0]
                if head.isdigit():
                    found.add(int(head))
        return sorted(found)

    def strings(self, name: str) -> list[str]:
        """Return the values of the list ``name.1``, ``name.2``, … in index order."""
        full = self._full(name)
        values = (self._flat.get(f"{full}.{index}") for index in self._indexes(name))
        return [value for value in values if value is not None]

    def structs(self, name: str) -> list[Params]:
        """Return the structures ``name.N.*``, one :class:`Params` each, in index order."""
        full = self._full(name)
        return [Params(self._flat, f"{full}.{index}") for index in self._indexes(name)]

    def filters(self) -> list[Filter]:
        """Return the ``Filter.N`` of the request; a filter without a name is refused."""
        filters = []
        for item in self.structs("Filter"):
            name = item.get("Name")
            if not name:
                raise FakeError("InvalidParameterValue", "The filter 'null' is invalid")
            filters.append(Filter(name, item.strings("Value")))
        return filters


def match_filters(
    filters: Sequence[Filter],
    item: T,
    fields: Mapping[str, Callable[[T], Iterable[str]]],
    tags: Mapping[str, str] | None = None,
) -> bool:
    """
    Return True when ``item`` passes every filter (filters AND, values OR, as in EC2).

    Args:
        filters: the request's filters.
        item: the resource tested.
        fields: filter name -> the resource's values for it.
        tags: the resource's tags, for ``tag:<key>``, ``tag-key`` and ``tag-value``.

    Raises:
        FakeError: ``InvalidParameterValue`` for a filter name the resource does not know.
    """
    for flt in filters:
        if tags is not None and flt.name.startswith("tag:"):
            key = flt.name[4:]
            candidates: Iterable[str] = [tags[key]] if key in tags else []
        elif tags is not None and flt.name == "tag-key":
            candidates = tags.keys()
        elif tags is not None and flt.name == "tag-value":
            candidates = tags.values()
        elif flt.name in fields:
            candidates = fields[flt.name](item)
        else:
            raise FakeError("InvalidParameterValue", f"The filter '{flt.name}' is invalid")
        if not flt.matches(candidates):
            return False
    return True


def check_filters(filters: Sequence[Filter], names: Iterable[str], *, tags: bool = True) -> None:
    """
    Refuse a filter name the action does not know, even when nothing would be tested.

    Raises:
        FakeError: ``InvalidParameterValue`` naming the first unknown filter.
    """
    known = set(names)
    for flt in filters:
        tagged = tags and (flt.name.startswith("tag:") or flt.name in ("tag-key", "tag-value"))
        if not tagged and flt.name not in known:
            raise FakeError("InvalidParameterValue", f"The filter '{flt.name}' is invalid")


def paginate(
    items: Sequence[T],
    params: Params,
    *,
    key: Callable[[T], int],
    bounds: tuple[int, int] = (5, 1000),
    exclusive: str | None = None,
    exclusive_wire: str = "",
) -> tuple[list[T], str | None]:
    """
    Cut one page out of ``items`` (sorted by ``key``) as MaxResults and NextToken ask.

    The token names the key of the last item returned, so a page stays right when items
    are added or removed between calls.

    Args:
        items: every matching item, sorted by ``key``.
        params: the request, read for ``MaxResults`` and ``NextToken``.
        key: a stable, increasing integer per item (its creation sequence).
        bounds: the smallest and largest MaxResults EC2 accepts for this action.
        exclusive: a list parameter (e.g. ``"InstanceId"``) that EC2 refuses with MaxResults.
        exclusive_wire: how EC2's message names that parameter (e.g. ``"instancesSet"``).

    Returns:
        The page, and the token of the next one (None on the last page).
    """
    max_results = params.integer("MaxResults")
    token = params.get("NextToken")
    if max_results is not None:
        if exclusive is not None and params.strings(exclusive):
            raise FakeError(
                "InvalidParameterCombination",
                f"The parameter {exclusive_wire or exclusive} cannot be used with the parameter"
                " maxResults",
            )
        low, high = bounds
        if not low <= max_results <= high:
            raise FakeError(
                "InvalidParameterValue",
                f"Value ( {max_results} ) for parameter maxResults is invalid. Expecting a value"
                f" between {low} and {high}.",
            )
    start = 0
    if token:
        after = _decode_token(token)
        start = next((i for i, item in enumerate(items) if key(item) > after), len(items))
    if max_results is None:
        return list(items[start:]), None
    page = list(items[start : start + max_results])
    more = start + max_results < len(items)
    return page, (_encode_token(key(page[-1])) if more and page else None)


def _encode_token(after: int) -> str:
    return base64.urlsafe_b64encode(f"fake-ec2:{after}".encode()).decode()


def _decode_token(token: str) -> int:
    try:
        prefix, _, number = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        after = int(number) if prefix == "fake-ec2" else None
    except (ValueError, binascii.Error, UnicodeError):
        after = None
    if after is None:
        raise FakeError("InvalidParameterValue", f"Invalid value '{token}' for nextToken")
    return after
