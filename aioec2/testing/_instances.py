"""
Instances: RunInstances, DescribeInstances and the Start/Stop/Reboot/Terminate calls.

States move on lazily: :func:`settle` runs at the start of every call and applies every
transition whose time has come (pending -> running after ``boot_time``, stopping -> stopped,
shutting-down -> terminated; terminated instances vanish after ``terminated_ttl``).
Lifecycle: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-lifecycle.html
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import TYPE_CHECKING, Any

from aioec2.testing._lookup import (
    find_group,
    find_image,
    find_instances,
    find_key_pair,
    zone_of_subnet,
)
from aioec2.testing._model import STATE_CODES, FakeError, Instance, Reservation
from aioec2.testing._params import Params, check_filters, match_filters, paginate
from aioec2.testing._tags import tag_set, tags_from_specs

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from aioec2.testing._model import Image
    from aioec2.testing._state import EC2State, Handler, Timings

__all__ = ["HANDLERS", "render_instance", "settle"]

_DEFAULT_TYPE = "m1.small"  # RunInstances' documented default InstanceType
_INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9-]*\.[a-z0-9-]+")
_MAX_USER_DATA = 16 * 1024  # bytes, before base64: RunInstances UserData
_MAX_TOKEN = 64  # ClientToken: "up to 64 ASCII characters"
# Holding hardware: counted against the fake's capacity.
_HOLDING = frozenset({"pending", "running", "stopping", "shutting-down"})
# Parameters that never take part in the ClientToken comparison.
_NOT_COMPARED = frozenset({"Action", "Version", "ClientToken"})


def touch(state: EC2State) -> None:
    """Note that an instance changed state or appeared: the next settle() looks at all."""
    state.settled_until = -math.inf


def _due(instance: Instance, timings: Timings) -> float:
    """The clock time of the instance's next timed transition (inf: none)."""
    wait = {
        "pending": timings.boot_time,
        "stopping": timings.stop_time,
        "shutting-down": timings.terminate_time,
        "terminated": timings.terminated_ttl,
    }.get(instance.state)
    return math.inf if wait is None else instance.state_since + wait


def settle(state: EC2State) -> None:
    """Apply every transition due by now; forget terminated instances past their time."""
    now = state.now()
    timings = state.timings
    if now < state.settled_until and state.settled_with is timings:
        return  # nothing is due yet: no need to walk every instance on every call
    due = math.inf
    for instance in list(state.instances.values()):
        while True:
            since = instance.state_since
            if instance.state == "pending" and now >= since + timings.boot_time:
                _enter(state, instance, "running", since + timings.boot_time)
            elif instance.state == "stopping" and now >= since + timings.stop_time:
                _enter(state, instance, "stopped", since + timings.stop_time)
            elif instance.state == "shutting-down" and now >= since + timings.terminate_time:
                _enter(state, instance, "terminated", since + timings.terminate_time)
            else:
                break
        if instance.state == "terminated" and now >= instance.state_since + timings.terminated_ttl:
            del state.instances[instance.id]
            reservation = state.reservations[instance.reservation_id]
            reservation.instance_ids.remove(instance.id)
            if not reservation.instance_ids:
                del state.reservations[reservation.id]
            continue
        due = min(due, _due(instance, timings))
    state.settled_until = due
    state.settled_with = timings


def _enter(state: EC2State, instance: Instance, new: str, at: float) -> None:
    instance.state = new
    instance.state_since = at
    if new == "running":
        instance.ever_running = True
        instance.state_reason = None
        instance.reason = ""
        if instance.public_ip is None:
            rng = state.rng
            instance.public_ip = (
                f"54.{rng.randint(144, 254)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            )
    elif new in ("stopped", "terminated"):
        instance.public_ip = None  # EC2 releases the public IPv4 address


def _dns(state: EC2State, kind: str, address: str) -> str:
    dashed = address.replace(".", "-")
    if kind == "private":
        suffix = (
            "ec2.internal" if state.region == "us-east-1" else f"{state.region}.compute.internal"
        )
        return f"ip-{dashed}.{suffix}"
    suffix = "compute-1" if state.region == "us-east-1" else f"{state.region}.compute"
    return f"ec2-{dashed}.{suffix}.amazonaws.com"


def _state_of(name: str) -> dict[str, Any]:
    return {"code": STATE_CODES[name], "name": name}


def _root_device_name(image: Image | None) -> str:
    if image is not None and image.root_device_name:
        return image.root_device_name
    return "/dev/sda1" if image and image.root_device_type != "ebs" else "/dev/xvda"


def render_instance(state: EC2State, instance: Instance) -> dict[str, Any]:
    """Render one instance as EC2's ``instancesSet`` item, every name botocore's shape uses."""
    image = state.images.get(instance.image_id)
    windows = image is not None and image.platform == "windows"
    public = instance.public_ip
    return {
        "instanceId": instance.id,
        "imageId": instance.image_id,
        "instanceState": _state_of(instance.state),
        "privateDnsName": _dns(state, "private", instance.private_ip),
        "dnsName": _dns(state, "public", public) if public else "",
        "reason": instance.reason,
        "keyName": instance.key_name,
        "amiLaunchIndex": instance.launch_index,
        "instanceType": instance.instance_type,
        "launchTime": instance.launch_time,
        "placement": {
            "availabilityZone": instance.zone,
            "groupName": "",
            "tenancy": "default",
        },
        "platform": "windows" if windows else None,
        "monitoring": {"state": "disabled"},
        "subnetId": instance.subnet_id,
        "vpcId": instance.vpc_id,
        "privateIpAddress": instance.private_ip,
        "ipAddress": public,
        "sourceDestCheck": True,
        "groupSet": [
            {"groupId": gid, "groupName": state.groups[gid].name}
            for gid in instance.group_ids
            if gid in state.groups
        ],
        "stateReason": (
            {"code": instance.state_reason[0], "message": instance.state_reason[1]}
            if instance.state_reason
            else None
        ),
        "architecture": image.architecture if image else "x86_64",
        "rootDeviceType": image.root_device_type if image else "ebs",
        "rootDeviceName": _root_device_name(image),
        "virtualizationType": image.virtualization_type if image else "hvm",
        "clientToken": instance.client_token,
        "tagSet": tag_set(instance.tags),
        "hypervisor": "xen",
        "ebsOptimized": False,
        "enaSupport": True,
        "platformDetails": "Windows" if windows else "Linux/UNIX",
        "usageOperation": "RunInstances:0002" if windows else "RunInstances",
        "usageOperationUpdateTime": instance.launch_time,
    }


def _in_use(state: EC2State) -> int:
    return sum(1 for instance in state.instances.values() if instance.state in _HOLDING)


def _insufficient(instance_type: str, zone: str) -> FakeError:
    return FakeError(
        "InsufficientInstanceCapacity",
        f"We currently do not have sufficient {instance_type} capacity in the Availability Zone"
        f" you requested ({zone}). Our system will be working on provisioning additional"
        " capacity.",
    )


def _counts(params: Params) -> tuple[int, int]:
    low = params.integer("MinCount")
    high = params.integer("MaxCount")
    if low is None or high is None:
        missing = "MinCount" if low is None else "MaxCount"
        raise FakeError("MissingParameter", f"The request must contain the parameter {missing}")
    if low < 1:
        raise FakeError(
            "InvalidParameterValue",
            f"Value ({low}) for parameter minCount is invalid. Expected: > 0",
        )
    if high < low:
        raise FakeError(
            "InvalidParameterValue",
            f"Value ({high}) for parameter maxCount is invalid. Expected: >= minCount ({low})",
        )
    return low, high


def _user_data(params: Params) -> str | None:
    data = params.get("UserData")
    if data is None:
        return None
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise FakeError("InvalidParameterValue", "Invalid BASE64 encoding of user data.") from None
    if len(raw) > _MAX_USER_DATA:
        raise FakeError("InvalidParameterValue", f"User data is limited to {_MAX_USER_DATA} bytes")
    return data


def _placement(state: EC2State, params: Params) -> tuple[str, str]:
    subnet_id = params.get("SubnetId")
    if subnet_id is not None:
        return zone_of_subnet(state, subnet_id), subnet_id
    zone = params.get("Placement.AvailabilityZone")
    if zone is not None and zone not in state.subnets:
        raise FakeError("InvalidParameterValue", f"Invalid availability zone: [{zone}]")
    zone = zone or next(iter(state.subnets))
    return zone, state.subnets[zone]


def _groups(state: EC2State, params: Params) -> list[str]:
    ids = [find_group(state, group_id=gid).id for gid in params.strings("SecurityGroupId")]
    ids += [find_group(state, group_name=name).id for name in params.strings("SecurityGroup")]
    if not ids:
        ids = [find_group(state, group_name="default").id]
    return list(dict.fromkeys(ids))


def _run_instances(state: EC2State, params: Params) -> dict[str, Any]:
    token = params.get("ClientToken")
    dry_run = params.boolean("DryRun")
    if token is not None and len(token) > _MAX_TOKEN:
        raise FakeError(
            "InvalidParameterValue", f"Value for parameter clientToken is too long (> {_MAX_TOKEN})"
        )
    # Idempotency: the same token and parameters get the first answer again, whatever has
    # happened since; other parameters are a mismatch.
    # https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html
    compared = tuple(sorted((k, v) for k, v in params.wire().items() if k not in _NOT_COMPARED))
    if token and not dry_run and token in state.client_tokens:
        first, answer = state.client_tokens[token]
        if first != compared:
            raise FakeError(
                "IdempotentParameterMismatch",
                f"Arguments on this idempotent request are inconsistent with arguments used in"
                f" previous request(s) with client token '{token}'.",
            )
        return answer

    image = find_image(state, params.require("ImageId"))
    low, high = _counts(params)
    instance_type = params.get("InstanceType") or _DEFAULT_TYPE
    if not _INSTANCE_TYPE.fullmatch(instance_type):
        raise FakeError(
            "InvalidParameterValue", f"Invalid value '{instance_type}' for InstanceType."
        )
    key_name = params.get("KeyName")
    if key_name is not None:
        find_key_pair(state, key_name)
    zone, subnet_id = _placement(state, params)
    group_ids = _groups(state, params)
    user_data = _user_data(params)
    tags = tags_from_specs(params, "instance", also=("volume", "network-interface"))
    count = high
    if state.capacity is not None:
        count = min(high, state.capacity - _in_use(state))
        if count < low:
            raise _insufficient(instance_type, zone)
    state.check_dry_run(params)

    now = state.now()
    reservation = Reservation(id=state.new_id("r"), owner_id=state.account_id, instance_ids=[])
    state.reservations[reservation.id] = reservation
    launched = []
    for index in range(count):
        host = state.next_host[zone]
        state.next_host[zone] += 1
        block = 16 * list(state.subnets).index(zone)  # each default subnet is a /20
        instance = Instance(
            id=state.new_id("i"),
            seq=state.next_seq(),
            image_id=image.id,
            reservation_id=reservation.id,
            instance_type=instance_type,
            key_name=key_name,
            subnet_id=subnet_id,
            vpc_id=state.vpc_id,
            zone=zone,
            private_ip=f"172.31.{block + host // 256}.{host % 256}",
            group_ids=group_ids,
            launch_index=index,
            client_token=token,
            user_data=user_data,
            created_at=now,
            launch_time=state.wall(now),
            state_since=now,
            tags=dict(tags),
        )
        state.instances[instance.id] = instance
        touch(state)
        reservation.instance_ids.append(instance.id)
        launched.append(instance)
    answer = {
        "reservationId": reservation.id,
        "ownerId": reservation.owner_id,
        "groupSet": [],
        "instancesSet": [render_instance(state, instance) for instance in launched],
    }
    if token:
        state.client_tokens[token] = (compared, answer)
    return answer


_FIELDS: dict[str, Callable[[Instance], Iterable[str]]] = {
    "instance-id": lambda i: [i.id],
    "instance-state-name": lambda i: [i.state],
    "instance-state-code": lambda i: [str(STATE_CODES[i.state])],
    "image-id": lambda i: [i.image_id],
    "reservation-id": lambda i: [i.reservation_id],
    "instance-type": lambda i: [i.instance_type],
    "key-name": lambda i: [i.key_name] if i.key_name else [],
    "availability-zone": lambda i: [i.zone],
    "subnet-id": lambda i: [i.subnet_id],
    "vpc-id": lambda i: [i.vpc_id],
    "private-ip-address": lambda i: [i.private_ip],
    "ip-address": lambda i: [i.public_ip] if i.public_ip else [],
    "instance.group-id": lambda i: i.group_ids,
    "client-token": lambda i: [i.client_token] if i.client_token else [],
    "launch-index": lambda i: [str(i.launch_index)],
}


def _describe_instances(state: EC2State, params: Params) -> dict[str, Any]:
    ids = params.strings("InstanceId")
    filters = params.filters()
    fields = {
        **_FIELDS,
        "owner-id": lambda _i: [state.account_id],
        "instance.group-name": lambda i: [
            state.groups[g].name for g in i.group_ids if g in state.groups
        ],
    }
    check_filters(filters, fields)
    if ids:
        candidates = sorted(find_instances(state, ids), key=lambda i: i.seq)
    else:
        candidates = [i for i in state.instances.values() if state.visible(i.created_at)]
    matching = [i for i in candidates if match_filters(filters, i, fields, i.tags)]
    page, token = paginate(
        matching, params, key=lambda i: i.seq, exclusive="InstanceId", exclusive_wire="instancesSet"
    )
    state.check_dry_run(params)
    grouped: dict[str, list[Instance]] = {}
    for instance in page:  # one item per reservation, its instances in launch order
        grouped.setdefault(instance.reservation_id, []).append(instance)
    return {
        "reservationSet": [
            {
                "reservationId": rid,
                "ownerId": state.reservations[rid].owner_id,
                "groupSet": [],
                "instancesSet": [render_instance(state, i) for i in instances],
            }
            for rid, instances in grouped.items()
        ],
        "nextToken": token,
    }


def _targets(state: EC2State, params: Params) -> list[Instance]:
    ids = params.strings("InstanceId")
    if not ids:
        raise FakeError("MissingParameter", "The request must contain the parameter InstanceId")
    return find_instances(state, ids)


def _incorrect(instance: Instance, verb: str) -> FakeError:
    return FakeError(
        "IncorrectInstanceState",
        f"The instance '{instance.id}' is not in a state from which it can be {verb}.",
    )


def _change(
    state: EC2State, instance: Instance, new: str, reason: str | None = None
) -> dict[str, Any]:
    previous = instance.state
    if new != previous:
        instance.state = new
        instance.state_since = state.now()
        touch(state)
        if reason is not None:
            stamp = state.wall().strftime("%Y-%m-%d %H:%M:%S GMT")
            instance.reason = f"User initiated ({stamp})"
            instance.state_reason = (reason, f"{reason}: User initiated shutdown")
    return {
        "instanceId": instance.id,
        "currentState": _state_of(new),
        "previousState": _state_of(previous),
    }


def _terminate_instances(state: EC2State, params: Params) -> dict[str, Any]:
    targets = _targets(state, params)
    state.check_dry_run(params)
    changes = []
    for instance in targets:
        new = (
            instance.state if instance.state in ("shutting-down", "terminated") else "shutting-down"
        )
        changes.append(_change(state, instance, new, "Client.UserInitiatedShutdown"))
    return {"instancesSet": changes}


def _stop_instances(state: EC2State, params: Params) -> dict[str, Any]:
    targets = _targets(state, params)
    for instance in targets:
        if instance.state == "pending" and not instance.ever_running:
            raise FakeError(
                "IncorrectInstanceState",
                f"Instance '{instance.id}' cannot be stopped as it has never reached the"
                " 'running' state.",
            )
        if instance.state in ("shutting-down", "terminated"):
            raise _incorrect(instance, "stopped")
    state.check_dry_run(params)
    changes = []
    for instance in targets:
        new = instance.state if instance.state in ("stopping", "stopped") else "stopping"
        changes.append(_change(state, instance, new, "Client.UserInitiatedShutdown"))
    return {"instancesSet": changes}


def _start_instances(state: EC2State, params: Params) -> dict[str, Any]:
    targets = _targets(state, params)
    for instance in targets:
        if instance.state not in ("pending", "running", "stopped"):
            raise _incorrect(instance, "started")
    starting = [i for i in targets if i.state == "stopped"]
    if state.capacity is not None and starting and _in_use(state) + len(starting) > state.capacity:
        raise _insufficient(starting[0].instance_type, starting[0].zone)
    state.check_dry_run(params)
    changes = []
    for instance in targets:
        new = "pending" if instance.state == "stopped" else instance.state
        changes.append(_change(state, instance, new))
    return {"instancesSet": changes}


def _reboot_instances(state: EC2State, params: Params) -> dict[str, Any]:
    targets = _targets(state, params)
    for instance in targets:
        if instance.state not in ("pending", "running"):
            raise _incorrect(instance, "rebooted")
    state.check_dry_run(params)
    return {"return": True}  # a reboot keeps the instance running: no state change to show


HANDLERS: dict[str, Handler] = {
    "RunInstances": _run_instances,
    "DescribeInstances": _describe_instances,
    "TerminateInstances": _terminate_instances,
    "StopInstances": _stop_instances,
    "StartInstances": _start_instances,
    "RebootInstances": _reboot_instances,
}
