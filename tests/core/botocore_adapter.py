"""
Build aioec2 shapes and operations from botocore's JSON service-model format.

The protocol test suites (``../shared/vectors/botocore-protocols-ec2``) and botocore's own
``ec2/2016-11-15/service-2.json`` describe shapes the same way; this turns either into
:class:`aioec2._core.shapes.Shape` and :class:`~aioec2._core.shapes.Operation` values, so the
tests check our serializer and parser against data nobody here wrote.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from aioec2._core.shapes import EMPTY, Member, Operation, Shape, capitalize

if TYPE_CHECKING:
    from collections.abc import Mapping

    from aioec2._core.shapes import ShapeRef

__all__ = ["ShapeBuilder", "operation_from_botocore"]

# botocore types without a kind of their own carry the same wire form as these.
_KIND_ALIASES = {"character": "string", "byte": "integer", "short": "integer"}


class ShapeBuilder:
    """Converts the named shapes of one botocore model, memoising each and tying cycles lazily."""

    def __init__(self, shapes: Mapping[str, Any]) -> None:
        self._defs = shapes
        self._done: dict[str, Shape] = {}
        self._building: set[str] = set()

    def shape(self, name: str) -> Shape:
        """Return the aioec2 shape for botocore shape ``name``."""
        if name in self._done:
            return self._done[name]
        self._building.add(name)
        try:
            built = self._build(name, self._defs[name])
        finally:
            self._building.discard(name)
        self._done[name] = built
        return built

    def ref(self, ref: Mapping[str, Any]) -> ShapeRef:
        """Resolve a botocore reference ``{"shape": name, **member traits}``."""
        name = ref["shape"]
        overrides: dict[str, Any] = {}
        if "timestampFormat" in ref:
            overrides["timestamp_format"] = ref["timestampFormat"]
        if "flattened" in ref:
            overrides["flattened"] = bool(ref["flattened"])
        if name in self._building:
            # A recursive shape: defer until the cycle is closed (botocore resolves lazily too).
            return lambda: self._with(self._done[name], overrides)
        return self._with(self.shape(name), overrides)

    def member(self, name: str, ref: Mapping[str, Any]) -> Member:
        """Build one structure member, naming it by the EC2 rules from its botocore traits."""
        # botocore merges the target shape's own traits under the member's, so a shape-level
        # locationName applies when the member has none.
        target_def = self._defs[ref["shape"]]
        location = ref.get("locationName", target_def.get("locationName"))
        query = ref.get("queryName", target_def.get("queryName"))
        xml_name = location or name
        return Member(
            name=name,
            target=self.ref(ref),
            query_name=query or capitalize(xml_name),
            xml_name=xml_name,
            idempotency_token=bool(ref.get("idempotencyToken", False)),
        )

    @staticmethod
    def _with(shape: Shape, overrides: Mapping[str, Any]) -> Shape:
        return attrs.evolve(shape, **overrides) if overrides else shape

    def _build(self, name: str, spec: Mapping[str, Any]) -> Shape:
        kind = _KIND_ALIASES.get(spec["type"], spec["type"])
        if kind == "structure":
            members = tuple(self.member(n, r) for n, r in spec.get("members", {}).items())
            return Shape(kind="structure", name=name, members=members)
        if kind == "list":
            item = spec["member"]
            return Shape(
                kind="list",
                name=name,
                item=self.ref(item),
                # botocore's default item element is "member"; EC2's models always say "item".
                item_name=item.get("locationName", "member"),
                flattened=bool(spec.get("flattened", False)),
            )
        if kind == "map":
            return Shape(
                kind="map",
                name=name,
                key=self.ref(spec["key"]),
                value=self.ref(spec["value"]),
                key_name=spec["key"].get("locationName", "key"),
                value_name=spec["value"].get("locationName", "value"),
                flattened=bool(spec.get("flattened", False)),
            )
        if kind == "timestamp":
            return Shape(
                kind="timestamp", name=name, timestamp_format=spec.get("timestampFormat", "iso8601")
            )
        return Shape(kind=kind, name=name)


def operation_from_botocore(shapes: Mapping[str, Any], given: Mapping[str, Any]) -> Operation:
    """
    Build the :class:`Operation` for a botocore operation model.

    Args:
        shapes: the model's (or protocol suite's) ``shapes`` mapping.
        given: the operation model: ``name`` and optional ``input``/``output`` references.

    Returns:
        The operation; a missing input or output is the empty structure.
    """
    builder = ShapeBuilder(shapes)
    input_shape = builder.shape(given["input"]["shape"]) if "input" in given else EMPTY
    output_shape = builder.shape(given["output"]["shape"]) if "output" in given else EMPTY
    return Operation(given["name"], input=input_shape, output=output_shape)
