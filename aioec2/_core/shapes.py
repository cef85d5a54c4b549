"""
EC2 operations and their input and output shapes, described as data.

A :class:`Shape` says what a value looks like on the wire (its kind, the members of a
structure, the items of a list, the entries of a map, the format of a timestamp) and a
:class:`Member` names one structure member three ways: the Python-side key, the query name
used in requests and the XML element name used in responses. An :class:`Operation` ties an
action name to an input and an output shape. :mod:`aioec2._core.query` serializes requests
and :mod:`aioec2._core.xml` parses responses from these descriptions.

Declaring an operation by hand stays compact::

    FILTER = structure(("Name", STRING), ("Values", list_of(STRING), "Value"))
    KEY_PAIR = structure(("KeyName", STRING, "keyName"), ("Fingerprint", STRING, "keyFingerprint"))
    DESCRIBE_KEY_PAIRS = Operation(
        "DescribeKeyPairs",
        input=structure(
            ("KeyNames", list_of(STRING), "KeyName"), ("Filters", list_of(FILTER), "Filter")
        ),
        output=structure(("KeyPairs", list_of(KEY_PAIR), "keySet")),
        result_path=("KeyPairs",),
    )

The EC2 naming rules (see the `EC2 query protocol
<https://smithy.io/2.0/aws/protocols/aws-ec2-query-protocol.html>`_) are applied once, when a
member is declared: the query name is ``queryName``, else the ``locationName`` with its first
letter capitalised, else the member name capitalised; the XML name is the ``locationName``,
else the member name. EC2 list items are ``<item>`` elements unless said otherwise.

Recursive shapes are possible: anywhere a shape is expected, a zero-argument callable
returning the shape may stand in for it and is resolved when the shape is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Literal, TypeAlias

import attrs

__all__ = [
    "BLOB",
    "BOOLEAN",
    "DOUBLE",
    "EMPTY",
    "FLOAT",
    "INTEGER",
    "LONG",
    "STRING",
    "TIMESTAMP",
    "Kind",
    "Member",
    "MemberSpec",
    "Operation",
    "Shape",
    "ShapeRef",
    "TimestampFormat",
    "capitalize",
    "list_of",
    "map_of",
    "member",
    "resolve",
    "structure",
    "timestamp",
]

Kind: TypeAlias = Literal[
    "structure",
    "list",
    "map",
    "string",
    "boolean",
    "integer",
    "long",
    "float",
    "double",
    "timestamp",
    "blob",
]

#: The names botocore's service models use for timestamp formats.
TimestampFormat: TypeAlias = Literal["iso8601", "unixTimestamp", "rfc822"]

#: A shape, or a zero-argument callable returning one (how recursive shapes are tied).
ShapeRef: TypeAlias = "Shape | Callable[[], Shape]"

_KINDS: frozenset[str] = frozenset(Kind.__args__)  # type: ignore[attr-defined]
_TIMESTAMP_FORMATS: frozenset[str] = frozenset(TimestampFormat.__args__)  # type: ignore[attr-defined]


def capitalize(name: str) -> str:
    """
    Return ``name`` with its first character upper-cased and the rest untouched.

    Unlike :meth:`str.capitalize`, ``"instanceId"`` becomes ``"InstanceId"``, not ``"Instanceid"``.
    """
    return name[:1].upper() + name[1:]


def resolve(ref: ShapeRef) -> Shape:
    """
    Return the shape ``ref`` stands for, calling it first when it is a deferred reference.

    Args:
        ref: a :class:`Shape` or a zero-argument callable returning one.

    Returns:
        The shape.
    """
    return ref if isinstance(ref, Shape) else ref()


@attrs.frozen(kw_only=True, repr=False)
class Member:
    """
    One member of a structure shape.

    Attributes:
        name: the key used on the Python side (in params and in parsed results).
        target: the member's shape (or a deferred reference to it, for recursive shapes).
        query_name: the name sent in requests, e.g. ``"InstanceId"`` for ``InstanceIds``.
        xml_name: the element name in responses, e.g. ``"instancesSet"``.
        idempotency_token: when true and no value is given, the serializer fills in a token.
    """

    name: str
    target: ShapeRef
    query_name: str
    xml_name: str
    idempotency_token: bool = False

    @property
    def shape(self) -> Shape:
        """The member's shape, with a deferred reference resolved."""
        return resolve(self.target)

    def __repr__(self) -> str:
        token = ", idempotency_token=True" if self.idempotency_token else ""
        return (
            f"Member({self.name!r}, {_label(self.target)}, query_name={self.query_name!r}, "
            f"xml_name={self.xml_name!r}{token})"
        )


def _label(ref: ShapeRef | None) -> str:
    # Shapes nest deeply (and recursively): a repr names the nested ones instead of expanding.
    if isinstance(ref, Shape):
        return ref.name or ref.kind
    return "<deferred>"


@attrs.frozen(kw_only=True, repr=False)
class Shape:
    """
    What one value looks like on the wire.

    Attributes:
        kind: ``"structure"``, ``"list"``, ``"map"`` or a scalar kind.
        name: a label for messages and reprs (the botocore shape name, when known).
        members: a structure's members, in the order they are serialized.
        item: a list's item shape.
        item_name: the element name of a list's items in responses (EC2 uses ``item``); for
            whoever writes responses: the parser, like botocore's, takes any child as an item.
        key: a map's key shape.
        value: a map's value shape.
        key_name: the element (and query suffix) name of a map's keys.
        value_name: the element (and query suffix) name of a map's values.
        flattened: a flattened list or map repeats the member element itself instead of
            wrapping its items in one element (responses only: EC2 requests always flatten).
        timestamp_format: how a timestamp is written in requests; responses accept any.
    """

    kind: Kind
    name: str = ""
    members: tuple[Member, ...] = ()
    item: ShapeRef | None = None
    item_name: str = "item"
    key: ShapeRef | None = None
    value: ShapeRef | None = None
    key_name: str = "key"
    value_name: str = "value"
    flattened: bool = False
    timestamp_format: TimestampFormat = "iso8601"
    #: Members by Python-side name; built once so serializing is a dict lookup.
    by_name: Mapping[str, Member] = attrs.field(init=False, eq=False, repr=False)
    #: Members by XML element name; built once so parsing is a dict lookup per element.
    by_xml_name: Mapping[str, Member] = attrs.field(init=False, eq=False, repr=False)

    @by_name.default
    def _by_name(self) -> Mapping[str, Member]:
        return {m.name: m for m in self.members}

    @by_xml_name.default
    def _by_xml_name(self) -> Mapping[str, Member]:
        return {m.xml_name: m for m in self.members}

    def __repr__(self) -> str:
        parts = [repr(self.kind)]
        if self.name:
            parts.append(f"name={self.name!r}")
        if self.members:
            parts.append(f"members={tuple(m.name for m in self.members)!r}")
        if self.item is not None:
            parts.append(f"item={_label(self.item)}")
        if self.key is not None:
            parts.append(f"key={_label(self.key)}, value={_label(self.value)}")
        if self.flattened:
            parts.append("flattened=True")
        if self.kind == "timestamp":
            parts.append(f"timestamp_format={self.timestamp_format!r}")
        return f"Shape({', '.join(parts)})"

    def __attrs_post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown shape kind {self.kind!r}")
        if self.timestamp_format not in _TIMESTAMP_FORMATS:
            raise ValueError(f"unknown timestamp format {self.timestamp_format!r}")
        if self.members and self.kind != "structure":
            raise ValueError(f"only structures have members, not {self.kind}")
        if len(self.by_name) != len(self.members):
            raise ValueError(f"structure {self.name!r} declares a member name twice")
        if (self.kind == "list") != (self.item is not None):
            raise ValueError("a list shape, and only a list shape, has an item shape")
        if (self.kind == "map") != (self.key is not None and self.value is not None):
            raise ValueError("a map shape, and only a map shape, has key and value shapes")


STRING = Shape(kind="string", name="String")
BOOLEAN = Shape(kind="boolean", name="Boolean")
INTEGER = Shape(kind="integer", name="Integer")
LONG = Shape(kind="long", name="Long")
FLOAT = Shape(kind="float", name="Float")
DOUBLE = Shape(kind="double", name="Double")
TIMESTAMP = Shape(kind="timestamp", name="DateTime")
BLOB = Shape(kind="blob", name="Blob")
#: The structure with no members: the input or output of an operation that has none.
EMPTY = Shape(kind="structure", name="Empty")


def _path(names: str | Iterable[str]) -> tuple[str, ...]:
    # A lone string is one name, not a sequence of one-letter names.
    return (names,) if isinstance(names, str) else tuple(names)


@attrs.frozen
class Operation:
    """
    One EC2 action: its name and the shapes of its parameters and of its response.

    Attributes:
        name: the ``Action``, e.g. ``"DescribeInstances"``.
        input: the parameters' structure shape (Python-side names are its member names).
        output: the response's structure shape, matched against the children of the
            ``…Response`` root element.
        result_path: member names leading from the parsed output to the value a typed
            call returns, e.g. ``("Reservations",)``; empty for the whole output.
    """

    name: str
    input: Shape = attrs.field(kw_only=True, default=EMPTY)
    output: Shape = attrs.field(kw_only=True, default=EMPTY)
    result_path: tuple[str, ...] = attrs.field(kw_only=True, default=(), converter=_path)

    def __attrs_post_init__(self) -> None:
        for shape in (self.input, self.output):
            if shape.kind != "structure":
                raise ValueError(f"{self.name}: input and output must be structure shapes")

    def result(self, parsed: Mapping[str, object]) -> object:
        """
        Follow :attr:`result_path` into a parsed output.

        Args:
            parsed: the output as :func:`aioec2._core.xml.parse_shaped` returns it.

        Returns:
            The value at the end of the path, or None where a member is absent.
        """
        value: object = parsed
        for key in self.result_path:
            if not isinstance(value, Mapping):
                return None
            value = value.get(key)
        return value


def member(
    name: str,
    target: ShapeRef,
    location_name: str | None = None,
    *,
    query_name: str | None = None,
    idempotency_token: bool = False,
) -> Member:
    """
    Declare a structure member, applying the EC2 naming rules.

    Args:
        name: the Python-side name.
        target: the member's shape.
        location_name: botocore's ``locationName``: the XML element name, and (capitalised)
            the query name. Defaults to ``name``.
        query_name: botocore's ``queryName``, sent verbatim in requests when given.
        idempotency_token: auto-fill this member with a fresh token when it is not given.

    Returns:
        The member.
    """
    xml_name = location_name or name
    return Member(
        name=name,
        target=target,
        query_name=query_name or capitalize(xml_name),
        xml_name=xml_name,
        idempotency_token=idempotency_token,
    )


#: What :func:`structure` accepts for one member: a Member, ``(name, shape)`` or
#: ``(name, shape, location_name)``.
MemberSpec: TypeAlias = "Member | tuple[str, ShapeRef] | tuple[str, ShapeRef, str]"


def structure(*members: MemberSpec, name: str = "") -> Shape:
    """
    Declare a structure shape from its members, in wire order.

    Args:
        *members: each a :class:`Member` (see :func:`member`), ``(name, shape)`` or
            ``(name, shape, location_name)``.
        name: a label for messages.

    Returns:
        The structure shape.
    """
    built = tuple(m if isinstance(m, Member) else member(*m) for m in members)
    return Shape(kind="structure", name=name, members=built)


def list_of(
    item: ShapeRef, *, item_name: str = "item", flattened: bool = False, name: str = ""
) -> Shape:
    """
    Declare a list shape.

    Args:
        item: the shape of each item.
        item_name: the items' element name in responses (EC2's is ``item``).
        flattened: the items repeat the member element instead of nesting in it.
        name: a label for messages.

    Returns:
        The list shape.
    """
    return Shape(kind="list", name=name, item=item, item_name=item_name, flattened=flattened)


def map_of(
    key: ShapeRef,
    value: ShapeRef,
    *,
    key_name: str = "key",
    value_name: str = "value",
    flattened: bool = False,
    name: str = "",
) -> Shape:
    """
    Declare a map shape (``<entry><key/><value/></entry>`` in responses).

    Args:
        key: the shape of the keys (a string shape).
        value: the shape of the values.
        key_name: the keys' element name.
        value_name: the values' element name.
        flattened: the entries repeat the member element instead of nesting in ``<entry>``.
        name: a label for messages.

    Returns:
        The map shape.
    """
    return Shape(
        kind="map",
        name=name,
        key=key,
        value=value,
        key_name=key_name,
        value_name=value_name,
        flattened=flattened,
    )


def timestamp(timestamp_format: TimestampFormat = "iso8601") -> Shape:
    """
    Declare a timestamp shape written in requests with ``timestamp_format``.

    Args:
        timestamp_format: ``"iso8601"`` (EC2's default), ``"unixTimestamp"`` or ``"rfc822"``.

    Returns:
        The timestamp shape.
    """
    return Shape(kind="timestamp", timestamp_format=timestamp_format)
