"""Key pairs: CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from aioec2.testing._crypto import generate_ed25519, generate_rsa, parse_public_key
from aioec2.testing._lookup import find_key_pair
from aioec2.testing._model import FakeError, KeyPair
from aioec2.testing._params import Params, check_filters, match_filters
from aioec2.testing._tags import tag_set, tags_from_specs

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from aioec2.testing._state import EC2State, Handler

__all__ = ["HANDLERS"]

_MAX_NAME = 255


def _new_name(state: EC2State, params: Params) -> str:
    name = params.require("KeyName")
    if len(name) > _MAX_NAME or not name.isascii():
        raise FakeError(
            "InvalidParameterValue", f"Key names are up to {_MAX_NAME} ASCII characters: '{name}'"
        )
    # Checked against every key pair, visible or not: EC2's writes are consistent.
    if name in state.key_pairs:
        raise FakeError("InvalidKeyPair.Duplicate", f"The keypair '{name}' already exists.")
    return name


def _store(
    state: EC2State,
    name: str,
    *,
    fingerprint: str,
    key_type: str,
    public: str,
    tags: dict[str, str],
) -> KeyPair:
    now = state.now()
    key_pair = KeyPair(
        id=state.new_id("key"),
        name=name,
        fingerprint=fingerprint,
        key_type=key_type,
        public_key=public,
        created_at=now,
        create_time=state.wall(now),
        tags=tags,
    )
    state.key_pairs[name] = key_pair
    return key_pair


def _create(state: EC2State, params: Params) -> dict[str, Any]:
    name = _new_name(state, params)
    key_type = params.get("KeyType") or "rsa"
    if key_type not in ("rsa", "ed25519"):
        raise FakeError(
            "InvalidParameterValue", f"Value ({key_type}) for parameter keyType is invalid."
        )
    key_format = params.get("KeyFormat") or "pem"
    if key_format != "pem":
        # PuTTY's .ppk format is not produced by this fake.
        raise FakeError(
            "InvalidParameterValue", f"Value ({key_format}) for parameter keyFormat is invalid."
        )
    tags = tags_from_specs(params, "key-pair")
    state.check_dry_run(params)
    if key_type == "rsa":
        material, fingerprint, blob = generate_rsa(state.rng, state.rsa_key_bits)
        public = f"ssh-rsa {blob} {name}"
    else:
        material, fingerprint, blob = generate_ed25519(state.rng, name)
        public = f"ssh-ed25519 {blob} {name}"
    key_pair = _store(
        state, name, fingerprint=fingerprint, key_type=key_type, public=public, tags=tags
    )
    return {
        "keyName": name,
        "keyFingerprint": fingerprint,
        "keyMaterial": material,
        "keyPairId": key_pair.id,
        "tagSet": tag_set(tags) if tags else None,
    }


def _import(state: EC2State, params: Params) -> dict[str, Any]:
    name = _new_name(state, params)
    encoded = params.require("PublicKeyMaterial")
    try:
        # The wire carries the key file's bytes base64-encoded (a blob in EC2's model).
        text = base64.b64decode(encoded, validate=True).decode("ascii")
        key_type, fingerprint, public = parse_public_key(text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise FakeError(
            "InvalidKey.Format", "Key is not in valid OpenSSH public key format"
        ) from None
    tags = tags_from_specs(params, "key-pair")
    state.check_dry_run(params)
    key_pair = _store(
        state, name, fingerprint=fingerprint, key_type=key_type, public=public, tags=tags
    )
    return {
        "keyFingerprint": fingerprint,
        "keyName": name,
        "keyPairId": key_pair.id,
        "tagSet": tag_set(tags) if tags else None,
    }


_FIELDS: dict[str, Callable[[KeyPair], Iterable[str]]] = {
    "key-name": lambda k: [k.name],
    "key-pair-id": lambda k: [k.id],
    "fingerprint": lambda k: [k.fingerprint],
    "key-type": lambda k: [k.key_type],
}


def _describe(state: EC2State, params: Params) -> dict[str, Any]:
    names = params.strings("KeyName")
    ids = params.strings("KeyPairId")
    filters = params.filters()
    check_filters(filters, _FIELDS)
    chosen = [find_key_pair(state, name) for name in names]
    by_id = {k.id: k for k in state.key_pairs.values() if state.visible(k.created_at)}
    for key_id in ids:
        if key_id not in by_id:
            raise FakeError("InvalidKeyPair.NotFound", f"The key pair '{key_id}' does not exist")
        chosen.append(by_id[key_id])
    if not names and not ids:
        chosen = list(by_id.values())
    state.check_dry_run(params)
    include_public = params.boolean("IncludePublicKey")
    return {
        "keySet": [
            {
                "keyPairId": k.id,
                "keyType": k.key_type,
                "tagSet": tag_set(k.tags),
                "keyName": k.name,
                "keyFingerprint": k.fingerprint,
                "createTime": k.create_time,
                "publicKey": k.public_key if include_public else None,
            }
            for k in {k.id: k for k in chosen}.values()
            if match_filters(filters, k, _FIELDS, k.tags)
        ]
    }


def _delete(state: EC2State, params: Params) -> dict[str, Any]:
    name = params.get("KeyName")
    key_id = params.get("KeyPairId")
    if not name and not key_id:
        raise FakeError("MissingParameter", "The request must contain the parameter KeyName")
    state.check_dry_run(params)
    # EC2 answers true even for a key pair that does not exist: deleting is idempotent.
    for key_pair in list(state.key_pairs.values()):
        if key_pair.name == name or key_pair.id == key_id:
            del state.key_pairs[key_pair.name]
            return {"return": True, "keyPairId": key_pair.id}
    return {"return": True}


HANDLERS: dict[str, Handler] = {
    "CreateKeyPair": _create,
    "ImportKeyPair": _import,
    "DescribeKeyPairs": _describe,
    "DeleteKeyPair": _delete,
}
