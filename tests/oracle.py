"""
botocore as the oracle: parse EC2's bytes with botocore and with aioec2, and compare them.

The model and API tests send a call, keep the raw answer, parse it both ways and compare the
model's ``to_dict`` with botocore's parse after the one documented normalization
(:func:`without_empty_lists`).
"""

from __future__ import annotations

import functools
from typing import Any

import attrs
import botocore.parsers
import botocore.session

import aioec2
from aioec2._core.query import serialize_operation
from aioec2._core.xml import parse_shaped
from aioec2._operations import operation
from aioec2.models._base import Model


@functools.cache
def _botocore_ec2() -> Any:
    """botocore's EC2 service model, loaded once."""
    return botocore.session.get_session().get_service_model("ec2")


def botocore_parse(action: str, raw: bytes) -> dict[str, Any]:
    """Parse an EC2 answer with botocore's EC2 parser, the oracle, without ResponseMetadata."""
    output_shape = _botocore_ec2().operation_model(action).output_shape
    parsed: dict[str, Any] = botocore.parsers.EC2QueryParser().parse(
        {"body": raw, "headers": {}, "status_code": 200}, output_shape
    )
    parsed.pop("ResponseMetadata", None)
    return parsed


def our_parse(action: str, raw: bytes) -> dict[str, Any]:
    """Parse an EC2 answer with aioec2's parser, as Session.call does."""
    return parse_shaped(raw, operation(action).output, max_bytes=10_000_000)


def without_empty_lists(value: Any) -> Any:
    """Drop empty lists at every level: the one normalization between botocore and a model."""
    # Models hold every list as a tuple (empty when EC2 sent nothing), and ``to_dict`` gives it
    # back as a list; botocore leaves the key out when the element is missing.
    #
    # Timestamps need nothing: they compare as aware datetimes (botocore's tzutc and our UTC
    # name the same instants), and Image.CreationDate is EC2's string on both sides.
    if isinstance(value, dict):
        return {k: without_empty_lists(v) for k, v in value.items() if v != []}
    if isinstance(value, list):
        return [without_empty_lists(v) for v in value]
    return value


async def raw_answer(s: aioec2.Session, action: str, params: dict[str, Any]) -> bytes:
    """Send one typed call and return the raw bytes of EC2's answer."""
    body = serialize_operation(operation(action), params, version="2016-11-15", token=lambda: "t")
    return await s.send(action, body)


def wires(cls: type[Model]) -> set[str]:
    """The EC2 member names a model's fields hold."""
    return {f.metadata["wire"] for f in attrs.fields(cls) if "wire" in f.metadata}
