"""Typed EC2 operations: regions."""

from __future__ import annotations

from aioec2._api._base import OperationsBase


class RegionsAPI(OperationsBase):
    """Operations on regions."""

    __slots__ = ()
