"""Typed EC2 operations: instances (launch, describe, state changes)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from aioec2 import _validate as check
from aioec2 import _validate_instances as check_instances
from aioec2._api._base import OperationsBase
from aioec2.errors import ArgumentError, NotFoundError, ResponseParseError
from aioec2.models.instance import Instance, InstanceStateChange, Reservation

if TYPE_CHECKING:
    from aioec2.bulk import Progress

__all__ = ["InstancesAPI", "run_instances_params"]

Filters = Mapping[str, str | Iterable[str]]


class InstancesAPI(OperationsBase):
    """Operations on instances."""

    __slots__ = ()

    async def run_instances(
        self,
        image_id: str,
        *,
        min_count: int = 1,
        max_count: int = 1,
        key_name: str | None = None,
        security_groups: Iterable[str] = (),
        security_group_ids: Iterable[str] = (),
        user_data: str | bytes | None = None,
        instance_type: str | None = None,
        subnet_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        client_token: str | None = None,
        dry_run: bool = False,
    ) -> Reservation:
        """
        Launch instances of an image (RunInstances).

        Every call carries a ``ClientToken``: ``client_token`` when given, else a fresh UUID
        made once for this call. Retries resend the same token, so EC2 launches at most once
        however often the request has to be sent.

        Args:
            image_id: the AMI to launch.
            min_count: launch at least this many, or none.
            max_count: launch at most this many.
            key_name: the key pair to install.
            security_groups: security group *names* (EC2-Classic and default VPC).
            security_group_ids: security group ids.
            user_data: ``str`` (sent as UTF-8) or ``bytes``, at most 16 KB; base64-encoded here.
            instance_type: e.g. ``"t3.micro"``; EC2's default when None.
            subnet_id: the subnet to launch into.
            tags: ``{"Name": "web"}``, applied to the instances as they launch.
            client_token: your own idempotency token (at most 64 ASCII characters).
            dry_run: only ask EC2 whether the call would succeed.

        Returns:
            The reservation, with its instances (usually ``"pending"``).

        Raises:
            ArgumentError: an argument is malformed; nothing was sent.
            TypeError: an argument has the wrong type; nothing was sent.
            DryRunOperation: ``dry_run=True`` and the launch would have succeeded.
            EC2APIError: EC2 refused the launch.

        .. versionadded:: 0.1
        """
        params = run_instances_params(
            image_id,
            min_count=min_count,
            max_count=max_count,
            key_name=key_name,
            security_groups=security_groups,
            security_group_ids=security_group_ids,
            user_data=user_data,
            instance_type=instance_type,
            subnet_id=subnet_id,
            tags=tags,
            client_token=client_token,
            dry_run=dry_run,
        )
        result = await self.call("RunInstances", params)
        reservation = Reservation.from_parsed(result, session=self._as_session())
        if not reservation.instances and not dry_run:
            # RunInstances launches at least min_count (>= 1) or fails: an answer without
            # instances is partial, and an empty Reservation would fail later, in user code.
            raise ResponseParseError(
                f"EC2's RunInstances answer for reservation {reservation.id} has no "
                "<instancesSet> items; not parsed"
            )
        return reservation

    async def describe_instances(
        self, *, instance_ids: Iterable[str] = (), filters: Filters | None = None
    ) -> list[Reservation]:
        """
        Describe instances (DescribeInstances), following every page.

        Args:
            instance_ids: only these instances (EC2 fails with ``InvalidInstanceID.NotFound``
                when one is unknown).
            filters: ``{"instance-state-name": ["running"], "tag:env": "prod"}``.

        Returns:
            The reservations holding the instances, bound to this session.

        .. versionadded:: 0.1
        """
        params = _describe_params(instance_ids, filters, None)
        session = self._as_session()
        found = await self._collect("DescribeInstances", params, "Reservations")
        return [Reservation.from_parsed(data, session=session) for data in found]

    async def get_all_instances(
        self, *, instance_ids: Iterable[str] = (), filters: Filters | None = None
    ) -> list[Reservation]:
        """
        Alias of :meth:`describe_instances`, for users of the boto tutorial.

        .. versionadded:: 0.1
        """
        return await self.describe_instances(instance_ids=instance_ids, filters=filters)

    def iter_reservations(
        self,
        *,
        instance_ids: Iterable[str] = (),
        filters: Filters | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[Reservation]:
        """
        Iterate over reservations, fetching one page of DescribeInstances at a time.

        The arguments are checked at once, when this is called; the first request is sent
        when iteration starts.

        Args:
            instance_ids: only these instances.
            filters: as for :meth:`describe_instances`.
            page_size: reservations per page (EC2's ``MaxResults``, 5 to 1000); EC2 allows it
                only without ``instance_ids``.

        .. versionadded:: 0.1
        """
        return self._reservations(_describe_params(instance_ids, filters, page_size))

    def iter_instances(
        self,
        *,
        instance_ids: Iterable[str] = (),
        filters: Filters | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[Instance]:
        """
        Iterate over instances, fetching one page of DescribeInstances at a time.

        Takes the arguments of :meth:`iter_reservations`.

        .. versionadded:: 0.1
        """
        return self._instances(_describe_params(instance_ids, filters, page_size))

    async def get_instance(self, instance_id: str) -> Instance:
        """
        Describe one instance.

        Args:
            instance_id: the instance, e.g. ``"i-1234567890abcdef0"``.

        Returns:
            Its current snapshot, bound to this session.

        Raises:
            NotFoundError: no such instance (``InvalidInstanceID.NotFound``), whether EC2
                said so or answered with no reservation.

        .. versionadded:: 0.1
        """
        check.non_empty_str("instance_id", instance_id)
        for reservation in await self.describe_instances(instance_ids=[instance_id]):
            for instance in reservation.instances:
                if instance.id == instance_id:
                    return instance
        raise NotFoundError(
            "InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' does not exist"
        )

    async def terminate_instances(
        self, instance_ids: Iterable[str], *, progress: Progress | None = None
    ) -> list[InstanceStateChange]:
        """
        Terminate instances (TerminateInstances).

        Any number of ids: they go out in concurrent requests of at most 1000 (see
        :func:`aioec2.bulk.change_states` for how failures of several requests are reported).

        Args:
            instance_ids: the instances (a list; a lone string is refused).
            progress: ``progress(done, total)`` as requests complete.

        Returns:
            One state change per instance, e.g. running -> shutting-down.

        .. versionadded:: 0.1
        """
        check.progress(progress)
        return await self._change_state("TerminateInstances", instance_ids, progress=progress)

    async def stop_instances(
        self,
        instance_ids: Iterable[str],
        *,
        force: bool = False,
        progress: Progress | None = None,
    ) -> list[InstanceStateChange]:
        """
        Stop instances (StopInstances), any number, in concurrent requests of at most 1000.

        Args:
            instance_ids: the instances.
            force: stop without a clean operating-system shutdown (EC2's ``Force``).
            progress: ``progress(done, total)`` as requests complete.

        Returns:
            One state change per instance, e.g. running -> stopping.

        .. versionadded:: 0.1
        """
        extra = {"Force": True} if check_instances.flag("force", force) else {}
        check.progress(progress)
        return await self._change_state(
            "StopInstances", instance_ids, extra=extra, progress=progress
        )

    async def start_instances(
        self, instance_ids: Iterable[str], *, progress: Progress | None = None
    ) -> list[InstanceStateChange]:
        """
        Start stopped instances (StartInstances), any number, in requests of at most 1000.

        Args:
            instance_ids: the instances.
            progress: ``progress(done, total)`` as requests complete.

        Returns:
            One state change per instance, e.g. stopped -> pending.

        .. versionadded:: 0.1
        """
        check.progress(progress)
        return await self._change_state("StartInstances", instance_ids, progress=progress)

    async def reboot_instances(self, instance_ids: Iterable[str]) -> None:
        """
        Reboot instances (RebootInstances); EC2 answers with no state change.

        Args:
            instance_ids: the instances.

        .. versionadded:: 0.1
        """
        await self.call("RebootInstances", {"InstanceIds": _ids(instance_ids)})

    # -- helpers -----------------------------------------------------------------------

    async def _reservations(self, params: dict[str, Any]) -> AsyncIterator[Reservation]:
        session = self._as_session()
        async for page in self.paginate("DescribeInstances", params):
            for data in page.get("Reservations", ()):
                yield Reservation.from_parsed(data, session=session)

    async def _instances(self, params: dict[str, Any]) -> AsyncIterator[Instance]:
        async for reservation in self._reservations(params):
            for instance in reservation.instances:
                yield instance

    async def _change_state(
        self,
        action: str,
        instance_ids: Iterable[str],
        *,
        extra: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> list[InstanceStateChange]:
        from aioec2.bulk import change_states  # noqa: PLC0415 - imported on first use

        return await change_states(
            self._as_session(), action, _ids(instance_ids), params=extra, progress=progress
        )


def run_instances_params(
    image_id: object,
    *,
    min_count: object = 1,
    max_count: object = 1,
    key_name: object = None,
    security_groups: object = (),
    security_group_ids: object = (),
    user_data: object = None,
    instance_type: object = None,
    subnet_id: object = None,
    tags: object = None,
    client_token: object = None,
    dry_run: object = False,
) -> dict[str, Any]:
    """
    Check :meth:`InstancesAPI.run_instances`' arguments and return RunInstances' parameters.

    ``launch_many`` checks every spec with this before it launches anything.

    Raises:
        TypeError: an argument has the wrong type.
        ArgumentError: an argument is malformed or out of range.
    """
    low, high = check_instances.counts(min_count, max_count)
    return {
        "ImageId": check.non_empty_str("image_id", image_id),
        "MinCount": low,
        "MaxCount": high,
        "KeyName": check.optional_str("key_name", key_name),
        "SecurityGroups": check.id_list("security_groups", security_groups),
        "SecurityGroupIds": check.id_list("security_group_ids", security_group_ids),
        "UserData": check_instances.user_data(user_data),
        "InstanceType": check.optional_str("instance_type", instance_type),
        "SubnetId": check.optional_str("subnet_id", subnet_id),
        "TagSpecifications": check_instances.tag_specifications(tags, "instance"),
        # None: the serializer fills in a token once, before the retry loop.
        "ClientToken": check_instances.client_token(client_token),
        "DryRun": True if check_instances.flag("dry_run", dry_run) else None,
    }


def _ids(instance_ids: object) -> list[str]:
    ids = check.id_list("instance_ids", instance_ids)
    if not ids:
        raise ArgumentError("instance_ids must name at least one instance")
    return ids


def _describe_params(
    instance_ids: Iterable[str], filters: object, page_size: object
) -> dict[str, Any]:
    ids = check.id_list("instance_ids", instance_ids)
    return {
        "InstanceIds": ids,
        "Filters": check.filters(filters),
        "MaxResults": check_instances.page_size(page_size, with_ids=bool(ids)),
    }
