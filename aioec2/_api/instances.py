"""Typed EC2 operations: instances."""

from __future__ import annotations

from aioec2._api._base import OperationsBase


class InstancesAPI(OperationsBase):
    """Operations on instances."""

    __slots__ = ()
