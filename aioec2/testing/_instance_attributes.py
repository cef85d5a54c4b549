"""
DescribeInstanceAttribute: one attribute of one instance, as EC2 answers it.

The values are those the fake's instances have (their type, user data, groups, root device)
or EC2's defaults for what the fake does not model (API termination and stop protection off,
shutdown behaviour ``stop``, no product codes, no SR-IOV, enclaves off).
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceAttribute.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aioec2.testing._instances import render_instance
from aioec2.testing._lookup import find_instances
from aioec2.testing._model import FakeError

if TYPE_CHECKING:
    from aioec2.testing._model import Instance
    from aioec2.testing._params import Params
    from aioec2.testing._state import EC2State, Handler

__all__ = ["HANDLERS"]


def _value(value: object) -> dict[str, Any]:
    # An AttributeValue / AttributeBooleanValue: <value>; empty when there is none.
    return {} if value is None else {"value": value}


def _attributes(state: EC2State, instance: Instance) -> dict[str, Any]:
    """Every attribute by its wire name, with its element as EC2 writes it."""
    shown = render_instance(state, instance)
    image = state.images.get(instance.image_id)
    return {
        "instanceType": _value(instance.instance_type),
        "kernel": _value(image.kernel_id if image else None),
        "ramdisk": {},
        "userData": _value(instance.user_data),
        "disableApiTermination": {"value": False},
        "instanceInitiatedShutdownBehavior": _value("stop"),
        "rootDeviceName": _value(shown["rootDeviceName"]),
        "blockDeviceMapping": [],
        "productCodes": [],
        "sourceDestCheck": _value(shown["sourceDestCheck"]),
        "groupSet": shown["groupSet"],
        "ebsOptimized": _value(shown["ebsOptimized"]),
        "sriovNetSupport": {},
        "enaSupport": _value(shown["enaSupport"]),
        "enclaveOptions": {"enabled": False},
        "disableApiStop": {"value": False},
    }


def _describe_instance_attribute(state: EC2State, params: Params) -> dict[str, Any]:
    (instance,) = find_instances(state, [params.require("InstanceId")])
    name = params.require("Attribute")
    attributes = _attributes(state, instance)
    if name not in attributes:
        raise FakeError(
            "InvalidParameterValue",
            f"Value ({name}) for parameter attribute is invalid. Unknown attribute.",
        )
    state.check_dry_run(params)
    return {"instanceId": instance.id, name: attributes[name]}


HANDLERS: dict[str, Handler] = {"DescribeInstanceAttribute": _describe_instance_attribute}
