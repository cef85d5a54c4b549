"""Image operations: exact requests on a scripted server; launch permissions on moto and FakeEC2."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import aioec2
from aioec2.errors import ArgumentError, NotFoundError
from aioec2.models.image import Image, LaunchPermissions
from aioec2.testing import set_testing
from tests.conftest import Endpoint
from tests.fixtures_ec2 import IMAGES_XML, invoke, ok, session_at, session_on, unique
from tests.servers.scripted import Reply, ScriptedServer, ec2_error


def images_page(*ids: str, next_token: str | None = None) -> Reply:
    """A DescribeImages page listing images with these ids."""
    items = b"".join(
        b"<item><imageId>" + i.encode() + b"</imageId><imageState>available</imageState></item>"
        for i in ids
    )
    token = b"" if next_token is None else b"<nextToken>" + next_token.encode() + b"</nextToken>"
    return ok("DescribeImages", b"<imagesSet>" + items + b"</imagesSet>" + token)


PERMISSIONS = ok(
    "DescribeImageAttribute",
    b"<imageId>ami-1a2b3c4d</imageId><launchPermission>"
    b"<item><userId>123456789012</userId></item><item><group>all</group></item>"
    b"</launchPermission>",
)


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """Retries happen at once."""
    with set_testing(True):
        yield


# -- requests on the wire ------------------------------------------------------------------


async def test_describe_images_sends_every_argument() -> None:
    """describe_images sends ids, owners, executable users, filters and IncludeDeprecated."""
    async with ScriptedServer([Reply(200, IMAGES_XML)]) as srv, session_at(srv.url) as s:
        images = await s.describe_images(
            image_ids=["ami-1a2b3c4d"],
            owners=["amazon", "self"],
            executable_users=["self"],
            filters={"architecture": ["x86_64"], "name": "amzn2-*"},
            include_deprecated=True,
        )
    assert (
        b"Action=DescribeImages&Version=2016-11-15&ExecutableBy.1=self"
        b"&Filter.1.Name=architecture&Filter.1.Value.1=x86_64"
        b"&Filter.2.Name=name&Filter.2.Value.1=amzn2-%2A"
        b"&ImageId.1=ami-1a2b3c4d&IncludeDeprecated=true&Owner.1=amazon&Owner.2=self"
    ) == srv.seen[0].body
    assert ["ami-1a2b3c4d"] == [i.id for i in images]
    assert s is images[0].session


async def test_describe_images_follows_every_page() -> None:
    """describe_images follows NextToken and returns the images of every page in order."""
    script = [images_page("ami-1", "ami-2", next_token="t1"), images_page("ami-3")]
    async with ScriptedServer(script) as srv, session_at(srv.url) as s:
        images = await s.describe_images(owners=["self"])
    assert ["ami-1", "ami-2", "ami-3"] == [i.id for i in images]
    assert b"Action=DescribeImages&Version=2016-11-15&Owner.1=self" == srv.seen[0].body
    assert b"Action=DescribeImages&Version=2016-11-15&NextToken=t1&Owner.1=self" == (
        srv.seen[1].body
    )


async def test_get_all_images_is_describe_images() -> None:
    """get_all_images sends what describe_images sends and returns the same images."""
    async with ScriptedServer(default=images_page("ami-1")) as srv, session_at(srv.url) as s:
        described = await s.describe_images(owners=["amazon"], filters={"name": "x"})
        aliased = await s.get_all_images(owners=["amazon"], filters={"name": "x"})
    assert described == aliased
    assert srv.seen[0].body == srv.seen[1].body


async def test_get_image_returns_the_image() -> None:
    """get_image asks for one id and returns that Image."""
    async with ScriptedServer([Reply(200, IMAGES_XML)]) as srv, session_at(srv.url) as s:
        image = await s.get_image("ami-1a2b3c4d")
    assert "Image:ami-1a2b3c4d" == repr(image)
    assert b"Action=DescribeImages&Version=2016-11-15&ImageId.1=ami-1a2b3c4d" == srv.seen[0].body


async def test_get_image_of_an_empty_answer_is_not_found() -> None:
    """An empty imagesSet for the asked id raises NotFoundError with EC2's code."""
    async with ScriptedServer([images_page()]) as srv, session_at(srv.url) as s:
        with pytest.raises(NotFoundError) as caught:
            await s.get_image("ami-0000")
    assert "InvalidAMIID.NotFound" == caught.value.code
    assert "ami-0000" in caught.value.message


async def test_get_image_passes_ec2s_not_found_on() -> None:
    """EC2's own InvalidAMIID.NotFound error reaches the caller as NotFoundError."""
    script = [ec2_error("InvalidAMIID.NotFound", "The image id '[ami-0000]' does not exist")]
    async with ScriptedServer(script) as srv, session_at(srv.url) as s:
        with pytest.raises(NotFoundError, match="ami-0000"):
            await s.get_image("ami-0000")
    assert 1 == len(srv.seen)


async def test_describe_image_attribute_returns_the_parsed_output() -> None:
    """describe_image_attribute sends Attribute and ImageId and returns botocore-named output."""
    async with ScriptedServer([PERMISSIONS]) as srv, session_at(srv.url) as s:
        result = await s.describe_image_attribute("ami-1a2b3c4d")
    assert (
        b"Action=DescribeImageAttribute&Version=2016-11-15"
        b"&Attribute=launchPermission&ImageId=ami-1a2b3c4d"
    ) == srv.seen[0].body
    assert {
        "ImageId": "ami-1a2b3c4d",
        "LaunchPermissions": [{"UserId": "123456789012"}, {"Group": "all"}],
    } == result


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"operation_type": "add", "user_ids": ["123456789012"], "groups": ["all"]},
            b"&Attribute=launchPermission&ImageId=ami-1"
            b"&LaunchPermission.Add.1.UserId=123456789012&LaunchPermission.Add.2.Group=all",
        ),
        (
            {"operation_type": "remove", "user_ids": ["123456789012"]},
            b"&Attribute=launchPermission&ImageId=ami-1"
            b"&LaunchPermission.Remove.1.UserId=123456789012",
        ),
        (
            {"launch_permission": {"Add": [{"Group": "all"}], "Remove": [{"UserId": "1"}]}},
            b"&Attribute=launchPermission&ImageId=ami-1"
            b"&LaunchPermission.Add.1.Group=all&LaunchPermission.Remove.1.UserId=1",
        ),
        (
            {"description": "web server"},
            b"&Attribute=description&Description.Value=web%20server&ImageId=ami-1",
        ),
    ],
    ids=["add", "remove", "structured", "description"],
)
async def test_modify_image_attribute_sends_the_structured_form(
    kwargs: dict[str, Any], expected: bytes
) -> None:
    """modify_image_attribute sends LaunchPermission.Add/Remove (or Description.Value)."""
    async with ScriptedServer([ok("ModifyImageAttribute")]) as srv, session_at(srv.url) as s:
        await s.modify_image_attribute("ami-1", **kwargs)
    assert b"Action=ModifyImageAttribute&Version=2016-11-15" + expected == srv.seen[0].body


async def test_reset_image_attribute_request() -> None:
    """reset_image_attribute sends ResetImageAttribute for launchPermission (scripted server)."""
    async with ScriptedServer([ok("ResetImageAttribute")]) as srv, session_at(srv.url) as s:
        await s.reset_image_attribute("ami-1")
    assert (
        b"Action=ResetImageAttribute&Version=2016-11-15&Attribute=launchPermission&ImageId=ami-1"
    ) == srv.seen[0].body


async def test_image_methods_send_their_calls() -> None:
    """The Image launch-permission methods and refresh() send the matching requests."""
    script = [
        Reply(200, IMAGES_XML),
        PERMISSIONS,
        ok("ModifyImageAttribute"),
        ok("ModifyImageAttribute"),
        ok("ResetImageAttribute"),
        Reply(200, IMAGES_XML.replace(b">available<", b">deregistered<")),
    ]
    async with ScriptedServer(script) as srv, session_at(srv.url) as s:
        image = await s.get_image("ami-1a2b3c4d")
        permissions = await image.get_launch_permissions()
        await image.set_launch_permissions(user_ids=["123456789012"])
        await image.remove_launch_permissions(groups=["all"])
        await image.reset_launch_permissions()
        fresh = await image.refresh()
    assert LaunchPermissions(user_ids=("123456789012",), groups=("all",)) == permissions
    bodies = [seen.body.split(b"&", 2)[2] for seen in srv.seen[1:5]]
    assert [
        b"Attribute=launchPermission&ImageId=ami-1a2b3c4d",
        b"Attribute=launchPermission&ImageId=ami-1a2b3c4d"
        b"&LaunchPermission.Add.1.UserId=123456789012",
        b"Attribute=launchPermission&ImageId=ami-1a2b3c4d&LaunchPermission.Remove.1.Group=all",
        b"Attribute=launchPermission&ImageId=ami-1a2b3c4d",
    ] == bodies
    assert ("available", "deregistered") == (image.state, fresh.state)


# -- arguments are checked before anything is sent -----------------------------------------

# The session is Any here: these calls pass wrong types on purpose.
_Call = Callable[[Any], Any]

BAD_CALLS: list[tuple[str, _Call, type[Exception], str]] = [
    ("lone-id", lambda s: s.describe_images(image_ids="ami-1"), TypeError, "image_ids"),
    ("owners-int", lambda s: s.describe_images(owners=5), TypeError, "owners"),
    ("empty-owner", lambda s: s.describe_images(owners=[""]), ArgumentError, "owners"),
    ("users-str", lambda s: s.describe_images(executable_users="self"), TypeError,
     "executable_users"),
    ("filters-list", lambda s: s.describe_images(filters=[("a", "b")]), TypeError, "filters"),
    ("deprecated-str", lambda s: s.describe_images(include_deprecated="yes"), TypeError,
     "include_deprecated"),
    ("get-empty", lambda s: s.get_image(""), ArgumentError, "image_id"),
    ("get-none", lambda s: s.get_image(None), TypeError, "image_id"),
    ("attr-image", lambda s: s.describe_image_attribute(""), ArgumentError, "image_id"),
    ("attr-name", lambda s: s.describe_image_attribute("ami-1", attribute=""), ArgumentError,
     "attribute"),
    ("modify-nothing", lambda s: s.modify_image_attribute("ami-1"), ArgumentError,
     "nothing to modify"),
    ("modify-op", lambda s: s.modify_image_attribute("ami-1", operation_type="append",
     user_ids=["1"]), ArgumentError, "operation_type"),
    ("modify-no-op", lambda s: s.modify_image_attribute("ami-1", user_ids=["1"]), ArgumentError,
     "operation_type"),
    ("modify-op-alone", lambda s: s.modify_image_attribute("ami-1", operation_type="add"),
     ArgumentError, "operation_type"),
    ("modify-both", lambda s: s.modify_image_attribute("ami-1", operation_type="add",
     groups=["all"], description="d"), ArgumentError, "description"),
    ("modify-lp", lambda s: s.modify_image_attribute("ami-1", launch_permission=[]), TypeError,
     "launch_permission"),
    ("modify-users", lambda s: s.modify_image_attribute("ami-1", operation_type="add",
     user_ids="123"), TypeError, "user_ids"),
    ("reset-image", lambda s: s.reset_image_attribute(""), ArgumentError, "image_id"),
    ("set-nothing", lambda s: Image(id="ami-1", session=s).set_launch_permissions(),
     ArgumentError, "user_ids or groups"),
    ("remove-groups", lambda s: Image(id="ami-1", session=s).remove_launch_permissions(
     groups="all"), TypeError, "groups"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "error", "name"), [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS]
)
async def test_bad_arguments_fail_before_sending(
    call: _Call, error: type[Exception], name: str
) -> None:
    """Each malformed argument raises a clear error naming it, and no request is sent."""
    async with ScriptedServer() as srv, session_at(srv.url) as s:
        with pytest.raises(error, match=name):
            await invoke(call, s)
    assert 0 == len(srv.seen)


# -- against moto and FakeEC2 ----------------------------------------------------------------


async def _registered_image(s: aioec2.Session, name: str) -> Image:
    """Register a fresh, private image of our own (Amazon's images are not ours to share)."""
    registered = await s.request("RegisterImage", {"Name": name})
    return await s.get_image(registered["imageId"])


async def test_launch_permissions(ec2_endpoint: Endpoint) -> None:
    """Adding and removing users and the public group shows in get_launch_permissions."""
    steps: list[LaunchPermissions] = []
    async with session_on(ec2_endpoint) as s:
        image = await _registered_image(s, unique("permissions-test"))
        steps.append(await image.get_launch_permissions())
        await image.set_launch_permissions(user_ids=["123456789012"])
        steps.append(await image.get_launch_permissions())
        await image.set_launch_permissions(groups=["all"])
        steps.append(await image.get_launch_permissions())
        await image.remove_launch_permissions(user_ids=["123456789012"])
        steps.append(await image.get_launch_permissions())
        await image.remove_launch_permissions(groups=["all"])
        steps.append(await image.get_launch_permissions())
    assert [
        LaunchPermissions(),
        LaunchPermissions(user_ids=("123456789012",)),
        LaunchPermissions(user_ids=("123456789012",), groups=("all",)),
        LaunchPermissions(groups=("all",)),
        LaunchPermissions(),
    ] == steps


async def test_describe_images_filters(ec2_endpoint: Endpoint) -> None:
    """Owner and filter arguments narrow the answer as EC2's would."""
    prefix = unique("filter-test")
    async with session_on(ec2_endpoint) as s:
        mine = await _registered_image(s, f"{prefix}-image")
        found = await s.describe_images(owners=["self"], filters={"name": f"{prefix}-*"})
        amazon = await s.describe_images(owners=["amazon"], filters={"name": [mine.name or ""]})
    assert [mine] == found
    assert [] == amazon


async def test_get_image_unknown(ec2_endpoint: Endpoint) -> None:
    """An unknown image id is a NotFoundError with InvalidAMIID.NotFound."""
    async with session_on(ec2_endpoint) as s:
        with pytest.raises(NotFoundError) as caught:
            await s.get_image("ami-00000000000000000")
    assert "InvalidAMIID.NotFound" == caught.value.code


@pytest.mark.moto_gap(reason="moto has no ResetImageAttribute")
async def test_reset_launch_permissions(ec2_endpoint: Endpoint) -> None:
    """reset_launch_permissions makes a shared image private again."""
    async with session_on(ec2_endpoint) as s:
        image = await _registered_image(s, unique("reset-test"))
        await image.set_launch_permissions(groups=["all"])
        await image.reset_launch_permissions()
        assert LaunchPermissions() == await image.get_launch_permissions()
