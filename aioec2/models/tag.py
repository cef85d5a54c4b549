"""
Tags as ``DescribeTags`` lists them: one resource, one key, one value.

A resource's own tags are a :class:`~aioec2.models._base.Tags` mapping on its model
(``instance.tags["Name"]``); see
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TagDescription.html.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

import attrs

from aioec2.models._base import Model, wire
from aioec2.models._required import require

if TYPE_CHECKING:
    from aioec2.session import Session

__all__ = ["Tag"]


@attrs.frozen(kw_only=True, repr=False)
class Tag(Model):
    """
    One tag of one resource: ``repr(tag) == "Tag:Name"`` (boto's form).

    .. versionadded:: 0.1
    """

    kind: ClassVar[str] = "Tag"
    resource_id: str = wire("ResourceId")
    resource_type: str | None = wire("ResourceType")
    key: str = wire("Key")
    value: str = wire("Value", default="")

    def __repr__(self) -> str:
        return f"Tag:{self.key}"

    @classmethod
    def from_parsed(cls, data: Mapping[str, Any], *, session: Session | None = None) -> Self:
        """
        Build the tag from one parsed ``TagDescription``.

        Raises:
            ResponseParseError: it has no ``resourceId`` or ``key``
                (see :mod:`aioec2.models._required`).
        """
        require(cls.kind, data, "ResourceId")
        require(cls.kind, data, "Key")
        return super().from_parsed(data, session=session)
