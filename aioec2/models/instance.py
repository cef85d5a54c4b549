"""
Instances: :class:`Instance`, the :class:`Reservation` that launched it, and state changes.

Every member of EC2's ``Instance`` structure is a field, named in snake_case, except:

* ``InstanceId`` is :attr:`Instance.id`;
* ``State`` (a ``{Code, Name}`` structure) is split into two flat fields, :attr:`Instance.state`
  (the name, a ``str``: ``instance.state == "running"``) and :attr:`Instance.state_code` (the
  code, an ``int``: 0 pending, 16 running, 32 shutting-down, 48 terminated, 64 stopping,
  80 stopped). ``state_code`` is declared as ``wire("State.Code")``, the dotted path of the
  member it holds; :meth:`Instance.from_parsed` splits the structure and :meth:`Instance.to_dict`
  joins it back, so ``to_dict()`` still has ``"State": {"Code": 16, "Name": "running"}``.

``LaunchTime`` and ``UsageOperationUpdateTime`` are timestamps in EC2's model, so they arrive
as aware UTC datetimes already. ``ReservationId`` is :attr:`Reservation.id`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

import attrs

from aioec2.errors import ResponseParseError
from aioec2.models._base import Model, Struct, Tags, wire
from aioec2.models._required import require

if TYPE_CHECKING:
    from aioec2.session import Session

__all__ = ["Instance", "InstanceState", "InstanceStateChange", "Reservation"]


@attrs.frozen(kw_only=True)
class InstanceState(Model):
    """
    An instance state: its name (``"running"``) and EC2's code for it (16).

    .. versionadded:: 0.1
    """

    kind: ClassVar[str] = "InstanceState"

    name: str | None = wire("Name")
    code: int | None = wire("Code")


@attrs.frozen(kw_only=True)
class InstanceStateChange(Model):
    """
    What TerminateInstances, StopInstances or StartInstances did to one instance.

    .. versionadded:: 0.1
    """

    kind: ClassVar[str] = "InstanceStateChange"

    instance_id: str = wire("InstanceId")
    current_state: InstanceState | None = wire("CurrentState", model=InstanceState)
    previous_state: InstanceState | None = wire("PreviousState", model=InstanceState)

    @classmethod
    def from_parsed(cls, data: Mapping[str, Any], *, session: Session | None = None) -> Self:
        """
        Build the state change from one parsed ``InstanceStateChange``.

        Raises:
            ResponseParseError: it has no ``instanceId`` (see :mod:`aioec2.models._required`).
        """
        require(cls.kind, data, "InstanceId")
        return super().from_parsed(data, session=session)


@attrs.frozen(kw_only=True, repr=False)
class Instance(Model):
    """
    An EC2 instance, as EC2 last described it (an immutable snapshot).

    Methods that change the instance return what EC2 answered and leave this snapshot as it
    is; :meth:`refresh` fetches a new one.

    .. versionadded:: 0.1
    """

    kind: ClassVar[str] = "Instance"

    id: str = wire("InstanceId")
    image_id: str | None = wire("ImageId")
    state: str | None = wire("State")
    state_code: int | None = wire("State.Code")
    state_reason: Struct | None = wire("StateReason")
    state_transition_reason: str | None = wire("StateTransitionReason")
    instance_type: str | None = wire("InstanceType")
    launch_time: dt.datetime | None = wire("LaunchTime")
    key_name: str | None = wire("KeyName")
    ami_launch_index: int | None = wire("AmiLaunchIndex")
    client_token: str | None = wire("ClientToken")
    placement: Struct | None = wire("Placement")
    private_dns_name: str | None = wire("PrivateDnsName")
    private_dns_name_options: Struct | None = wire("PrivateDnsNameOptions")
    private_ip_address: str | None = wire("PrivateIpAddress")
    public_dns_name: str | None = wire("PublicDnsName")
    public_ip_address: str | None = wire("PublicIpAddress")
    ipv6_address: str | None = wire("Ipv6Address")
    vpc_id: str | None = wire("VpcId")
    subnet_id: str | None = wire("SubnetId")
    security_groups: tuple[Struct, ...] = wire("SecurityGroups", default=())
    network_interfaces: tuple[Struct, ...] = wire("NetworkInterfaces", default=())
    secondary_interfaces: tuple[Struct, ...] = wire("SecondaryInterfaces", default=())
    network_performance_options: Struct | None = wire("NetworkPerformanceOptions")
    source_dest_check: bool | None = wire("SourceDestCheck")
    architecture: str | None = wire("Architecture")
    platform: str | None = wire("Platform")
    platform_details: str | None = wire("PlatformDetails")
    usage_operation: str | None = wire("UsageOperation")
    usage_operation_update_time: dt.datetime | None = wire("UsageOperationUpdateTime")
    hypervisor: str | None = wire("Hypervisor")
    virtualization_type: str | None = wire("VirtualizationType")
    kernel_id: str | None = wire("KernelId")
    ramdisk_id: str | None = wire("RamdiskId")
    root_device_name: str | None = wire("RootDeviceName")
    root_device_type: str | None = wire("RootDeviceType")
    block_device_mappings: tuple[Struct, ...] = wire("BlockDeviceMappings", default=())
    ebs_optimized: bool | None = wire("EbsOptimized")
    ena_support: bool | None = wire("EnaSupport")
    sriov_net_support: str | None = wire("SriovNetSupport")
    boot_mode: str | None = wire("BootMode")
    current_instance_boot_mode: str | None = wire("CurrentInstanceBootMode")
    tpm_support: str | None = wire("TpmSupport")
    cpu_options: Struct | None = wire("CpuOptions")
    monitoring: Struct | None = wire("Monitoring")
    metadata_options: Struct | None = wire("MetadataOptions")
    maintenance_options: Struct | None = wire("MaintenanceOptions")
    hibernation_options: Struct | None = wire("HibernationOptions")
    enclave_options: Struct | None = wire("EnclaveOptions")
    iam_instance_profile: Struct | None = wire("IamInstanceProfile")
    instance_lifecycle: str | None = wire("InstanceLifecycle")
    spot_instance_request_id: str | None = wire("SpotInstanceRequestId")
    capacity_block_id: str | None = wire("CapacityBlockId")
    capacity_reservation_id: str | None = wire("CapacityReservationId")
    capacity_reservation_specification: Struct | None = wire("CapacityReservationSpecification")
    elastic_gpu_associations: tuple[Struct, ...] = wire("ElasticGpuAssociations", default=())
    elastic_inference_accelerator_associations: tuple[Struct, ...] = wire(
        "ElasticInferenceAcceleratorAssociations", default=()
    )
    licenses: tuple[Struct, ...] = wire("Licenses", default=())
    product_codes: tuple[Struct, ...] = wire("ProductCodes", default=())
    outpost_arn: str | None = wire("OutpostArn")
    operator: Struct | None = wire("Operator")
    tags: Tags = wire("Tags", tags=True, default=Tags())

    def __repr__(self) -> str:
        return f"Instance:{self.id}"

    @classmethod
    def from_parsed(cls, data: Mapping[str, Any], *, session: Session | None = None) -> Self:
        """
        Build the instance from one parsed ``Instance``; ``State`` becomes two fields.

        Raises:
            ResponseParseError: it has no ``instanceId``, or a tag has no key (see
                :mod:`aioec2.models._required`).
        """
        require(cls.kind, data, "InstanceId")
        state = data.get("State")
        if isinstance(state, Mapping):
            data = {**data, "State": state.get("Name"), "State.Code": state.get("Code")}
        return super().from_parsed(data, session=session)

    def to_dict(self) -> dict[str, Any]:
        """Return the instance in the parser's form, ``State`` as ``{"Code": .., "Name": ..}``."""
        out = super().to_dict()
        name = out.pop("State", None)
        code = out.pop("State.Code", None)
        state = {k: v for k, v in (("Code", code), ("Name", name)) if v is not None}
        if state:
            out["State"] = state
        return out

    async def refresh(self) -> Instance:
        """
        Describe this instance again and return the new snapshot (this one is unchanged).

        Raises:
            NotFoundError: EC2 does not know the instance (``InvalidInstanceID.NotFound``).

        .. versionadded:: 0.1
        """
        return await self.session.get_instance(self.id)

    async def wait_until(self, state: str, *, timeout: float | None = None) -> Instance:
        """
        Wait until the instance is in ``state`` and return that snapshot (a new model).

        The wait joins the session's one shared poller: any number of concurrent waits cost
        one DescribeInstances per 1000 instances per tick.

        Args:
            state: ``"running"``, ``"stopped"``, ``"terminated"`` or ``"exists"``.
            timeout: seconds before WaiterTimeoutError; None uses ``Config.wait_timeout``.

        Raises:
            WaiterFailureError: a state was reached from which ``state`` cannot follow
                (e.g. terminated while waiting for running); ``last_result`` holds it.
            WaiterTimeoutError: the timeout passed; ``last_result`` is the last snapshot.

        .. versionadded:: 0.1
        """
        return await self.session.wait_until_instance(self.id, state, timeout=timeout)

    async def update(self) -> Instance:
        """
        Alias of :meth:`refresh`, for users of the boto tutorial.

        .. versionadded:: 0.1
        """
        return await self.refresh()

    async def terminate(self) -> InstanceStateChange:
        """
        Terminate the instance (TerminateInstances).

        Returns:
            The state change EC2 reported, e.g. running -> shutting-down.

        .. versionadded:: 0.1
        """
        return _only(await self.session.terminate_instances([self.id]), self.id)

    async def stop(self, *, force: bool = False) -> InstanceStateChange:
        """
        Stop the instance (StopInstances); unlike old boto, this does not terminate it.

        Args:
            force: stop without letting the operating system flush (EC2's ``Force``).

        Returns:
            The state change EC2 reported, e.g. running -> stopping.

        .. versionadded:: 0.1
        """
        return _only(await self.session.stop_instances([self.id], force=force), self.id)

    async def start(self) -> InstanceStateChange:
        """
        Start the stopped instance (StartInstances).

        Returns:
            The state change EC2 reported, e.g. stopped -> pending.

        .. versionadded:: 0.1
        """
        return _only(await self.session.start_instances([self.id]), self.id)

    async def reboot(self) -> None:
        """
        Reboot the instance (RebootInstances); EC2 answers with no state change.

        .. versionadded:: 0.1
        """
        await self.session.reboot_instances([self.id])


def _only(changes: list[InstanceStateChange], instance_id: str) -> InstanceStateChange:
    for change in changes:
        if change.instance_id == instance_id:
            return change
    raise ResponseParseError(f"EC2's answer has no state change for instance {instance_id}")


@attrs.frozen(kw_only=True, repr=False)
class Reservation(Model):
    """
    The instances launched together by one RunInstances call.

    .. versionadded:: 0.1
    """

    kind: ClassVar[str] = "Reservation"

    id: str = wire("ReservationId")
    owner_id: str | None = wire("OwnerId")
    requester_id: str | None = wire("RequesterId")
    groups: tuple[Struct, ...] = wire("Groups", default=())
    instances: tuple[Instance, ...] = wire("Instances", model=Instance, default=())

    def __repr__(self) -> str:
        return f"Reservation:{self.id}"

    @classmethod
    def from_parsed(cls, data: Mapping[str, Any], *, session: Session | None = None) -> Self:
        """
        Build the reservation and its instances from one parsed ``Reservation``.

        Raises:
            ResponseParseError: it, or one of its instances, has no id (see
                :mod:`aioec2.models._required`).
        """
        require(cls.kind, data, "ReservationId")
        return super().from_parsed(data, session=session)

    async def wait_until(self, state: str, *, timeout: float | None = None) -> Reservation:
        """
        Wait until every instance is in ``state``; return the reservation with new snapshots.

        All instances share one poll stream (see :meth:`aioec2.Session.wait_all`).

        Raises:
            PartialBulkError: some instances failed or timed out; each error is in
                ``.exceptions`` and the snapshots reached are in ``partial_results``.

        .. versionadded:: 0.1
        """
        done = await self.session.wait_all(self.instances, state, timeout=timeout)
        return attrs.evolve(self, instances=tuple(done))

    async def terminate_all(self) -> list[InstanceStateChange]:
        """
        Terminate every instance of the reservation in one TerminateInstances call.

        Returns:
            One state change per instance, in EC2's order.

        .. versionadded:: 0.1
        """
        if not self.instances:
            return []
        return await self.session.terminate_instances([i.id for i in self.instances])
