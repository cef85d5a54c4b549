"""Typed EC2 operations: tags (``CreateTags``, ``DeleteTags``, ``DescribeTags``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from aioec2._api._base import OperationsBase
from aioec2._validate import filters as filter_list
from aioec2._validate import id_list, sendable
from aioec2.errors import ArgumentError

if TYPE_CHECKING:
    from aioec2.models.tag import Tag

__all__ = ["TagsAPI", "tag_list", "tag_specifications"]

# Limits from "Tag your Amazon EC2 resources" (EC2 User Guide, "Tag restrictions").
_MAX_KEY = 128
_MAX_VALUE = 256


def tag_list(name: str, tags: object) -> list[dict[str, str]]:
    """
    Check a ``{key: value}`` mapping of tags and return EC2's ``[{"Key", "Value"}]`` list.

    Raises:
        TypeError: ``tags`` is not a mapping of strings to strings.
        ArgumentError: an empty key, or a key or value longer than EC2 allows.
    """
    if not isinstance(tags, Mapping):
        raise TypeError(
            f"{name} must be a mapping of tag keys to values, got {type(tags).__name__}"
        )
    out: list[dict[str, str]] = []
    for key, value in tags.items():
        _key(name, key)
        if not isinstance(value, str):
            raise TypeError(f"{name}[{key!r}] must be a string, got {type(value).__name__}")
        if len(value) > _MAX_VALUE:
            raise ArgumentError(f"{name}[{key!r}] is longer than {_MAX_VALUE} characters")
        out.append({"Key": key, "Value": sendable(f"{name}[{key!r}]", value)})
    return out


def tag_specifications(resource_type: str, tags: object) -> list[dict[str, Any]] | None:
    """Return ``TagSpecifications`` tagging the new resource with ``tags`` (None: none)."""
    if tags is None:
        return None
    items = tag_list("tags", tags)
    return [{"ResourceType": resource_type, "Tags": items}] if items else None


def _key(name: str, key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"{name} keys must be strings, got {type(key).__name__} {key!r}")
    if not key:
        raise ArgumentError(f"{name} keys must not be empty")
    if len(key) > _MAX_KEY:
        raise ArgumentError(f"{name} key {key[:20]!r}... is longer than {_MAX_KEY} characters")
    return sendable(f"{name} key", key)


def _resources(resource_ids: object) -> list[str]:
    ids = id_list("resource_ids", resource_ids)
    if not ids:
        raise ArgumentError("resource_ids must name at least one resource")
    return ids


class TagsAPI(OperationsBase):
    """Operations on tags."""

    __slots__ = ()

    async def create_tags(self, resource_ids: Iterable[str], tags: Mapping[str, str]) -> None:
        """
        Add or overwrite tags on resources (``CreateTags``).

        Args:
            resource_ids: the resources to tag (``["i-...", "sg-..."]``).
            tags: the tags, ``{"Name": "web"}``; an existing key gets the new value.

        Raises:
            ArgumentError: no resource, no tag, or a tag EC2 would refuse (nothing sent).
            TypeError: a lone string for ``resource_ids``, or a tag that is not str -> str.

        .. versionadded:: 0.1
        """
        ids = _resources(resource_ids)
        items = tag_list("tags", tags)
        if not items:
            raise ArgumentError("tags must hold at least one tag")
        await self.call("CreateTags", {"Resources": ids, "Tags": items})

    async def delete_tags(
        self, resource_ids: Iterable[str], tags: Mapping[str, str | None] | Iterable[str]
    ) -> None:
        """
        Remove tags from resources (``DeleteTags``).

        Args:
            resource_ids: the resources.
            tags: keys to delete whatever their value (``["env"]`` or ``{"env": None}``), or
                ``{"env": "prod"}`` to delete a tag only while it has that value (``""``
                matches only an empty value).

        Raises:
            ArgumentError: no resource or no tag. (EC2 reads a ``DeleteTags`` without tags
                as "delete every tag", which this method never sends.)
            TypeError: a lone string for either argument, or keys or values that are not
                strings.

        .. versionadded:: 0.1
        """
        ids = _resources(resource_ids)
        items: list[dict[str, str]] = []
        if isinstance(tags, Mapping):
            for key, value in cast("Mapping[object, object]", tags).items():
                item = {"Key": _key("tags", key)}
                if value is not None:
                    if not isinstance(value, str):
                        raise TypeError(
                            f"tags[{key!r}] must be a string or None, got {type(value).__name__}"
                        )
                    item["Value"] = sendable(f"tags[{key!r}]", value)
                items.append(item)
        elif isinstance(tags, str | bytes) or not isinstance(tags, Iterable):
            raise TypeError(
                "tags must be a mapping or a list of keys, got "
                f"{type(tags).__name__}"
                + (" (wrap a single key in a list)" if isinstance(tags, str) else "")
            )
        else:
            items = [{"Key": _key("tags", key)} for key in tags]
        if not items:
            raise ArgumentError("tags must name at least one tag")
        await self.call("DeleteTags", {"Resources": ids, "Tags": items})

    async def describe_tags(self, *, filters: Mapping[str, Any] | None = None) -> list[Tag]:
        """
        List tags, every page (``DescribeTags``).

        Args:
            filters: e.g. ``{"resource-id": ["sg-..."], "key": "Name"}``.

        Returns:
            One :class:`~aioec2.models.tag.Tag` per resource and key.

        .. versionadded:: 0.1
        """
        from aioec2.models.tag import Tag  # noqa: PLC0415 - imported on first use

        params = {"Filters": filter_list(filters) or None}
        session = self._as_session()
        found = await self._collect("DescribeTags", params, "Tags")
        return [Tag.from_parsed(data, session=session) for data in found]
