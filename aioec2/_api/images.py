"""Typed EC2 operations: images."""

from __future__ import annotations

from aioec2._api._base import OperationsBase


class ImagesAPI(OperationsBase):
    """Operations on images."""

    __slots__ = ()
