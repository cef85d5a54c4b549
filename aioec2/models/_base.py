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

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

import attrs

from aioec2.errors import SessionClosedError

if TYPE_CHECKING:
    from aioec2.session import Session

__all__ = ["Model", "Struct", "Tags", "freeze", "snake_case", "thaw", "wire"]

_SNAKE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    """``"AmiLaunchIndex"`` -> ``"ami_launch_index"``, ``"VpcId"`` -> ``"vpc_id"``."""
    return _SNAKE.sub("_", name).lower()


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


class Struct(Mapping[str, Any]):
    """
    An immutable, hashable view of a nested EC2 structure that has no model of its own.

    Keys are snake_case (``struct["availability_zone"]`` or ``struct.availability_zone``);
    :meth:`to_dict` restores EC2's member names.
    """

    __slots__ = ("_data", "_wire")

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data: dict[str, Any] = {}
        self._wire: dict[str, str] = {}
        for key, value in data.items():
            snake = snake_case(key)
            self._data[snake] = freeze(value)
            self._wire[snake] = key

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Struct):
            return self._data == other._data
        return super().__eq__(other)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._data.items())
        return f"Struct({inner})"

    def to_dict(self) -> dict[str, Any]:
        """Return the structure with EC2's member names, as the parser produced it."""
        return {self._wire[k]: thaw(v) for k, v in self._data.items()}


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
    if isinstance(value, dict):
        return Struct(value)
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value


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
        kwargs: dict[str, Any] = {}
        for field in attrs.fields(cls):
            name = field.metadata.get("wire")
            if name is None or name not in data:
                continue
            value = data[name]
            sub: type[Model] | None = field.metadata["model"]
            if field.metadata["tags"]:
                value = Tags.from_parsed(value)
            elif sub is not None:
                if isinstance(value, list):
                    value = tuple(sub.from_parsed(v, session=session) for v in value)
                else:
                    value = sub.from_parsed(value, session=session)
            else:
                value = freeze(value)
            kwargs[field.alias or field.name] = value
        return cls(session=session, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """Return the model's data in the parser's form (EC2 member names, lists, dicts)."""
        out: dict[str, Any] = {}
        for field in attrs.fields(type(self)):
            name = field.metadata.get("wire")
            if name is None:
                continue
            value = getattr(self, field.name)
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
