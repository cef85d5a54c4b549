"""Instance, Reservation and state-change models: immutability, completeness, botocore fidelity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import aioec2
from aioec2._operations import shape
from aioec2.errors import SessionClosedError
from aioec2.models._base import Struct
from aioec2.models.instance import Instance, InstanceState, InstanceStateChange, Reservation
from aioec2.testing import set_testing
from tests.conftest import Endpoint
from tests.fixtures_ec2 import CREDS, key_pair, session_at, session_on, unique
from tests.oracle import botocore_parse, without_empty_lists
from tests.servers.scripted import Reply, ScriptedServer

INSTANCE_DATA: dict[str, Any] = {
    "InstanceId": "i-1234567890abcdef0",
    "ImageId": "ami-1a2b3c4d",
    "State": {"Code": 16, "Name": "running"},
    "InstanceType": "t3.micro",
    "LaunchTime": dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC),
    "KeyName": "gsg-keypair",
    "AmiLaunchIndex": 0,
    "Placement": {"AvailabilityZone": "us-east-1a", "Tenancy": "default"},
    "SecurityGroups": [{"GroupId": "sg-1", "GroupName": "default"}],
    "Tags": [{"Key": "Name", "Value": "web"}],
}

RESERVATION_DATA: dict[str, Any] = {
    "ReservationId": "r-1234567890abcdef0",
    "OwnerId": "123456789012",
    "Groups": [],
    "Instances": [INSTANCE_DATA, {**INSTANCE_DATA, "InstanceId": "i-2", "AmiLaunchIndex": 1}],
}

DESCRIBE_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
  <reservationSet>
    <item>
      <reservationId>r-1234567890abcdef0</reservationId>
      <ownerId>123456789012</ownerId>
      <groupSet/>
      <instancesSet>
        <item>
          <instanceId>i-1234567890abcdef0</instanceId>
          <imageId>ami-1a2b3c4d</imageId>
          <instanceState><code>16</code><name>running</name></instanceState>
          <instanceType>t3.micro</instanceType>
          <launchTime>2024-05-01T12:00:00.000Z</launchTime>
          <keyName>gsg-keypair</keyName>
          <amiLaunchIndex>0</amiLaunchIndex>
          <placement><availabilityZone>us-east-1a</availabilityZone>
            <tenancy>default</tenancy></placement>
          <groupSet><item><groupId>sg-1</groupId><groupName>default</groupName></item></groupSet>
          <tagSet><item><key>Name</key><value>web</value></item></tagSet>
        </item>
      </instancesSet>
    </item>
  </reservationSet>
</DescribeInstancesResponse>"""


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """Retries (if any) happen at once."""
    with set_testing(True):
        yield


def unopened_session() -> aioec2.Session:
    """A session that is never opened: models can be bound to it without any network."""
    return aioec2.Session(region="us-east-1", endpoint_url="http://127.0.0.1:9/", credentials=CREDS)


# -- the models themselves -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Instance.from_parsed(INSTANCE_DATA), "state"),
        (Reservation.from_parsed(RESERVATION_DATA), "owner_id"),
        (InstanceState(name="running", code=16), "name"),
        (InstanceStateChange(instance_id="i-1"), "instance_id"),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else v,
)
def test_models_are_frozen_and_slotted(model: Any, field: str) -> None:
    """Assigning to any of these models raises FrozenInstanceError; none has a __dict__."""
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(model, field, "other")
    assert not hasattr(model, "__dict__")


def test_reprs_are_the_tutorials() -> None:
    """repr gives "Instance:i-..." and "Reservation:r-..."; the small models show their data."""
    reservation = Reservation.from_parsed(RESERVATION_DATA)
    assert "Reservation:r-1234567890abcdef0" == repr(reservation)
    assert "Instance:i-1234567890abcdef0" == repr(reservation.instances[0])
    assert "(Instance:i-1234567890abcdef0, Instance:i-2)" == repr(reservation.instances)
    assert "InstanceState(name='running', code=16)" == repr(InstanceState(name="running", code=16))


def test_state_is_split_into_name_and_code() -> None:
    """State's Name is instance.state (a str) and its Code instance.state_code (an int)."""
    instance = Instance.from_parsed(INSTANCE_DATA)
    assert "running" == instance.state
    assert 16 == instance.state_code
    assert isinstance(instance.state, str)


def test_fields_hold_python_values() -> None:
    """id, launch_time, tags, placement and groups are plain Python values."""
    instance = Instance.from_parsed(INSTANCE_DATA)
    assert "i-1234567890abcdef0" == instance.id
    assert "ami-1a2b3c4d" == instance.image_id
    assert dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC) == instance.launch_time
    assert "web" == instance.tags["Name"]
    assert "us-east-1a" == instance.placement.availability_zone  # type: ignore[union-attr]
    assert (Struct({"GroupId": "sg-1", "GroupName": "default"}),) == instance.security_groups


def test_to_dict_joins_state_back() -> None:
    """to_dict gives the parsed structure back, State as {"Code": ..., "Name": ...}."""
    expected = {**INSTANCE_DATA}
    assert without_empty_lists(expected) == without_empty_lists(
        Instance.from_parsed(INSTANCE_DATA).to_dict()
    )
    assert {"Code": 16, "Name": "running"} == Instance.from_parsed(INSTANCE_DATA).to_dict()["State"]


@pytest.mark.parametrize(
    "state",
    [{"Name": "pending"}, {"Code": 0}, {}],
    ids=["name-only", "code-only", "empty"],
)
def test_partial_state_round_trips(state: dict[str, Any]) -> None:
    """A State missing its code or name (or both) comes back exactly as it was sent."""
    instance = Instance.from_parsed({**INSTANCE_DATA, "State": state})
    assert state.get("Name") == instance.state
    assert state.get("Code") == instance.state_code
    assert state == instance.to_dict().get("State", {})


def test_absent_state_stays_absent() -> None:
    """An instance without State has state None and no State in to_dict."""
    data = {k: v for k, v in INSTANCE_DATA.items() if k != "State"}
    instance = Instance.from_parsed(data)
    assert (None, None) == (instance.state, instance.state_code)
    assert "State" not in instance.to_dict()


def test_equality_and_hash_ignore_the_session() -> None:
    """Snapshots with the same data are equal and hash alike, bound or not."""
    one = Reservation.from_parsed(RESERVATION_DATA, session=unopened_session())
    two = Reservation.from_parsed(RESERVATION_DATA, session=unopened_session())
    assert one == two
    assert hash(one) == hash(two)
    assert one == Reservation.from_parsed(RESERVATION_DATA)
    assert one.instances[0] != attrs.evolve(one.instances[0], state="stopped")


def test_evolve_makes_a_new_snapshot() -> None:
    """attrs.evolve changes a copy and keeps its session; the original is unchanged."""
    s = unopened_session()
    instance = Instance.from_parsed(INSTANCE_DATA, session=s)
    stopped = attrs.evolve(instance, state="stopped", state_code=80)
    assert ("stopped", 80) == (stopped.state, stopped.state_code)
    assert {"Code": 80, "Name": "stopped"} == stopped.to_dict()["State"]
    assert "running" == instance.state
    assert s is stopped.session


def test_sub_models_share_the_session() -> None:
    """The instances of a bound reservation are bound to the same session."""
    s = unopened_session()
    reservation = Reservation.from_parsed(RESERVATION_DATA, session=s)
    assert [s, s] == [i.session for i in reservation.instances]


# "State.Code" is the dotted path of the member Instance.state_code holds; it is the one
# wire name that is not itself a member, and no member is left out.
_DOTTED = {Instance: {"State.Code"}}


@pytest.mark.parametrize(
    ("cls", "shape_name"),
    [
        (Instance, "Instance"),
        (Reservation, "Reservation"),
        (InstanceStateChange, "InstanceStateChange"),
        (InstanceState, "InstanceState"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_every_member_has_a_field(cls: type[Any], shape_name: str) -> None:
    """Each member of the EC2 shape is held by exactly one field; no field names a non-member."""
    wired = [f.metadata["wire"] for f in attrs.fields(cls) if "wire" in f.metadata]
    members = {m.name for m in shape(shape_name).members}
    assert len(wired) == len(set(wired))
    assert members == set(wired) - _DOTTED.get(cls, set())
    assert all(name.split(".")[0] in members for name in wired)


_states = st.sampled_from(
    [(0, "pending"), (16, "running"), (32, "shutting-down"), (48, "terminated"), (80, "stopped")]
)
_instances = st.builds(
    lambda iid, state, tags, when, idx: {
        "InstanceId": iid,
        "State": {"Code": state[0], "Name": state[1]},
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
        "LaunchTime": when,
        "AmiLaunchIndex": idx,
    },
    st.from_regex(r"i-[0-9a-f]{8,17}", fullmatch=True),
    _states,
    st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=5), max_size=3),
    st.datetimes(timezones=st.just(dt.UTC)),
    st.integers(0, 100),
)


@given(st.lists(_instances, max_size=3), st.from_regex(r"r-[0-9a-f]{8}", fullmatch=True))
def test_reservation_round_trips(instances: list[dict[str, Any]], rid: str) -> None:
    """For any reservation, to_dict(from_parsed(d)) == d and from_parsed(to_dict(m)) == m."""
    data = {"ReservationId": rid, "Instances": instances}
    reservation = Reservation.from_parsed(data)
    assert without_empty_lists(data) == without_empty_lists(reservation.to_dict())
    assert reservation == Reservation.from_parsed(reservation.to_dict())


# -- bound, unbound and closed sessions ------------------------------------------------------


async def test_unbound_models_raise_session_closed() -> None:
    """Instance and Reservation built by hand read fields; network methods raise."""
    reservation = Reservation.from_parsed(RESERVATION_DATA)
    instance = reservation.instances[0]
    assert "running" == instance.state
    for call in (instance.terminate, instance.stop, instance.start, instance.reboot,
                 instance.refresh, instance.update, reservation.terminate_all):  # fmt: skip
        with pytest.raises(SessionClosedError, match="not bound to a Session"):
            await call()


async def test_models_from_a_closed_session_read_fields_but_cannot_call() -> None:
    """After the Session closed, its models still read fields; their methods raise clearly."""
    async with ScriptedServer([Reply(200, DESCRIBE_XML)]) as srv:
        async with session_at(srv.url) as s:
            (reservation,) = await s.describe_instances()
        instance = reservation.instances[0]
        assert ("running", "gsg-keypair") == (instance.state, instance.key_name)
        with pytest.raises(SessionClosedError, match="closed"):
            await instance.terminate()
        with pytest.raises(SessionClosedError, match="closed"):
            await reservation.terminate_all()
        with pytest.raises(SessionClosedError, match="closed"):
            await instance.refresh()
    assert 1 == len(srv.seen)


async def test_reservation_without_instances_terminates_nothing() -> None:
    """terminate_all on a reservation with no instances returns [] and sends nothing."""
    assert [] == await Reservation(id="r-1", session=unopened_session()).terminate_all()


async def test_unknown_elements_do_not_break_parsing() -> None:
    """New elements anywhere in a DescribeInstances answer are ignored."""
    noisy = (
        DESCRIBE_XML.replace(b"<instanceId>", b"<quantumCores>4</quantumCores><instanceId>")
        .replace(b"<code>16</code>", b"<code>16</code><detail><why>x</why></detail>")
        .replace(b"<reservationId>", b"<newSet><item>1</item></newSet><reservationId>")
        .replace(b"<reservationSet>", b"<hint>soon</hint><reservationSet>")
    )
    script = [Reply(200, DESCRIBE_XML), Reply(200, noisy)]
    async with ScriptedServer(script) as srv, session_at(srv.url) as s:
        plain = await s.describe_instances()
        extended = await s.describe_instances()
    assert plain == extended
    assert without_empty_lists(INSTANCE_DATA) == without_empty_lists(
        extended[0].instances[0].to_dict()
    )


# -- fidelity: the same bytes, through botocore and through the models ---------------------


async def test_run_describe_terminate_match_botocore(ec2_endpoint: Endpoint) -> None:
    """RunInstances, DescribeInstances and TerminateInstances models equal botocore's parse."""
    async with session_on(ec2_endpoint) as s:
        amazon_linux = {"name": "amzn2-ami-hvm-*-x86_64-gp2"}  # not all 1300 of moto's images
        image_id = (await s.describe_images(owners=["amazon"], filters=amazon_linux))[0].id
        async with key_pair(s, unique("fidelity-key")) as key_name:
            reservation = await s.run_instances(
                image_id,
                min_count=2,
                max_count=2,
                key_name=key_name,
                user_data="#!/bin/sh\necho hi\n",
                tags={"Name": "fidelity", "env": "test"},
            )
        ran = botocore_parse("RunInstances", s.last("RunInstances"))
        ids = [i.id for i in reservation.instances]
        described = await s.describe_instances(instance_ids=ids)
        listed = botocore_parse("DescribeInstances", s.last("DescribeInstances"))
        changes = await s.terminate_instances(ids)
        terminated = botocore_parse("TerminateInstances", s.last("TerminateInstances"))

    assert without_empty_lists(ran) == without_empty_lists(reservation.to_dict())
    assert without_empty_lists(listed["Reservations"]) == without_empty_lists(
        [r.to_dict() for r in described]
    )
    assert without_empty_lists(terminated["TerminatingInstances"]) == without_empty_lists(
        [c.to_dict() for c in changes]
    )
    # What the test launched is what the models say, beyond structural equality.
    assert {"Name": "fidelity", "env": "test"} == dict(reservation.instances[0].tags)
    assert [key_name, key_name] == [i.key_name for i in described[0].instances]
    assert all(isinstance(i.launch_time, dt.datetime) for i in described[0].instances)
    assert {"terminated", "shutting-down"} >= {c.current_state.name for c in changes}  # type: ignore[union-attr]
