"""Typed EC2 operations: key pairs."""

from __future__ import annotations

from aioec2._api._base import OperationsBase


class KeyPairsAPI(OperationsBase):
    """Operations on key pairs."""

    __slots__ = ()
