"""Typed EC2 operations: key pairs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from aioec2._api._base import OperationsBase
from aioec2._api.tags import tag_specifications
from aioec2._validate import choice, id_list, non_empty_str, sendable
from aioec2._validate import filters as filter_list
from aioec2._validate_instances import flag
from aioec2.errors import ArgumentError

if TYPE_CHECKING:
    from aioec2.models.key_pair import KeyPair

__all__ = ["KeyPairsAPI"]

# CreateKeyPair: "KeyType ... Valid Values: rsa | ed25519"; key names are up to 255 ASCII
# characters.
_KEY_TYPES = frozenset({"rsa", "ed25519"})
_MAX_NAME = 255


class KeyPairsAPI(OperationsBase):
    """Operations on key pairs."""

    __slots__ = ()

    async def create_key_pair(
        self,
        name: str,
        *,
        key_type: str | None = None,
        tags: Mapping[str, str] | None = None,
        dry_run: bool = False,
    ) -> KeyPair:
        """
        Create a key pair; EC2 keeps the public key and hands out the private one once.

        Args:
            name: the key pair's name, e.g. ``"gsg-keypair"``.
            key_type: ``"rsa"`` (EC2's default) or ``"ed25519"``.
            tags: tags for the new key pair.
            dry_run: only check permissions; EC2 answers with ``DryRunOperation``.

        Returns:
            The key pair with ``material``, the private key (PEM or OpenSSH text): save it
            now, EC2 will not send it again. ``key_type`` is set only when given here.

        Raises:
            ArgumentError: a bad argument (nothing was sent).
            EC2APIError: e.g. ``InvalidKeyPair.Duplicate``.

        .. versionadded:: 0.1
        """
        _key_name("name", name)
        if key_type is not None:
            choice("key_type", key_type, _KEY_TYPES)
        out = await self.call(
            "CreateKeyPair",
            {
                "KeyName": name,
                "KeyType": key_type,
                "TagSpecifications": tag_specifications("key-pair", tags),
                "DryRun": flag("dry_run", dry_run) or None,
            },
        )
        from aioec2.models.key_pair import KeyPair  # noqa: PLC0415 - imported on first use

        # CreateKeyPair's answer has no KeyType member; the request states it.
        return attrs.evolve(KeyPair.from_parsed(out, session=self._as_session()), key_type=key_type)

    async def import_key_pair(
        self, name: str, public_key: str | bytes, *, tags: Mapping[str, str] | None = None
    ) -> KeyPair:
        """
        Import the public key of a key pair you made (``ImportKeyPair``).

        Args:
            name: the key pair's name.
            public_key: the public key, e.g. the text of ``~/.ssh/id_ed25519.pub``
                (OpenSSH, base64 DER or RFC 4716); a str is sent as its UTF-8 bytes. The SDK
                base64-encodes it, as EC2's ``PublicKeyMaterial`` blob requires.
            tags: tags for the key pair.

        Returns:
            The key pair, with its name, id, fingerprint and tags (no ``material``).

        Raises:
            ArgumentError: a bad argument (nothing was sent).
            EC2APIError: e.g. ``InvalidKey.Format`` for a key EC2 cannot read.

        .. versionadded:: 0.1
        """
        _key_name("name", name)
        if isinstance(public_key, str):
            public_key = sendable("public_key", public_key).encode("utf-8")
        if not isinstance(public_key, bytes):
            raise TypeError(f"public_key must be str or bytes, got {type(public_key).__name__}")
        if not public_key.strip():
            raise ArgumentError("public_key must not be empty")
        out = await self.call(
            "ImportKeyPair",
            {
                "KeyName": name,
                "PublicKeyMaterial": public_key,
                "TagSpecifications": tag_specifications("key-pair", tags),
            },
        )
        from aioec2.models.key_pair import KeyPair  # noqa: PLC0415 - imported on first use

        return KeyPair.from_parsed(out, session=self._as_session())

    async def describe_key_pairs(
        self,
        *,
        key_names: Iterable[str] = (),
        key_pair_ids: Iterable[str] = (),
        filters: Mapping[str, Any] | None = None,
        include_public_key: bool = False,
    ) -> list[KeyPair]:
        """
        Describe key pairs (``DescribeKeyPairs``; EC2 sends them all in one page).

        Args:
            key_names: names of key pairs.
            key_pair_ids: key pair ids (``key-...``).
            filters: e.g. ``{"key-name": "gsg-*"}``.
            include_public_key: also return each ``public_key``.

        Returns:
            The key pairs, without ``material``.

        Raises:
            NotFoundError: a named key pair does not exist (``InvalidKeyPair.NotFound``).

        .. versionadded:: 0.1
        """
        out = await self.call(
            "DescribeKeyPairs",
            {
                "KeyNames": id_list("key_names", key_names) or None,
                "KeyPairIds": id_list("key_pair_ids", key_pair_ids, prefix="key-") or None,
                "Filters": filter_list(filters) or None,
                "IncludePublicKey": flag("include_public_key", include_public_key) or None,
            },
        )
        from aioec2.models.key_pair import KeyPair  # noqa: PLC0415 - imported on first use

        session = self._as_session()
        return [KeyPair.from_parsed(k, session=session) for k in out.get("KeyPairs", ())]

    async def delete_key_pair(self, name: str) -> None:
        """
        Delete a key pair by name (``DeleteKeyPair``).

        EC2 answers success even when no key pair has that name.

        .. versionadded:: 0.1
        """
        await self.call("DeleteKeyPair", {"KeyName": _key_name("name", name)})


def _key_name(name: str, value: object) -> str:
    return non_empty_str(name, value, max_length=_MAX_NAME)
