"""Waiting for instance states: single waits and many at once, all on the shared poller."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, cast

from aioec2 import _validate as check
from aioec2._api._base import OperationsBase
from aioec2.errors import ArgumentError, PartialBulkError

if TYPE_CHECKING:
    from aioec2.bulk import Progress
    from aioec2.models.instance import Instance
    from aioec2.poller import Poller, Waiter

__all__ = ["WaitingAPI"]


class WaitingAPI(OperationsBase):
    """Waits on instance states; every wait of a Session shares one poller."""

    __slots__ = ()

    # Created by Session.__init__ as None, built on the first wait (it needs the running loop).
    _poller: Poller | None

    @property
    def poller(self) -> Poller:
        """
        The session's shared waiter poller (created on first use); its counters help tests.

        .. versionadded:: 0.1
        """
        session = self._as_session()
        if session._poller is None:
            from aioec2.poller import Poller  # noqa: PLC0415 - imported on first use

            session._poller = Poller(session)
        return session._poller

    async def wait_until_instance(
        self, instance_id: str, state: str, *, timeout: float | None = None
    ) -> Instance:
        """
        Wait until an instance reaches ``state``; ``Instance.wait_until`` calls this.

        The instance is looked at by the session's shared poller, together with every other
        instance anybody waits on (one DescribeInstances per 1000 of them per tick).

        Args:
            instance_id: the instance, e.g. ``"i-1234567890abcdef0"``.
            state: ``"running"``, ``"stopped"``, ``"terminated"`` or ``"exists"``.
            timeout: seconds; None uses ``Config.wait_timeout`` (600 s by default, as the
                AWS waiters), ``math.inf`` waits without limit.

        Returns:
            The first snapshot of the instance in ``state`` (a new object; models never
            change).

        Raises:
            ArgumentError: an unknown state, a malformed id or timeout (nothing sent).
            WaiterFailureError: the instance reached a state from which ``state`` cannot
                follow (the AWS waiters' failure acceptors: running fails on shutting-down,
                terminated, stopping; stopped on pending, terminated; terminated on pending,
                stopping), or stayed unknown for ``Config.not_found_grace`` seconds;
                ``last_result`` is the snapshot that failed (None if never seen).
            WaiterTimeoutError: ``timeout`` passed; ``last_result`` is the last snapshot.
            SessionClosedError: the session is closed, or closed while waiting.
            EC2APIError: DescribeInstances kept failing (other than throttling) for
                several ticks in a row.

        .. versionadded:: 0.1
        """
        from aioec2._core.waiters import waiter_for  # noqa: PLC0415 - imported on first use

        instance_id = _instance_id("instance_id", instance_id)
        waiter_for(state)
        limit = self._timeout(timeout)
        self._as_session()._require_client()
        return await self.poller.wait(instance_id, state, timeout=limit)

    async def wait_all(
        self,
        instances_or_ids: Iterable[Instance | str],
        state: str,
        *,
        timeout: float | None = None,
        progress: Progress | None = None,
    ) -> list[Instance]:
        """
        Wait until every instance reaches ``state``, polling them together.

        Every wait runs to its end: one instance failing does not stop the others, and the
        failures are raised together once all are done.

        Args:
            instances_or_ids: :class:`~aioec2.models.instance.Instance` objects or ids.
            state: as for :meth:`wait_until_instance`.
            timeout: for the whole call, as for :meth:`wait_until_instance`.
            progress: ``progress(done, total)``, called as instances finish.

        Returns:
            The snapshots in ``state``, in input order.

        Raises:
            ArgumentError: an unknown state, a malformed id or timeout (nothing sent).
            PartialBulkError: some instances failed or timed out: one
                ``WaiterFailureError``/``WaiterTimeoutError`` (or other error) per such
                instance, in input order; ``partial_results`` is the list of results in
                input order with None where the wait failed.
            SessionClosedError: the session is closed.

        .. versionadded:: 0.1
        """
        from aioec2._core.waiters import waiter_for  # noqa: PLC0415 - imported on first use
        from aioec2.bulk import report_progress  # noqa: PLC0415 - imported on first use
        from aioec2.models.instance import Instance  # noqa: PLC0415 - imported on first use

        if isinstance(instances_or_ids, str | bytes | Instance):
            raise TypeError("instances_or_ids must be a list (wrap a single one in a list)")
        if not isinstance(instances_or_ids, Iterable) or isinstance(instances_or_ids, Mapping):
            raise TypeError(
                "instances_or_ids must be a list of Instance objects or ids, "
                f"got {type(instances_or_ids).__name__}"
            )
        check.progress(progress)
        ids = [
            item.id if isinstance(item, Instance) else _instance_id(f"instances_or_ids[{n}]", item)
            for n, item in enumerate(instances_or_ids)
        ]
        waiter_for(state)
        limit = self._timeout(timeout)
        self._as_session()._require_client()
        if not ids:
            return []
        poller = self.poller
        waiters = [poller.watch(instance_id, state) for instance_id in ids]
        changed = asyncio.Event()
        finished = 0

        def on_done(_future: object) -> None:
            nonlocal finished
            finished += 1
            changed.set()

        for waiter in waiters:
            waiter.future.add_done_callback(on_done)
        try:
            async with asyncio.timeout(limit) as scope:
                await report_progress(lambda: finished, len(ids), changed, progress)
        except TimeoutError:
            if not scope.expired():
                raise
        finally:
            for waiter in waiters:
                poller.unwatch(waiter)
        return _collect(waiters, state, limit)

    def _timeout(self, timeout: object) -> float | None:
        if timeout is None:
            timeout = self._as_session().config.wait_timeout
        if timeout is None:
            return None
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout >= 0:
            raise ArgumentError(f"timeout must be None or a number >= 0, got {timeout!r}")
        return None if math.isinf(timeout) else float(timeout)


def _instance_id(name: str, value: object) -> str:
    check.id_list(name, [value], prefix="i-")
    return cast("str", value)


def _collect(waiters: list[Waiter], state: str, limit: float | None) -> list[Instance]:
    results: list[Instance | None] = []
    errors: list[Exception] = []
    for waiter in waiters:
        future = waiter.future
        if future.cancelled():
            # Cancelled by unwatch() because the call's timeout ran out.
            errors.append(waiter.timeout_error(limit or 0.0))
            results.append(None)
            continue
        error = future.exception()
        if error is None:
            results.append(future.result())
            continue
        results.append(None)
        if not isinstance(error, Exception):  # a BaseException cannot join an ExceptionGroup
            wrapped = RuntimeError(f"{type(error).__name__}: {error}")
            wrapped.__cause__ = error
            error = wrapped
        errors.append(error)
    if errors:
        raise PartialBulkError(
            f"{len(errors)} of {len(waiters)} instances did not become {state!r}",
            errors,
            partial_results=results,
        )
    return [r for r in results if r is not None]
