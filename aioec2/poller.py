"""
The shared, coalescing DescribeInstances poller behind every wait of a Session.

Every waiter registers the instance it waits on and the state it wants. One task per
Session polls: each *tick* sends one DescribeInstances per 1000 waited-on ids (never one per
waiter), hands each waiter the snapshot of its instance, and sleeps until the next tick. The
task starts with the first waiter and ends when the last one leaves.

* **Pacing.** The interval grows from ``Config.poll_min_interval`` to ``poll_max_interval``
  while nobody new arrives, and goes back to the minimum when a new waiter does (see
  :class:`~aioec2._core.waiters.PollBackoff`). Throttling (``RequestLimitExceeded``) doubles it
  instead of failing anybody.
* **Unknown ids.** EC2 fails a whole DescribeInstances with ``InvalidInstanceID.NotFound`` when
  one id is unknown, naming the unknown ones. The poller asks again without them, in the same
  tick, so one young instance never holds back the others; the unknown ones are retried for
  ``Config.not_found_grace`` seconds (EC2's eventual consistency), then their waiters fail.
* **Other errors.** A request that still fails after the session's retries is tried again at
  the next tick; after a few failed ticks in a row its waiters get the error.
* **Ending.** A waiter that is cancelled or times out leaves alone; when the last one leaves
  the poll task is cancelled (its request too, which returns the connection to the pool).
  :meth:`Poller.close` (called by ``Session.close()``) ends every waiter with
  :class:`~aioec2.errors.SessionClosedError`.

This is an I/O-edge module: it sleeps and reads the loop's clock; every decision is a pure
function of :mod:`aioec2._core.waiters`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from typing import TYPE_CHECKING, Any

import attrs

from aioec2._core.retry import is_throttle
from aioec2._core.waiters import (
    MALFORMED,
    NOT_FOUND,
    Outcome,
    PollBackoff,
    WaiterModel,
    evaluate,
    set_aside,
    waiter_for,
)
from aioec2.errors import (
    AioEC2Error,
    EC2APIError,
    NotFoundError,
    SessionClosedError,
    WaiterFailureError,
    WaiterTimeoutError,
    WrongEventLoopError,
)
from aioec2.models.instance import Instance

if TYPE_CHECKING:
    from aioec2.session import Session

__all__ = ["BATCH_SIZE", "ERROR_TICKS", "Poller", "Waiter"]

log = logging.getLogger("aioec2.poller")

#: Ids per DescribeInstances. EC2 returns at most 1000 items per page (``MaxResults`` 5 to
#: 1000) and the API contract promises one request per 1000 waited-on instances.
BATCH_SIZE = 1000
#: Failed ticks in a row (after the session's own retries) a waiter sits through before it
#: gets the error; throttled ticks do not count.
ERROR_TICKS = 3

# Errors no later tick can cure: the session is gone or used from the wrong loop.
_FATAL = (SessionClosedError, WrongEventLoopError)


@attrs.define(eq=False, kw_only=True)
class Waiter:
    """
    One wait: an instance, the waiter model, and the future its caller awaits.

    Attributes:
        instance_id: the instance waited on.
        model: the acceptor table.
        future: resolves to the first snapshot in the wanted state, or fails.
        last: the latest snapshot seen (None before the first).
        missing_since: loop time the instance was first seen missing, while it is.
        errors: failed ticks in a row.

    .. versionadded:: 0.1
    """

    instance_id: str
    model: WaiterModel
    future: asyncio.Future[Instance]
    last: Instance | None = None
    missing_since: float | None = None
    errors: int = 0

    def timeout_error(self, timeout: float) -> WaiterTimeoutError:
        """Build the error for a wait that ran out of time, carrying the last snapshot."""
        seen = f"last seen {self.last.state!r}" if self.last is not None else "never seen"
        return WaiterTimeoutError(
            f"instance {self.instance_id} did not become {self.model.target!r} within "
            f"{timeout:g} s ({seen})",
            last_result=self.last,
        )


@attrs.define(kw_only=True)
class _Answer:
    """What the requests of one batch learnt."""

    found: dict[str, dict[str, Any]] = attrs.Factory(dict)
    missing: dict[str, EC2APIError | None] = attrs.Factory(dict)
    rejected: dict[str, EC2APIError] = attrs.Factory(dict)
    failed: list[tuple[list[str], AioEC2Error]] = attrs.Factory(list)
    fatal: AioEC2Error | None = None
    throttled: bool = False


class Poller:
    """
    The one DescribeInstances poller of a Session, shared by every wait.

    Normally reached through ``Session.wait_until_instance`` and ``Session.wait_all``.

    Args:
        session: the session to poll with; its Config gives the intervals and grace period.
        error_ticks: failed ticks in a row before a waiter gets the error.

    Attributes:
        ticks: ticks run so far.
        requests: DescribeInstances calls the poller made (each may be retried inside
            the session).
        throttled_ticks: ticks in which EC2 throttled a request.
        in_flight: DescribeInstances calls in progress right now.

    .. versionadded:: 0.1
    """

    def __init__(self, session: Session, *, error_ticks: int = ERROR_TICKS) -> None:
        config = session.config
        self._session = session
        self._backoff = PollBackoff(
            minimum=config.poll_min_interval, maximum=config.poll_max_interval
        )
        self._grace = config.not_found_grace
        self._error_ticks = error_ticks
        self._waiters: dict[str, list[Waiter]] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._next_at = -math.inf
        self._last_tick = -math.inf
        self._closed = False
        self.ticks = 0
        self.requests = 0
        self.throttled_ticks = 0
        self.in_flight = 0

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("polling" if self.running else "idle")
        return f"<Poller {state} waiters={self.waiting} ticks={self.ticks}>"

    @property
    def running(self) -> bool:
        """True while the poll task exists."""
        return self._task is not None and not self._task.done()

    @property
    def waiting(self) -> int:
        """The number of waiters registered."""
        return sum(len(waiters) for waiters in self._waiters.values())

    @property
    def interval(self) -> float:
        """The delay the next quiet tick will wait, in seconds."""
        return self._backoff.interval

    # -- waiters -----------------------------------------------------------------------

    def watch(self, instance_id: str, state: str) -> Waiter:
        """
        Register a waiter and make sure the poll task runs.

        The caller must :meth:`unwatch` it when done (also on cancellation).

        Raises:
            SessionClosedError: the poller was closed.
            ArgumentError: ``state`` is not a known waiter state.
        """
        if self._closed:
            raise SessionClosedError("this Session is closed; open a new one to wait")
        model = waiter_for(state)
        loop = asyncio.get_running_loop()
        waiter = Waiter(instance_id=instance_id, model=model, future=loop.create_future())
        self._waiters.setdefault(instance_id, []).append(waiter)
        # A newcomer is looked at soon: back to the shortest interval throttling allows.
        self._backoff.reset()
        self._next_at = min(self._next_at, self._last_tick + self._backoff.interval)
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run(), name="aioec2.poller")
        return waiter

    def unwatch(self, waiter: Waiter) -> None:
        """Remove a waiter (idempotent); the poll task stops when none is left."""
        self._drop(waiter)
        future = waiter.future
        if not future.done():
            future.cancel()
        elif not future.cancelled():
            future.exception()  # retrieved: no "exception was never retrieved" warning
        if not self._waiters and self._task is not None:
            task, self._task = self._task, None
            task.cancel()

    async def wait(self, instance_id: str, state: str, *, timeout: float | None) -> Instance:
        """
        Wait until ``instance_id`` is in ``state``.

        Args:
            instance_id: the instance.
            state: a key of :data:`aioec2._core.waiters.WAITERS`.
            timeout: seconds, or None for no limit.

        Returns:
            The first snapshot in ``state``.

        Raises:
            WaiterFailureError: a failure state was reached, or the instance stayed unknown.
            WaiterTimeoutError: ``timeout`` passed; ``last_result`` is the last snapshot.
            SessionClosedError: the session closed meanwhile.
        """
        waiter = self.watch(instance_id, state)
        try:
            async with asyncio.timeout(timeout) as scope:
                return await waiter.future
        except TimeoutError:
            if scope.expired() and timeout is not None:
                raise waiter.timeout_error(timeout) from None
            raise
        finally:
            self.unwatch(waiter)

    async def close(self) -> None:
        """End every waiter with SessionClosedError and stop polling; idempotent."""
        self._closed = True
        waiters = [w for ws in self._waiters.values() for w in ws]
        self._waiters.clear()
        for waiter in waiters:
            if not waiter.future.done():
                waiter.future.set_exception(
                    SessionClosedError(
                        f"the Session was closed while waiting for instance "
                        f"{waiter.instance_id} to be {waiter.model.target!r}"
                    )
                )
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])

    # -- the poll task -----------------------------------------------------------------

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiters:
                remaining = self._next_at - loop.time()
                if remaining > 0:
                    # Sleep until the next tick, or until a newcomer moves it earlier.
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(remaining):
                            await self._wake.wait()
                    continue
                throttled = await self._tick()
                self._last_tick = loop.time()
                self._next_at = self._last_tick + self._backoff.after_tick(throttled=throttled)
        except Exception as exc:  # a bug: fail the waiters rather than leave them hanging
            log.exception("the waiter poller failed")
            self._fail_all(exc)
        finally:
            if self._task is asyncio.current_task():
                self._task = None

    async def _tick(self) -> bool:
        self.ticks += 1
        ids = list(self._waiters)
        batches = [ids[i : i + BATCH_SIZE] for i in range(0, len(ids), BATCH_SIZE)]
        if len(batches) == 1:
            answers = [await self._describe(batches[0])]
        else:
            # A TaskGroup: if the poll task is cancelled, every request is cancelled and
            # finished before the task ends, so nothing outlives it.
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self._describe(batch)) for batch in batches]
            answers = [task.result() for task in tasks]
        now = asyncio.get_running_loop().time()
        throttled = False
        for answer in answers:
            if answer.fatal is not None:
                self._fail_all(answer.fatal)
                return False
            self._deliver(answer, now)
            throttled = throttled or answer.throttled
            if len(answers) > 1:
                # Let the waiters of this batch (up to 1000) run before the next batch is
                # handed out, so one tick never holds the loop for every waiter at once.
                await asyncio.sleep(0)
        if throttled:
            self.throttled_ticks += 1
        log.debug(
            "tick %d: %d ids in %d requests%s",
            self.ticks,
            len(ids),
            len(batches),
            ", throttled" if throttled else "",
        )
        return throttled

    async def _describe(self, ids: list[str]) -> _Answer:
        answer = _Answer()
        todo = [ids]
        while todo:
            part = todo.pop()
            try:
                found = await self._request(part)
            except _FATAL as exc:
                answer.fatal = exc
                return answer
            except EC2APIError as exc:
                if exc.code not in (NOT_FOUND, MALFORMED):
                    answer.failed.append((part, exc))
                    answer.throttled = answer.throttled or is_throttle(exc)
                    continue
                culprits, again = set_aside(part, exc.message)
                for instance_id in culprits:
                    if exc.code == NOT_FOUND:
                        answer.missing[instance_id] = exc
                    else:
                        answer.rejected[instance_id] = exc
                todo.extend(again)
            except AioEC2Error as exc:
                answer.failed.append((part, exc))
            else:
                answer.found.update(found)
                for instance_id in part:
                    if instance_id not in found:  # left out of the answer: unknown too
                        answer.missing.setdefault(instance_id, None)
        return answer

    async def _request(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        params: dict[str, Any] = {"InstanceIds": ids}
        while True:
            self.requests += 1
            self.in_flight += 1
            try:
                page = await self._session.call("DescribeInstances", params)
            finally:
                self.in_flight -= 1
            for reservation in page.get("Reservations", ()):
                for data in reservation.get("Instances", ()):
                    found[data["InstanceId"]] = data
            token = page.get("NextToken")
            if not token:
                return found
            params = {**params, "NextToken": token}

    # -- delivering --------------------------------------------------------------------

    def _deliver(self, answer: _Answer, now: float) -> None:
        for instance_id, data in answer.found.items():
            waiters = self._waiters.get(instance_id)
            if not waiters:
                continue
            instance = Instance.from_parsed(data, session=self._session)
            for waiter in list(waiters):
                self._judge_present(waiter, instance)
        for instance_id, error in answer.missing.items():
            for waiter in list(self._waiters.get(instance_id, ())):
                self._judge_missing(waiter, error, now)
        for instance_id, error in answer.rejected.items():
            for waiter in list(self._waiters.get(instance_id, ())):
                self._finish(waiter, error=error)
        for part, failure in answer.failed:
            if is_throttle(failure):
                continue  # throttling slows the poller down; it fails nobody
            for instance_id in part:
                for waiter in list(self._waiters.get(instance_id, ())):
                    waiter.errors += 1
                    if waiter.errors >= self._error_ticks:
                        self._finish(waiter, error=failure)

    def _judge_present(self, waiter: Waiter, instance: Instance) -> None:
        waiter.last = instance
        waiter.missing_since = None
        waiter.errors = 0
        verdict = evaluate(waiter.model, instance.state)
        if verdict.outcome is Outcome.SUCCESS:
            self._finish(waiter, result=instance)
        elif verdict.outcome is Outcome.FAILURE:
            message = f"instance {waiter.instance_id} {verdict.reason}"
            self._finish(waiter, error=WaiterFailureError(message, last_result=instance))

    def _judge_missing(self, waiter: Waiter, error: EC2APIError | None, now: float) -> None:
        waiter.errors = 0
        if waiter.missing_since is None:
            waiter.missing_since = now
        verdict = evaluate(
            waiter.model, None, missing_for=now - waiter.missing_since, grace=self._grace
        )
        if verdict.outcome is Outcome.RETRY:
            return
        failure = WaiterFailureError(
            f"instance {waiter.instance_id} {verdict.reason}", last_result=waiter.last
        )
        failure.__cause__ = error or NotFoundError(
            NOT_FOUND, f"The instance ID '{waiter.instance_id}' does not exist"
        )
        self._finish(waiter, error=failure)

    def _finish(
        self, waiter: Waiter, *, result: Instance | None = None, error: Exception | None = None
    ) -> None:
        self._drop(waiter)
        if waiter.future.done():
            return
        if error is not None:
            waiter.future.set_exception(error)
        elif result is not None:
            waiter.future.set_result(result)

    def _drop(self, waiter: Waiter) -> None:
        waiters = self._waiters.get(waiter.instance_id)
        if waiters is not None and waiter in waiters:
            waiters.remove(waiter)
            if not waiters:
                del self._waiters[waiter.instance_id]

    def _fail_all(self, error: Exception) -> None:
        waiters = [w for ws in self._waiters.values() for w in ws]
        self._waiters.clear()
        for waiter in waiters:
            if not waiter.future.done():
                waiter.future.set_exception(error)
