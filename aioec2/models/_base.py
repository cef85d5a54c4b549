"""
What every model shares: wire-named attrs fields, conversion from parsed EC2 data and back.

A model field is declared with :func:`wire`, naming the member of EC2's service model it
holds (``id: str = wire("InstanceId")``). :meth:`Model.from_parsed` fills the fields from the
dict the parser produced; :meth:`Model.to_dict` gives that dict back, which is how the tests
prove that no field botocore would extract is lost. Nested structures without a model of their
own become :class:`Struct` (an immutable mapping with snake_case keys and attribute access);
lists become tuples; ``Tags`` lists become a :class:`Tags` mapping.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

import attrs

from aioec2.errors import SessionClosedError

if TYPE_CHECKING:
    from aioec2.session import Session

__all__ = ["Model", "Struct", "Tags", "freeze", "snake_case", "thaw", "wire"]

_SNAKE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


# EC2 has a few thousand member names; a parse meets the same few dozen over and over.
_SNAKE_CACHE: dict[str, str] = {}
_CACHE_LIMIT = 4096


def snake_case(name: str) -> str:
    """``"AmiLaunchIndex"`` -> ``"ami_launch_index"``, ``"VpcId"`` -> ``"vpc_id"``."""
    snake = _SNAKE_CACHE.get(name)
    if snake is None:
        snake = _SNAKE.sub("_", name).lower()
        if len(_SNAKE_CACHE) < _CACHE_LIMIT:
            _SNAKE_CACHE[name] = snake
    return snake


def wire(
    name: str,
    *,
    model: type[Model] | None = None,
    tags: bool = False,
    default: Any = None,
) -> Any:
    """
    Declare a model field that holds EC2 member ``name``.

    Args:
        name: the member name in EC2's service model (as the parser returns it).
        model: convert the value (or each item of a list) to this model class.
        tags: the value is EC2's ``[{"Key": ..., "Value": ...}]`` list; hold it as :class:`Tags`.
        default: the value when EC2 did not send the member (``()`` for lists).
    """
    return attrs.field(
        default=default, kw_only=True, metadata={"wire": name, "model": model, "tags": tags}
    )


class _Layout:
    """
    The keys of a :class:`Struct`: snake_case names, EC2 names and where each value sits.

    Structures of one kind share one layout (a thousand instances' ``Placement`` have the
    same members), so a Struct itself holds only this reference and a tuple of values.
    """

    __slots__ = ("index", "snake", "wire")

    def __init__(self, snake: tuple[str, ...], wire: tuple[str, ...]) -> None:
        self.snake = snake
        self.wire = wire
        self.index = {name: position for position, name in enumerate(snake)}


_LAYOUTS: dict[tuple[str, ...], _Layout] = {}


def _layout_of(keys: tuple[str, ...]) -> _Layout | None:
    """The shared layout for these EC2 member names, or None if two share a snake_case name."""
    layout = _LAYOUTS.get(keys)
    if layout is None:
        snake = tuple(snake_case(key) for key in keys)
        if len(set(snake)) != len(snake):
            return None  # "VpcId" and "VPCId" collide: Struct keeps dict semantics then
        layout = _Layout(snake, keys)
        if len(_LAYOUTS) < _CACHE_LIMIT:
            _LAYOUTS[keys] = layout
    return layout


_STRUCT_SLOTS = frozenset({"_layout", "_values"})


class Struct(Mapping[str, Any]):
    """
    An immutable, hashable view of a nested EC2 structure that has no model of its own.

    Keys are snake_case (``struct["availability_zone"]`` or ``struct.availability_zone``);
    :meth:`to_dict` restores EC2's member names.
    """

    __slots__ = ("_layout", "_values")

    def __init__(self, data: Mapping[str, Any]) -> None:
        layout = _layout_of(tuple(data))
        if layout is None:
            # Colliding snake_case names: the last value wins, in the first one's place.
            merged: dict[str, Any] = {}
            wire: dict[str, str] = {}
            for key, value in data.items():
                snake = snake_case(key)
                merged[snake] = value
                wire[snake] = key
            layout = _Layout(tuple(merged), tuple(wire.values()))
            data = dict(zip(layout.wire, merged.values(), strict=True))
        self._layout = layout
        scalars = _SCALARS
        self._values = tuple([v if type(v) in scalars else freeze(v) for v in data.values()])

    def __getattr__(self, name: str) -> Any:
        if name in _STRUCT_SLOTS:
            raise AttributeError(name)  # not set yet: a copy or unpickling in progress
        try:
            return self._values[self._layout.index[name]]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return self._values[self._layout.index[key]]

    def __contains__(self, key: object) -> bool:
        return key in self._layout.index

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout.snake)

    def __len__(self) -> int:
        return len(self._values)

    def __hash__(self) -> int:
        return hash(tuple(zip(self._layout.snake, self._values, strict=True)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Struct):
            if self._layout is other._layout:
                return self._values == other._values
            return dict(self.items()) == dict(other.items())
        return super().__eq__(other)

    def __repr__(self) -> str:
        inner = ", ".join(
            f"{k}={v!r}" for k, v in zip(self._layout.snake, self._values, strict=True)
        )
        return f"Struct({inner})"

    def to_dict(self) -> dict[str, Any]:
        """Return the structure with EC2's member names, as the parser produced it."""
        return {k: thaw(v) for k, v in zip(self._layout.wire, self._values, strict=True)}


class Tags(Mapping[str, str]):
    """
    An immutable mapping of tag keys to values (``instance.tags["Name"]``).

    EC2 sends tags as a list of ``{Key, Value}``; the order EC2 sent is kept.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._items: dict[str, str] = dict(items or {})

    @classmethod
    def from_parsed(cls, data: Any) -> Tags:
        """Build from EC2's ``[{"Key": k, "Value": v}, ...]`` (a missing Value is ``""``)."""
        return cls({t["Key"]: t.get("Value", "") for t in data or ()})

    def to_list(self) -> list[dict[str, str]]:
        """Return EC2's list form."""
        return [{"Key": k, "Value": v} for k, v in self._items.items()]

    def __getitem__(self, key: str) -> str:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(self._items.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self._items) == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Tags({self._items!r})"


def freeze(value: Any) -> Any:
    """Make parsed data immutable: dicts become Struct, lists become tuples."""
    kind = type(value)
    if kind is dict:
        return Struct(value)
    if kind is list:
        return tuple([freeze(v) for v in value])
    if kind in _SCALARS:
        return value
    if isinstance(value, dict):
        return Struct(value)
    if isinstance(value, list):
        return tuple([freeze(v) for v in value])
    return value


# What the parser gives that freeze() returns as it is, without isinstance() checks.
_SCALARS = frozenset({str, int, float, bool, bytes, type(None), dt.datetime})


def thaw(value: Any) -> Any:
    """Undo :func:`freeze` (and model conversion): back to the parser's plain form."""
    if isinstance(value, Model | Struct):
        return value.to_dict()
    if isinstance(value, Tags):
        return value.to_list()
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@attrs.frozen(kw_only=True)
class Model:
    """
    Base of every model: frozen, slotted, built from parsed EC2 data, bound to a Session.

    The session reference takes no part in equality, hashing or repr, so two snapshots of
    the same resource compare by their data alone.
    """

    _session: Session | None = attrs.field(default=None, eq=False, hash=False, repr=False)

    #: Singular name used in error messages ("Image", "Instance", ...).
    kind: ClassVar[str] = "model"

    @classmethod
    def from_parsed(cls, data: Mapping[str, Any], *, session: Session | None = None) -> Self:
        """
        Build the model from one parsed EC2 structure (members named as in the service model).

        Unknown members are ignored, so a newer EC2 answer never breaks parsing.
        """
        plan = _PLANS.get(cls) or _plan(cls)
        step_of = plan.get
        scalars = _SCALARS
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            step = step_of(name)
            if step is None:
                continue
            if step[1] is _PLAIN and type(value) in scalars:
                kwargs[step[0]] = value  # most members: nothing to convert
            else:
                _fill(kwargs, step, value, session)
        shared = _SHARED.get(cls)
        if shared:  # a member that more than one field holds
            for name, steps in shared.items():
                if name in data:
                    for step in steps:
                        _fill(kwargs, step, data[name], session)
        return cls(session=session, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """Return the model's data in the parser's form (EC2 member names, lists, dicts)."""
        out: dict[str, Any] = {}
        for attribute, name in _fields_of(type(self)):
            value = getattr(self, attribute)
            if value is None:
                continue
            out[name] = thaw(value)
        return out

    @property
    def session(self) -> Session:
        """
        The Session this model came from.

        Raises:
            SessionClosedError: the model was built without one (e.g. by hand).
        """
        if self._session is None:
            raise SessionClosedError(
                f"this {self.kind} is not bound to a Session; fetch it through a Session "
                "(or pass session=...) to call methods that need the network"
            )
        return self._session

    def with_session(self, session: Session | None) -> Self:
        """Return a copy bound to ``session``."""
        return attrs.evolve(self, session=session)


# -- how from_parsed and to_dict fill each model class, worked out once per class -----------

_PLAIN, _TAGS, _MODEL = "plain", "tags", "model"
#: One way to fill a field: (init argument, conversion, model class for _MODEL).
_Step = tuple[str, str, "type[Model] | None"]
_PLANS: dict[type[Model], dict[str, _Step]] = {}
_SHARED: dict[type[Model], dict[str, tuple[_Step, ...]]] = {}
_FIELDS: dict[type[Model], tuple[tuple[str, str], ...]] = {}


def _plan(cls: type[Model]) -> dict[str, _Step]:
    """EC2 member name -> how to fill the field that holds it (see _SHARED for the rest)."""
    plan: dict[str, _Step] = {}
    shared: dict[str, tuple[_Step, ...]] = {}
    for field in attrs.fields(cls):
        name = field.metadata.get("wire")
        if name is None:
            continue
        sub: type[Model] | None = field.metadata["model"]
        kind = _TAGS if field.metadata["tags"] else _MODEL if sub is not None else _PLAIN
        step = (field.alias or field.name, kind, sub)
        if name in plan:
            shared[name] = (*shared.get(name, ()), step)
        else:
            plan[name] = step
    _SHARED[cls] = shared
    _PLANS[cls] = plan
    return plan


def _fill(kwargs: dict[str, Any], step: _Step, value: Any, session: Session | None) -> None:
    key, kind, sub = step
    if kind is _PLAIN:
        kwargs[key] = value if type(value) in _SCALARS else freeze(value)
    elif kind is _TAGS:
        kwargs[key] = Tags.from_parsed(value)
    elif sub is None:
        raise AssertionError(key)  # _plan gives every _MODEL step its class
    elif isinstance(value, list):
        kwargs[key] = tuple([sub.from_parsed(v, session=session) for v in value])
    else:
        kwargs[key] = sub.from_parsed(value, session=session)


def _fields_of(cls: type[Model]) -> tuple[tuple[str, str], ...]:
    """(attribute, EC2 member name) of every wire field, in declaration order."""
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = tuple(
            (field.name, field.metadata["wire"])
            for field in attrs.fields(cls)
            if field.metadata.get("wire") is not None
        )
        _FIELDS[cls] = fields
    return fields
