"""Typed EC2 operations: tags."""

from __future__ import annotations

from aioec2._api._base import OperationsBase


class TagsAPI(OperationsBase):
    """Operations on tags."""

    __slots__ = ()
