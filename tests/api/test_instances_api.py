"""Instance operations: exact requests, idempotent retries, paging; the tutorial on two EC2s."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

import aioec2
from aioec2.errors import ArgumentError, DryRunOperation, NotFoundError
from aioec2.models.image import Image
from aioec2.models.instance import InstanceState, InstanceStateChange, Reservation
from aioec2.testing import set_testing
from tests.conftest import Endpoint
from tests.fixtures_ec2 import (
    invoke,
    key_pair,
    ok,
    session_at,
    session_on,
    settle_at_once,
    unique,
)
from tests.servers.scripted import Drop, Reply, ScriptedServer, ec2_error


def instance_xml(instance_id: str, state: str = "pending", code: int = 0) -> bytes:
    """One <item> of an instancesSet."""
    return (
        f"<item><instanceId>{instance_id}</instanceId><imageId>ami-1</imageId>"
        f"<instanceState><code>{code}</code><name>{state}</name></instanceState>"
        "<launchTime>2024-05-01T12:00:00.000Z</launchTime></item>"
    ).encode()


def reservation_xml(reservation_id: str, *instance_ids: str, state: str = "running") -> bytes:
    """One <item> of a reservationSet."""
    code = {"pending": 0, "running": 16, "stopped": 80}[state]
    items = b"".join(instance_xml(i, state, code) for i in instance_ids)
    return (
        b"<item><reservationId>" + reservation_id.encode() + b"</reservationId>"
        b"<ownerId>123456789012</ownerId><instancesSet>" + items + b"</instancesSet></item>"
    )


def describe_page(*reservations: bytes, next_token: str | None = None) -> Reply:
    """A DescribeInstances page."""
    token = b"" if next_token is None else b"<nextToken>" + next_token.encode() + b"</nextToken>"
    return ok(
        "DescribeInstances", b"<reservationSet>" + b"".join(reservations) + b"</reservationSet>"
        + token,
    )  # fmt: skip


RUN_REPLY = ok(
    "RunInstances",
    b"<reservationId>r-1</reservationId><ownerId>123456789012</ownerId><groupSet/>"
    b"<instancesSet>" + instance_xml("i-1") + instance_xml("i-2") + b"</instancesSet>",
)


def changes_reply(action: str, previous: str, current: str, *ids: str) -> Reply:
    """A TerminateInstances/StopInstances/StartInstances answer."""
    codes = {"pending": 0, "running": 16, "shutting-down": 32, "stopping": 64, "stopped": 80}
    items = b"".join(
        f"<item><instanceId>{i}</instanceId>"
        f"<currentState><code>{codes[current]}</code><name>{current}</name></currentState>"
        f"<previousState><code>{codes[previous]}</code><name>{previous}</name></previousState>"
        "</item>".encode()
        for i in ids
    )
    return ok(action, b"<instancesSet>" + items + b"</instancesSet>")


def form(body: bytes) -> dict[str, list[str]]:
    """Decode a request body."""
    return parse_qs(body.decode(), keep_blank_values=True)


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """Retries happen at once."""
    with set_testing(True):
        yield


# -- run_instances ---------------------------------------------------------------------------


async def test_run_instances_sends_every_argument() -> None:
    """run_instances sends each argument under its EC2 name, user data base64-encoded."""
    async with ScriptedServer([RUN_REPLY]) as srv, session_at(srv.url) as s:
        reservation = await s.run_instances(
            "ami-1",
            min_count=1,
            max_count=2,
            key_name="gsg-keypair",
            security_groups=["default"],
            security_group_ids=["sg-1"],
            user_data="hi",
            instance_type="t3.micro",
            subnet_id="subnet-1",
            tags={"Name": "web", "env": "prod"},
            client_token="my-token-1",
        )
    assert (
        b"Action=RunInstances&Version=2016-11-15&ClientToken=my-token-1&ImageId=ami-1"
        b"&InstanceType=t3.micro&KeyName=gsg-keypair&MaxCount=2&MinCount=1"
        b"&SecurityGroupId.1=sg-1&SecurityGroup.1=default&SubnetId=subnet-1"
        b"&TagSpecification.1.ResourceType=instance"
        b"&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=web"
        b"&TagSpecification.1.Tag.2.Key=env&TagSpecification.1.Tag.2.Value=prod"
        b"&UserData=aGk%3D"
    ) == srv.seen[0].body
    assert "Reservation:r-1" == repr(reservation)
    assert ["pending", "pending"] == [i.state for i in reservation.instances]
    assert s is reservation.session
    assert s is reservation.instances[1].session


async def test_run_instances_defaults_send_one_instance_and_a_token() -> None:
    """With only an image id, one instance is asked for and a UUID ClientToken is generated."""
    async with ScriptedServer([RUN_REPLY]) as srv, session_at(srv.url) as s:
        await s.run_instances("ami-1")
    sent = form(srv.seen[0].body)
    token = sent.pop("ClientToken")[0]
    assert 4 == uuid.UUID(token).version
    assert {
        "Action": ["RunInstances"],
        "Version": ["2016-11-15"],
        "ImageId": ["ami-1"],
        "MaxCount": ["1"],
        "MinCount": ["1"],
    } == sent


async def test_user_data_bytes_are_encoded_as_given() -> None:
    """Bytes user data is base64-encoded byte for byte (no text decoding)."""
    payload = bytes(range(256))
    async with ScriptedServer([RUN_REPLY]) as srv, session_at(srv.url) as s:
        await s.run_instances("ami-1", user_data=payload)
    assert [base64.b64encode(payload).decode()] == form(srv.seen[0].body)["UserData"]


@pytest.mark.parametrize(
    "failure",
    [ec2_error("ServiceUnavailable", "try again", status=503), Drop()],
    ids=["503", "dropped-connection"],
)
async def test_client_token_is_the_same_across_retries(failure: Reply | Drop) -> None:
    """A retried RunInstances resends the very same ClientToken, so EC2 launches once."""
    async with ScriptedServer([failure, RUN_REPLY]) as srv, session_at(srv.url) as s:
        reservation = await s.run_instances("ami-1", max_count=2)
    assert 2 == len(srv.seen)
    first, second = (form(seen.body)["ClientToken"] for seen in srv.seen)
    assert first == second
    assert srv.seen[0].body == srv.seen[1].body
    assert 2 == len(reservation.instances)


async def test_given_client_token_is_kept_across_retries() -> None:
    """A caller's client_token is sent as is, on every attempt."""
    script = [ec2_error("InternalError", status=500), RUN_REPLY]
    async with ScriptedServer(script) as srv, session_at(srv.url) as s:
        await s.run_instances("ami-1", client_token="launch-42")
    assert [["launch-42"], ["launch-42"]] == [form(x.body)["ClientToken"] for x in srv.seen]


async def test_each_call_gets_its_own_token() -> None:
    """Two separate run_instances calls carry different generated tokens."""
    async with ScriptedServer(default=RUN_REPLY) as srv, session_at(srv.url) as s:
        await s.run_instances("ami-1")
        await s.run_instances("ami-1")
    first, second = (form(x.body)["ClientToken"] for x in srv.seen)
    assert first != second


async def test_dry_run_raises_after_one_request() -> None:
    """dry_run=True sends DryRun=true once; EC2's 412 DryRunOperation is raised, not retried."""
    script = [ec2_error("DryRunOperation", "Request would have succeeded", status=412)]
    async with ScriptedServer(script, default=RUN_REPLY) as srv, session_at(srv.url) as s:
        with pytest.raises(DryRunOperation):
            await s.run_instances("ami-1", dry_run=True)
    assert 1 == len(srv.seen)
    assert ["true"] == form(srv.seen[0].body)["DryRun"]


async def test_image_run_takes_the_tutorials_positionals() -> None:
    """image.run(2, 2, "gsg-keypair") sends MinCount, MaxCount and KeyName."""
    async with ScriptedServer([RUN_REPLY]) as srv, session_at(srv.url) as s:
        image = Image(id="ami-1", session=s)
        reservation = await image.run(2, 2, "gsg-keypair", security_groups=["web"], user_data="x")
    sent = form(srv.seen[0].body)
    assert (["2"], ["2"], ["gsg-keypair"], ["web"], ["eA=="]) == (
        sent["MinCount"],
        sent["MaxCount"],
        sent["KeyName"],
        sent["SecurityGroup.1"],
        sent["UserData"],
    )
    assert 2 == len(reservation.instances)


# -- describing --------------------------------------------------------------------------------


async def test_describe_instances_sends_ids_and_filters() -> None:
    """Ids go out as InstanceId.N and a filter mapping as Filter.N.Name / Filter.N.Value.M."""
    async with ScriptedServer([describe_page()]) as srv, session_at(srv.url) as s:
        result = await s.describe_instances(
            instance_ids=["i-1", "i-2"],
            filters={"instance-state-name": ["running", "pending"], "tag:env": "prod"},
        )
    assert (
        b"Action=DescribeInstances&Version=2016-11-15"
        b"&Filter.1.Name=instance-state-name&Filter.1.Value.1=running&Filter.1.Value.2=pending"
        b"&Filter.2.Name=tag%3Aenv&Filter.2.Value.1=prod&InstanceId.1=i-1&InstanceId.2=i-2"
    ) == srv.seen[0].body
    assert [] == result


THREE_PAGES = [
    describe_page(reservation_xml("r-1", "i-1", "i-2"), next_token="page-2"),
    describe_page(reservation_xml("r-2", "i-3"), next_token="page-3"),
    describe_page(reservation_xml("r-3", "i-4")),
]


async def test_describe_instances_follows_every_page() -> None:
    """describe_instances follows NextToken across three pages and returns every reservation."""
    async with ScriptedServer(THREE_PAGES) as srv, session_at(srv.url) as s:
        reservations = await s.describe_instances(filters={"tag:env": "prod"})
    assert ["r-1", "r-2", "r-3"] == [r.id for r in reservations]
    assert [[], ["page-2"], ["page-3"]] == [form(x.body).get("NextToken", []) for x in srv.seen]
    assert all(["prod"] == form(x.body)["Filter.1.Value.1"] for x in srv.seen)


async def test_get_all_instances_is_describe_instances() -> None:
    """get_all_instances returns what describe_instances returns, from the same requests."""
    async with ScriptedServer(THREE_PAGES * 2) as srv, session_at(srv.url) as s:
        described = await s.describe_instances()
        aliased = await s.get_all_instances()
    assert described == aliased
    assert [x.body for x in srv.seen[:3]] == [x.body for x in srv.seen[3:]]


async def test_iter_instances_fetches_one_page_at_a_time() -> None:
    """iter_instances sends the next request only when the previous page is used up."""
    async with ScriptedServer(THREE_PAGES) as srv, session_at(srv.url) as s:
        instances = s.iter_instances(page_size=5)
        assert 0 == len(srv.seen)
        first = [await anext(instances), await anext(instances)]
        assert 1 == len(srv.seen)
        rest = [i async for i in instances]
    assert ["i-1", "i-2"] == [i.id for i in first]
    assert ["i-3", "i-4"] == [i.id for i in rest]
    assert 3 == len(srv.seen)
    assert [["5"]] * 3 == [form(x.body)["MaxResults"] for x in srv.seen]


async def test_iter_reservations_stops_where_the_caller_stops() -> None:
    """Breaking out after the first reservation leaves the other pages unrequested."""
    async with ScriptedServer(THREE_PAGES) as srv, session_at(srv.url) as s:
        async for reservation in s.iter_reservations(filters={"instance-state-name": "running"}):
            assert "r-1" == reservation.id
            break
    assert 1 == len(srv.seen)


async def test_get_instance_returns_the_instance() -> None:
    """get_instance describes one id and returns that Instance."""
    script = [describe_page(reservation_xml("r-1", "i-1"))]
    async with ScriptedServer(script) as srv, session_at(srv.url) as s:
        instance = await s.get_instance("i-1")
    assert ("Instance:i-1", "running", 16) == (repr(instance), instance.state, instance.state_code)
    assert b"Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-1" == srv.seen[0].body


async def test_get_instance_of_an_empty_answer_is_not_found() -> None:
    """No reservation for the asked id raises NotFoundError with InvalidInstanceID.NotFound."""
    async with ScriptedServer([describe_page()]) as srv, session_at(srv.url) as s:
        with pytest.raises(NotFoundError) as caught:
            await s.get_instance("i-0")
    assert "InvalidInstanceID.NotFound" == caught.value.code
    assert 1 == len(srv.seen)


# -- state changes -----------------------------------------------------------------------------


async def test_state_change_operations() -> None:
    """terminate/stop/start send InstanceId.N (and Force) and return InstanceStateChanges."""
    script = [
        changes_reply("TerminateInstances", "running", "shutting-down", "i-1", "i-2"),
        changes_reply("StopInstances", "running", "stopping", "i-3"),
        changes_reply("StartInstances", "stopped", "pending", "i-3"),
        ok("RebootInstances"),
    ]
    async with ScriptedServer(script) as srv, session_at(srv.url) as s:
        terminated = await s.terminate_instances(["i-1", "i-2"])
        stopped = await s.stop_instances(("i-3",), force=True)
        started = await s.start_instances(["i-3"])
        await s.reboot_instances(["i-3"])
    assert [
        b"Action=TerminateInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.2=i-2",
        b"Action=StopInstances&Version=2016-11-15&Force=true&InstanceId.1=i-3",
        b"Action=StartInstances&Version=2016-11-15&InstanceId.1=i-3",
        b"Action=RebootInstances&Version=2016-11-15&InstanceId.1=i-3",
    ] == [x.body for x in srv.seen]
    assert (
        InstanceStateChange(
            instance_id="i-1",
            current_state=InstanceState(name="shutting-down", code=32),
            previous_state=InstanceState(name="running", code=16),
        )
        == terminated[0]
    )
    assert ["i-1", "i-2"] == [c.instance_id for c in terminated]
    assert "stopping" == stopped[0].current_state.name  # type: ignore[union-attr]
    assert "pending" == started[0].current_state.name  # type: ignore[union-attr]


async def test_instance_methods_send_their_calls() -> None:
    """Instance.terminate/stop/start/reboot/refresh/update act on that one instance."""
    script = [
        describe_page(reservation_xml("r-1", "i-1")),
        changes_reply("StopInstances", "running", "stopping", "i-1"),
        changes_reply("StartInstances", "stopped", "pending", "i-1"),
        ok("RebootInstances"),
        describe_page(reservation_xml("r-1", "i-1", state="stopped")),
        describe_page(reservation_xml("r-1", "i-1", state="stopped")),
        changes_reply("TerminateInstances", "running", "shutting-down", "i-1"),
    ]
    async with ScriptedServer(script) as srv, session_at(srv.url) as s:
        instance = await s.get_instance("i-1")
        stop = await instance.stop()
        start = await instance.start()
        await instance.reboot()
        fresh = await instance.refresh()
        updated = await instance.update()
        end = await instance.terminate()
    assert ["stopping", "pending", "shutting-down"] == [
        c.current_state.name  # type: ignore[union-attr]
        for c in (stop, start, end)
    ]
    assert ("running", "stopped") == (instance.state, fresh.state)
    assert fresh == updated
    assert ["DescribeInstances", "StopInstances", "StartInstances", "RebootInstances",
            "DescribeInstances", "DescribeInstances", "TerminateInstances"] == [
        form(x.body)["Action"][0] for x in srv.seen
    ]  # fmt: skip
    assert all(["i-1"] == form(x.body)["InstanceId.1"] for x in srv.seen)
    assert "Force" not in form(srv.seen[1].body)


async def test_terminate_all_sends_one_request() -> None:
    """Reservation.terminate_all terminates every instance in one TerminateInstances call."""
    script = [
        RUN_REPLY,
        changes_reply("TerminateInstances", "pending", "shutting-down", "i-1", "i-2"),
    ]
    async with ScriptedServer(script) as srv, session_at(srv.url) as s:
        reservation = await s.run_instances("ami-1", max_count=2)
        changes = await reservation.terminate_all()
    assert b"Action=TerminateInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.2=i-2" == (
        srv.seen[1].body
    )
    assert ["i-1", "i-2"] == [c.instance_id for c in changes]


async def test_missing_state_change_is_a_parse_error() -> None:
    """An answer without a change for the instance raises ResponseParseError, not IndexError."""
    script = [changes_reply("TerminateInstances", "running", "shutting-down", "i-other")]
    async with ScriptedServer(script) as srv, session_at(srv.url) as s:
        with pytest.raises(aioec2.errors.ResponseParseError, match="i-1"):
            await (
                Reservation.from_parsed(
                    {"ReservationId": "r-1", "Instances": [{"InstanceId": "i-1"}]}, session=s
                )
                .instances[0]
                .terminate()
            )


# -- arguments are checked before anything is sent -----------------------------------------

# The session is Any here: these calls pass wrong types on purpose.
_Call = Callable[[Any], Any]


def _run(**kwargs: Any) -> _Call:
    """A run_instances call with these arguments (image "ami-1" unless given)."""
    return lambda s: s.run_instances(kwargs.pop("image_id", "ami-1"), **kwargs)


BAD_CALLS: list[tuple[str, _Call, type[Exception], str]] = [
    ("empty-image", _run(image_id=""), ArgumentError, "image_id"),
    ("image-int", _run(image_id=5), TypeError, "image_id"),
    ("negative-min", _run(min_count=-1), ArgumentError, "min_count"),
    ("zero-max", _run(max_count=0), ArgumentError, "max_count"),
    ("min-above-max", _run(min_count=3, max_count=2), ArgumentError, "min_count"),
    ("bool-count", _run(min_count=True), TypeError, "min_count"),
    ("float-count", _run(max_count=2.0), TypeError, "max_count"),
    ("str-count", _run(min_count="1"), TypeError, "min_count"),
    ("user-data-int", _run(user_data=123), TypeError, "user_data"),
    ("user-data-big", _run(user_data=b"x" * 16385), ArgumentError, "user_data"),
    ("tags-list", _run(tags=[("Name", "web")]), TypeError, "tags"),
    ("tag-value-int", _run(tags={"n": 1}), TypeError, "tags"),
    ("tag-key-int", _run(tags={1: "a"}), TypeError, "tags"),
    ("tag-key-empty", _run(tags={"": "a"}), ArgumentError, "tags"),
    ("tag-too-many", _run(tags={f"k{i}": "v" for i in range(51)}), ArgumentError, "tags"),
    ("key-empty", _run(key_name=""), ArgumentError, "key_name"),
    ("key-int", _run(key_name=5), TypeError, "key_name"),
    ("groups-str", _run(security_groups="default"), TypeError, "security_groups"),
    ("group-ids-empty", _run(security_group_ids=[""]), ArgumentError, "security_group_ids"),
    ("type-int", _run(instance_type=5), TypeError, "instance_type"),
    ("subnet-empty", _run(subnet_id=""), ArgumentError, "subnet_id"),
    ("token-long", _run(client_token="x" * 65), ArgumentError, "client_token"),
    ("token-int", _run(client_token=5), TypeError, "client_token"),
    ("dry-run-str", _run(dry_run="yes"), TypeError, "dry_run"),
    ("image-run-zero", lambda s: Image(id="ami-1", session=s).run(0), ArgumentError, "min_count"),
    ("describe-lone-id", lambda s: s.describe_instances(instance_ids="i-1"), TypeError,
     "instance_ids"),
    ("describe-filters", lambda s: s.describe_instances(filters=["x"]), TypeError, "filters"),
    ("filter-empty", lambda s: s.describe_instances(filters={"a": []}), ArgumentError, "filters"),
    ("page-small", lambda s: s.iter_instances(page_size=4), ArgumentError, "page_size"),
    ("page-bool", lambda s: s.iter_reservations(page_size=True), TypeError, "page_size"),
    ("page-with-ids", lambda s: s.iter_instances(instance_ids=["i-1"], page_size=5),
     ArgumentError, "page_size"),
    ("get-empty", lambda s: s.get_instance(""), ArgumentError, "instance_id"),
    ("terminate-none", lambda s: s.terminate_instances([]), ArgumentError, "instance_ids"),
    ("terminate-str", lambda s: s.terminate_instances("i-1"), TypeError, "instance_ids"),
    ("stop-force", lambda s: s.stop_instances(["i-1"], force=1), TypeError, "force"),
    ("start-none-id", lambda s: s.start_instances([None]), TypeError, "instance_ids"),
    ("reboot-none", lambda s: s.reboot_instances([]), ArgumentError, "instance_ids"),
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


async def _amazon_image(s: aioec2.Session) -> Image:
    """One of Amazon's Linux 2 images (a filter keeps moto from listing all 1300)."""
    images = await s.describe_images(
        owners=["amazon"], filters={"name": "amzn2-ami-hvm-*-x86_64-gp2"}
    )
    return images[0]


async def test_run_describe_terminate(ec2_endpoint: Endpoint) -> None:
    """A launch is visible to describe and get_instance, keeps its tags and user data, and ends."""
    settle_at_once(ec2_endpoint)
    name = unique("web")
    async with session_on(ec2_endpoint) as s:
        image = await _amazon_image(s)
        reservation = await s.run_instances(
            image.id, instance_type="t3.micro", tags={"Name": name}, user_data="#!/bin/sh\n"
        )
        (instance,) = reservation.instances
        described = await s.describe_instances(instance_ids=[instance.id])
        fetched = await s.get_instance(instance.id)
        by_tag = [i async for i in s.iter_instances(filters={"tag:Name": name})]
        user_data = await s.request(
            "DescribeInstanceAttribute", {"InstanceId": instance.id, "Attribute": "userData"}
        )
        changes = await instance.terminate()
        after = await instance.refresh()
    assert [reservation.id] == [r.id for r in described]
    assert (image.id, "t3.micro", name) == (fetched.image_id, fetched.instance_type,
                                            fetched.tags["Name"])  # fmt: skip
    assert instance.id in [i.id for i in by_tag]
    assert "#!/bin/sh\n" == base64.b64decode(user_data["userData"]["value"]).decode()
    assert instance.id == changes.instance_id
    assert "terminated" == after.state
    assert 48 == after.state_code


async def test_tutorial_two_instances_with_a_key_pair(ec2_endpoint: Endpoint) -> None:
    """image.run(2, 2, key) launches two keyed instances; terminate_all ends both."""
    settle_at_once(ec2_endpoint)
    async with session_on(ec2_endpoint) as s, key_pair(s, unique("gsg-keypair")) as key:
        image = await _amazon_image(s)
        reservation = await image.run(2, 2, key)
        changes = await reservation.terminate_all()
        ids = [i.id for i in reservation.instances]
        after = await s.describe_instances(instance_ids=ids)
    assert 2 == len(reservation.instances)
    assert [key, key] == [i.key_name for i in reservation.instances]
    assert sorted(ids) == sorted(c.instance_id for c in changes)
    assert ["terminated", "terminated"] == [i.state for r in after for i in r.instances]


async def test_stop_start_reboot(ec2_endpoint: Endpoint) -> None:
    """stop, start and reboot move an instance through stopped and back to running."""
    settle_at_once(ec2_endpoint)
    async with session_on(ec2_endpoint) as s:
        (instance,) = (await s.run_instances((await _amazon_image(s)).id)).instances
        stopped = await instance.stop(force=True)
        after_stop = await instance.refresh()
        started = await instance.start()
        await instance.reboot()
        after_start = await instance.refresh()
        await instance.terminate()
    assert ("running", "stopping") == (stopped.previous_state.name, stopped.current_state.name)  # type: ignore[union-attr]
    assert "stopped" == after_stop.state
    assert ("stopped", "pending") == (started.previous_state.name, started.current_state.name)  # type: ignore[union-attr]
    assert "running" == after_start.state


async def test_dry_run(ec2_endpoint: Endpoint) -> None:
    """dry_run=True is answered with DryRunOperation and launches nothing."""
    probe = unique("dry-run-probe")
    async with session_on(ec2_endpoint) as s:
        image = await _amazon_image(s)
        with pytest.raises(DryRunOperation):
            await s.run_instances(image.id, dry_run=True, tags={"Name": probe})
        launched = await s.describe_instances(filters={"tag:Name": probe})
    assert [] == launched


async def test_unknown_instance(ec2_endpoint: Endpoint) -> None:
    """get_instance of an unknown id is NotFoundError with InvalidInstanceID.NotFound."""
    async with session_on(ec2_endpoint) as s:
        with pytest.raises(NotFoundError) as caught:
            await s.get_instance("i-0123456789abcdef0")
    assert "InvalidInstanceID.NotFound" == caught.value.code


async def test_paging(ec2_endpoint: Endpoint) -> None:
    """iter_reservations with page_size=5 walks seven tagged launches in two pages."""
    batch = unique("paging-test")
    async with session_on(ec2_endpoint) as s:
        image = await _amazon_image(s)
        for _ in range(7):
            await s.run_instances(image.id, tags={"batch": batch})
        seen = [r async for r in s.iter_reservations(filters={"tag:batch": batch},
                                                      page_size=5)]  # fmt: skip
        pages = sum(action == "DescribeInstances" for action, _ in s.raw)
        everything = await s.describe_instances(filters={"tag:batch": batch})
    assert 7 == len(seen)
    assert 2 == pages
    assert sorted(r.id for r in everything) == sorted(r.id for r in seen)
