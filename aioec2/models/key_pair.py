"""
Key pairs: what ``DescribeKeyPairs`` describes, and what ``CreateKeyPair`` hands out once.

See https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_KeyPairInfo.html and
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateKeyPair.html.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

import attrs

from aioec2.models._base import Model, Tags, wire
from aioec2.models._required import require

if TYPE_CHECKING:
    from aioec2.session import Session

__all__ = ["KeyPair"]


@attrs.frozen(kw_only=True, repr=False)
class KeyPair(Model):
    """
    A key pair: ``repr(kp) == "KeyPair:gsg-keypair"``.

    ``CreateKeyPair`` and ``ImportKeyPair`` answer with members named as in ``KeyPairInfo``
    (``KeyName``, ``KeyFingerprint``, ``KeyPairId``, ``Tags``), so one model holds all three.
    ``material`` is the private key (``KeyMaterial``): EC2 sends it only in the answer to
    ``CreateKeyPair``, so only that result has it. It never appears in ``repr`` or ``str``.

    .. versionadded:: 0.1
    """

    kind: ClassVar[str] = "KeyPair"
    name: str = wire("KeyName")
    id: str | None = wire("KeyPairId")
    fingerprint: str | None = wire("KeyFingerprint")
    key_type: str | None = wire("KeyType")
    public_key: str | None = wire("PublicKey")
    create_time: dt.datetime | None = wire("CreateTime")
    tags: Tags = wire("Tags", tags=True, default=Tags())
    material: str | None = wire("KeyMaterial")

    def __repr__(self) -> str:
        return f"KeyPair:{self.name}"

    @classmethod
    def from_parsed(cls, data: Mapping[str, Any], *, session: Session | None = None) -> Self:
        """
        Build the key pair from one parsed ``KeyPairInfo``.

        Raises:
            ResponseParseError: it has no ``keyName``, or a tag has no key
                (see :mod:`aioec2.models._required`).
        """
        require(cls.kind, data, "KeyName")
        return super().from_parsed(data, session=session)

    async def delete(self) -> None:
        """
        Delete the key pair from EC2 (``DeleteKeyPair``); a private key you saved still works.

        .. versionadded:: 0.1
        """
        await self.session.delete_key_pair(self.name)
