"""
What a model needs from EC2's answer before it can be built: its identifier, and keyed tags.

The policy for partial answers, the same for every model:

* A member EC2 did not send holds None (a scalar or a structure), an empty tuple (a list) or
  an empty :class:`~aioec2.models._base.Tags`. EC2 leaves out members that do not apply, and
  EC2-compatible endpoints (or a newer EC2) send fewer or more; neither breaks a model.
* The member that *identifies* the resource (``instanceId``, ``reservationId``, ``imageId``,
  ``groupId``, ``keyName``, ``regionName``, ``zoneName``; a tag's ``resourceId`` and ``key``)
  is required. A model without it could not be refreshed, waited on or changed, and the
  failure would surface later, far from its cause, as if the caller had passed a bad id. So a
  missing or empty identifier, or a tag item without a ``<key>``, raises
  :class:`~aioec2.errors.ResponseParseError` naming the element, when the answer is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aioec2.errors import ResponseParseError

__all__ = ["require"]


def require(kind: str, data: Mapping[str, Any], member: str) -> None:
    """
    Check that ``data`` carries ``member`` (a non-empty string) and that its tags have keys.

    Args:
        kind: the model's name for the message, e.g. ``"Instance"``.
        data: one parsed EC2 structure (members named as in the service model).
        member: the identifying member, e.g. ``"InstanceId"``.

    Raises:
        ResponseParseError: the identifier is missing or empty, or a tag has no key; the
            message names the XML element (``<instanceId>``, ``<tagSet><item><key>``).
    """
    value = data.get(member)
    if type(value) is not str or not value:
        raise ResponseParseError(
            f"EC2's answer has {_article(kind)} {kind} without <{_element(member)}>"
            + ("" if value is None else f" (got {str(value)[:40]!r})")
            + "; a partial or foreign answer, not parsed"
        )
    tags = data.get("Tags")
    if tags:
        for tag in tags:
            if not isinstance(tag, Mapping) or type(tag.get("Key")) is not str:
                raise ResponseParseError(
                    f"EC2's answer has a tag without <key> on {kind} {value!r}; not parsed"
                )


def _element(member: str) -> str:
    # EC2's XML names of these members are the member names in lowerCamelCase.
    return member[:1].lower() + member[1:]


def _article(kind: str) -> str:
    return "an" if kind[:1] in "AEIOU" else "a"
