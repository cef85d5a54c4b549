"""
EC2 query serialization: parameters in, ``application/x-www-form-urlencoded`` body out.

EC2 flattens every list as ``Name.1, Name.2, …`` (no ``.member`` level as in the plain
query protocol) and nests structures as ``Outer.Inner``; an empty list sends nothing at all.
Two entry points share those rules:

* :func:`serialize_params` takes the wire names the user wrote (``Session.request``);
* :func:`serialize_operation` takes Python-side names and applies an operation's shape
  (wire names, idempotency tokens, blob and timestamp encodings).

Values are type-checked, never range-checked: EC2 validates its own parameters and says so.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from email.utils import format_datetime
from functools import partial
from typing import Any
from urllib.parse import quote

from aioec2._core.shapes import Operation, Shape, resolve
from aioec2.errors import ArgumentError

__all__ = ["build_body", "serialize_operation", "serialize_params"]

# botocore's percent_encode_sequence, which its protocol tests pin: everything but the RFC 3986
# unreserved characters is percent-encoded (a space is %20; botocore's transport happens to
# write "+", which EC2 reads the same way).
_quote_all = partial(quote, safe="-_.~")
# Most names and values (actions, ids, numbers) need no escaping: skip quote()'s work then.
_UNRESERVED_ONLY = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def _quote(text: str) -> str:
    return text if type(text) is str and _UNRESERVED_ONLY(text) else _quote_all(text)


_Pairs = list[tuple[str, str]]


def build_body(action: str, pairs: Iterable[tuple[str, str]], *, version: str) -> bytes:
    """
    Build an EC2 query request body.

    Args:
        action: the EC2 action, e.g. ``"DescribeInstances"``.
        pairs: ``(name, value)`` wire parameters, sent in the given order.
        version: the API version, e.g. ``"2016-11-15"``.

    Returns:
        ``Action=…&Version=…&name=value…``, percent-encoded as botocore encodes it.
    """
    try:
        parts = [f"Action={_quote(action)}", f"Version={_quote(version)}"]
        parts.extend(f"{_quote(name)}={_quote(value)}" for name, value in pairs)
    except UnicodeEncodeError:
        # A lone surrogate ("\ud800", say from a badly decoded file name) has no UTF-8 form.
        raise _unencodable(action, pairs) from None
    return "&".join(parts).encode("ascii")


def _unencodable(action: str, pairs: Iterable[tuple[str, str]]) -> ArgumentError:
    # Name the parameter when the pairs can be read again (a list can, a generator cannot).
    readable = pairs if isinstance(pairs, list | tuple) else ()
    bad = next((name for name, value in readable if not _utf8(name + value)), None)
    where = "a parameter" if bad is None else f"parameter {bad!a}"
    return ArgumentError(
        f"{action}: {where} holds a lone surrogate character, which cannot be sent as UTF-8"
    )


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def serialize_params(params: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """
    Flatten parameters written with EC2's wire names into query pairs.

    A list or tuple becomes ``Name.1, Name.2, …``; a mapping ``Name.Key`` (to any depth);
    a bool ``true``/``false``; an int or float its decimal text (``NaN``, ``Infinity`` and
    ``-Infinity`` as botocore spells them); a datetime ISO 8601 in UTC with a ``Z`` (naive
    ones are taken as UTC, as botocore does); bytes base64. None and empty lists send nothing
    (a None *inside* a list is an error: leaving it out would renumber the items).

    Args:
        params: e.g. ``{"InstanceId": ["i-1"], "Filter": [{"Name": "...", "Value": ["..."]}]}``.

    Returns:
        The ``(name, value)`` pairs in the order the mappings and lists give them.

    Raises:
        TypeError: a value (or key) of a type EC2 cannot receive; the message names its path.
    """
    pairs: _Pairs = []
    if params is None:
        return pairs
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping, not {type(params).__name__}")
    for key, value in params.items():
        _flatten(pairs, _key(key, ""), value)
    return pairs


def _key(key: object, prefix: str) -> str:
    if not isinstance(key, str):
        where = f" under {prefix!r}" if prefix else ""
        raise TypeError(
            f"parameter names must be str, not {type(key).__name__}{where}: {_show(key)}"
        )
    return f"{prefix}.{key}" if prefix else key


def _flatten(pairs: _Pairs, path: str, value: object) -> None:
    # str before sequences: a str is iterable but is one value on the wire.
    if value is None:
        return
    if isinstance(value, str):
        pairs.append((path, value))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(pairs, _key(key, path), item)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value, 1):
            if item is None:
                # Omitting it would renumber or leave a gap; either would hide the caller's bug.
                raise TypeError(f"parameter '{path}.{index}': a list item cannot be None")
            _flatten(pairs, f"{path}.{index}", item)
    else:
        pairs.append((path, _untyped_text(path, value)))


def _untyped_text(path: str, value: object) -> str:
    # bool before int: True is an int, but EC2 spells it "true".
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _int_text(path, value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, dt.datetime):
        return _in_range(path, _iso8601, value)
    if isinstance(value, bytes | bytearray | memoryview):
        return _base64(value)
    raise TypeError(
        f"parameter {path!r}: cannot send a {type(value).__name__} ({_show(value)}); use str, "
        "bool, int, float, datetime, bytes, or a list or mapping of those"
    )


def _show(value: object) -> str:
    # repr() for a message, cut short; it can fail (an int of more than 4300 digits).
    try:
        return f"{value!r:.60}"
    except ValueError:
        return f"<{type(value).__name__}>"


def _int_text(path: str, value: int) -> str:
    try:
        return str(int(value))
    except ValueError:  # more digits than sys.get_int_max_str_digits() allows
        raise ArgumentError(
            f"parameter {path!r}: an integer of {value.bit_length()} bits is too large to send"
        ) from None


def _in_range(path: str, write: Callable[[dt.datetime], str], value: dt.datetime) -> str:
    try:
        return write(value)
    except (OverflowError, OSError, ValueError):  # year 1 or 9999 moved into UTC
        raise ArgumentError(
            f"parameter {path!r}: {value.isoformat()} is outside the range of UTC timestamps"
        ) from None


def serialize_operation(
    op: Operation, params: Mapping[str, Any], *, version: str, token: Callable[[], str]
) -> bytes:
    """
    Serialize a call of ``op`` whose parameters use the shape's Python-side names.

    Members go out in the order the shape declares them, lists as ``.N`` (always flattened,
    EC2 style), nested structures as ``Outer.Inner``, maps as ``Name.entry.N.key``/``value``
    (or ``Name.N.key`` when flattened), blobs in base64 and timestamps in the shape's format.
    An absent idempotency-token member is filled with ``token()``. None means absent.

    Args:
        op: the operation.
        params: the parameters, keyed by the input shape's member names.
        version: the API version sent as ``Version``.
        token: returns a fresh idempotency token (a UUID4 string in production).

    Returns:
        The request body.

    Raises:
        TypeError: an unknown parameter name, or a value whose Python type does not fit its
            shape; the message names the operation and the parameter.
    """
    writer = _Writer(token)
    writer.structure("", op.input, params, op.name)
    return build_body(op.name, writer.pairs, version=version)


class _Writer:
    """Collects the pairs of one typed call; ``where`` names the parameter for errors."""

    __slots__ = ("pairs", "token")

    def __init__(self, token: Callable[[], str]) -> None:
        self.pairs: _Pairs = []
        self.token = token

    def structure(self, prefix: str, shape: Shape, value: object, where: str) -> None:
        if not isinstance(value, Mapping):
            raise TypeError(f"{where}: expected a mapping, not {type(value).__name__}")
        by_name = shape.by_name
        for key in value:
            if key not in by_name:
                known = ", ".join(by_name) or "none"
                raise TypeError(f"{where}: unknown parameter {key!r} (known: {known})")
        for member in shape.members:
            item = value.get(member.name)
            if item is None:
                if not member.idempotency_token:
                    continue
                item = self.token()
            path = f"{prefix}.{member.query_name}" if prefix else member.query_name
            self.value(path, member.shape, item, f"{where}: {member.name}")

    def value(self, path: str, shape: Shape, value: object, where: str) -> None:
        kind = shape.kind
        if kind == "structure":
            self.structure(path, shape, value, where)
        elif kind == "list":
            if not isinstance(value, list | tuple):
                raise _wrong_type(where, path, "list or tuple", value)
            item_shape = resolve(shape.item)  # type: ignore[arg-type]  # lists always have one
            for index, item in enumerate(value, 1):
                self.value(f"{path}.{index}", item_shape, item, f"{where}[{index - 1}]")
        elif kind == "map":
            self.map(path, shape, value, where)
        else:
            self.pairs.append((path, _typed_text(path, shape, value, where)))

    def map(self, path: str, shape: Shape, value: object, where: str) -> None:
        if not isinstance(value, Mapping):
            raise _wrong_type(where, path, "mapping", value)
        # As botocore's query serializer does: entries under ".entry" unless flattened.
        base = path if shape.flattened else f"{path}.entry"
        key_shape = resolve(shape.key)  # type: ignore[arg-type]  # maps always have both
        value_shape = resolve(shape.value)  # type: ignore[arg-type]
        # An entry whose value is None is absent, like a None member; numbering stays dense.
        entries = [(key, item) for key, item in value.items() if item is not None]
        for index, (key, item) in enumerate(entries, 1):
            entry = f"{base}.{index}"
            self.value(f"{entry}.{shape.key_name}", key_shape, key, f"{where} key")
            self.value(f"{entry}.{shape.value_name}", value_shape, item, f"{where}[{key!r}]")


def _typed_text(  # noqa: PLR0911, PLR0912 - one flat dispatch on the scalar kinds reads best
    path: str, shape: Shape, value: object, where: str
) -> str:
    # bool is an int to Python, but never a number to EC2: refused where a number is expected.
    kind = shape.kind
    if kind == "string":
        if isinstance(value, str):
            return value
        expected = "str"
    elif kind == "boolean":
        if isinstance(value, bool):
            return "true" if value else "false"
        expected = "bool"
    elif kind in ("integer", "long"):
        if isinstance(value, int) and not isinstance(value, bool):
            return _int_text(path, value)
        expected = "int"
    elif kind in ("float", "double"):
        if isinstance(value, float):
            return _float_text(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return _int_text(path, value)
        expected = "float"
    elif kind == "timestamp":
        if isinstance(value, dt.datetime):
            return _in_range(path, lambda v: _timestamp_text(v, shape), value)
        expected = "datetime"
    else:
        if isinstance(value, str):
            if not _utf8(value):
                raise _unencodable(where, [(path, value)])
            value = value.encode()
        if isinstance(value, bytes | bytearray | memoryview):
            return _base64(value)
        expected = "bytes or str"
    raise _wrong_type(where, path, expected, value)


def _wrong_type(where: str, path: str, expected: str, value: object) -> TypeError:
    return TypeError(
        f"{where} ({path}): expected {expected}, not {type(value).__name__} ({_show(value)})"
    )


def _float_text(value: float) -> str:
    # botocore's spelling of the IEEE specials; repr() gives the shortest exact text otherwise.
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def _utc(value: dt.datetime) -> dt.datetime:
    # A naive datetime is taken as UTC, as botocore does; an aware one is converted.
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _iso8601(value: dt.datetime) -> str:
    # botocore's format: whole seconds unless there are microseconds, always a "Z". (isoformat,
    # unlike botocore's strftime, also zero-pads years before 1000.)
    text = _utc(value).replace(tzinfo=None).isoformat(timespec="auto")
    return text + "Z"


def _timestamp_text(value: dt.datetime, shape: Shape) -> str:
    fmt = shape.timestamp_format
    if fmt == "iso8601":
        return _iso8601(value)
    value = _utc(value)
    if fmt == "unixTimestamp":
        seconds = int(value.replace(microsecond=0).timestamp())
        if value.microsecond:
            # Integer arithmetic first so the float is rounded only once (as botocore does).
            return repr((seconds * 10**6 + value.microsecond) / 10**6)
        return str(seconds)
    return format_datetime(value.replace(microsecond=0), usegmt=True)


def _base64(value: bytes | bytearray | memoryview) -> str:
    return base64.b64encode(value).decode("ascii")
