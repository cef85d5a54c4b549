"""Typed EC2 operations: security groups."""

from __future__ import annotations

from aioec2._api._base import OperationsBase


class SecurityGroupsAPI(OperationsBase):
    """Operations on security groups."""

    __slots__ = ()
