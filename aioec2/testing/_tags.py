"""Tags: CreateTags, DeleteTags, DescribeTags, and TagSpecification for the Create* calls."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from aioec2.testing._lookup import find_group, find_image, find_instances, is_id
from aioec2.testing._model import FakeError
from aioec2.testing._params import Params, match_filters, paginate

if TYPE_CHECKING:
    from aioec2.testing._state import EC2State, Handler

__all__ = ["HANDLERS", "check_tags", "tag_set", "tags_from_specs"]

# Tag restrictions: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html
_MAX_TAGS = 50
_MAX_KEY = 128
_MAX_VALUE = 256


def tag_set(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Render tags as EC2's ``tagSet`` items."""
    return [{"key": key, "value": value} for key, value in tags.items()]


def check_tags(current: Mapping[str, str], new: Mapping[str, str]) -> None:
    """Refuse tags EC2 refuses: reserved ``aws:`` keys, over-long ones, more than 50 in all."""
    for key, value in new.items():
        if key.lower().startswith("aws:"):
            raise FakeError(
                "InvalidParameterValue",
                "Tag keys starting with 'aws:' are reserved for internal use",
            )
        if not key or len(key) > _MAX_KEY:
            raise FakeError(
                "InvalidParameterValue", f"Tag key must be 1 to {_MAX_KEY} characters: '{key}'"
            )
        if len(value) > _MAX_VALUE:
            raise FakeError(
                "InvalidParameterValue", f"Tag value exceeds {_MAX_VALUE} characters for '{key}'"
            )
    if len({**current, **new}) > _MAX_TAGS:
        raise FakeError("TagLimitExceeded", f"The maximum number of tags ({_MAX_TAGS}) is reached")


def _tag_pairs(items: Iterable[Params]) -> dict[str, str]:
    return {item.require("Key"): item.get("Value") or "" for item in items}


def tags_from_specs(
    params: Params, resource_type: str, *, also: Iterable[str] = ()
) -> dict[str, str]:
    """
    Read ``TagSpecification.N`` and return the tags meant for ``resource_type``.

    Args:
        params: the request.
        resource_type: the type this call creates, e.g. ``"instance"``.
        also: other types the call accepts tags for (and the fake does not keep).

    Raises:
        FakeError: ``InvalidParameterValue`` for a type the call cannot tag.
    """
    allowed = {resource_type, *also}
    tags: dict[str, str] = {}
    for spec in params.structs("TagSpecification"):
        kind = spec.get("ResourceType")
        if kind not in allowed:
            raise FakeError(
                "InvalidParameterValue",
                f"'{kind}' is not a valid taggable resource type for this operation.",
            )
        if kind == resource_type:
            tags.update(_tag_pairs(spec.structs("Tag")))
    check_tags({}, tags)
    return tags


def _taggable(state: EC2State, resource_id: str) -> tuple[str, dict[str, str]]:
    # The resource type follows from the id's prefix, as in EC2.
    if resource_id.startswith("i-"):
        return "instance", find_instances(state, [resource_id])[0].tags
    if resource_id.startswith("ami-"):
        return "image", find_image(state, resource_id).tags
    if resource_id.startswith("sg-"):
        return "security-group", find_group(state, group_id=resource_id).tags
    if is_id("key", resource_id):
        for key_pair in state.key_pairs.values():
            if key_pair.id == resource_id and state.visible(key_pair.created_at):
                return "key-pair", key_pair.tags
        raise FakeError("InvalidKeyPair.NotFound", f"The key pair '{resource_id}' does not exist")
    raise FakeError("InvalidID", f"The ID '{resource_id}' is not valid")


def _resource_ids(params: Params) -> list[str]:
    ids = params.strings("ResourceId")
    if not ids:
        raise FakeError("MissingParameter", "The request must contain the parameter resourceIdSet")
    return ids


def _create_tags(state: EC2State, params: Params) -> dict[str, Any]:
    targets = [_taggable(state, rid)[1] for rid in _resource_ids(params)]
    new = _tag_pairs(params.structs("Tag"))
    for tags in targets:
        check_tags(tags, new)
    state.check_dry_run(params)
    for tags in targets:
        tags.update(new)
    return {"return": True}


def _delete_tags(state: EC2State, params: Params) -> dict[str, Any]:
    targets = [_taggable(state, rid)[1] for rid in _resource_ids(params)]
    wanted = [(item.require("Key"), item.get("Value")) for item in params.structs("Tag")]
    state.check_dry_run(params)
    for tags in targets:
        if not params.has("Tag"):
            tags.clear()  # no Tag.N: every user tag goes, as EC2 documents
        for key, value in wanted:
            # With a value (even ""), only a tag holding that value is deleted.
            if key in tags and (value is None or tags[key] == value):
                del tags[key]
    return {"return": True}


def _all_tags(state: EC2State) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    for instance in state.instances.values():
        if state.visible(instance.created_at):
            rows += [(instance.id, "instance", k, v) for k, v in instance.tags.items()]
    for image in state.images.values():
        rows += [(image.id, "image", k, v) for k, v in image.tags.items()]
    for group in state.groups.values():
        if state.visible(group.created_at):
            rows += [(group.id, "security-group", k, v) for k, v in group.tags.items()]
    for key_pair in state.key_pairs.values():
        if state.visible(key_pair.created_at):
            rows += [(key_pair.id, "key-pair", k, v) for k, v in key_pair.tags.items()]
    return sorted(rows)


def _describe_tags(state: EC2State, params: Params) -> dict[str, Any]:
    filters = params.filters()
    state.check_dry_run(params)
    fields = {
        "resource-id": lambda row: [row[0]],
        "resource-type": lambda row: [row[1]],
        "key": lambda row: [row[2]],
        "value": lambda row: [row[3]],
    }
    rows = [row for row in _all_tags(state) if match_filters(filters, row, fields)]
    numbered = list(enumerate(rows))
    page, token = paginate(numbered, params, key=lambda pair: pair[0])
    return {
        "tagSet": [
            {"resourceId": rid, "resourceType": kind, "key": key, "value": value}
            for _, (rid, kind, key, value) in page
        ],
        "nextToken": token,
    }


HANDLERS: dict[str, Handler] = {
    "CreateTags": _create_tags,
    "DeleteTags": _delete_tags,
    "DescribeTags": _describe_tags,
}
