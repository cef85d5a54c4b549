"""
Bulk work: many launches, many state changes; every failure reported, none swallowed.

* :func:`launch_many` sends one RunInstances per spec, a bounded number at a time. Each spec
  gets its own ``ClientToken`` before anything is sent and keeps it through every retry, so
  a lost answer followed by a retry never launches twice (EC2 answers a repeated token with
  the first launch: https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html).
  Throttling slows the whole batch down instead of failing specs. The result lists every
  reservation and every failed spec; nothing raises half-way.
* :func:`change_states` splits any number of ids into TerminateInstances, StopInstances or
  StartInstances requests of at most 1000 ids (EC2's limit per request), sends them
  concurrently (the session's connection pool bounds how many are in flight), merges the
  answers and reports every failed request.

Bulk calls take a ``progress(done, total)`` callable, called from the calling task.

This module is part of the I/O edge: :func:`launch_many` sleeps while EC2 throttles it.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from aioec2 import _validate as check
from aioec2 import _validate_instances as check_instances
from aioec2._core.retry import is_retryable, is_throttle
from aioec2.errors import ArgumentError, PartialBulkError
from aioec2.models.instance import Instance, InstanceStateChange, Reservation

if TYPE_CHECKING:
    from aioec2.session import Session

__all__ = [
    "CHUNK_SIZE",
    "LaunchFailure",
    "LaunchResult",
    "PartialBulkError",
    "Progress",
    "change_states",
    "launch_many",
    "report_progress",
]

#: ``progress(done, total)``: called as a bulk call advances.
Progress = Callable[[int, int], object]

#: Ids per TerminateInstances/StopInstances/StartInstances request. EC2 documents a batch
#: limit of 1000 instance ids for these actions.
CHUNK_SIZE = 1000

# The answer member of each state-changing action (EC2's service model).
_CHANGE_RESULT = {
    "TerminateInstances": "TerminatingInstances",
    "StopInstances": "StoppingInstances",
    "StartInstances": "StartingInstances",
}


@attrs.frozen(kw_only=True)
class LaunchFailure:
    """
    A launch spec that failed, with its error.

    Attributes:
        spec: the spec as given (a read-only view).
        error: the last error its RunInstances met.
        client_token: the ``ClientToken`` every attempt carried. If the error came after EC2
            may have acted (a lost answer), ``describe_instances(filters={"client-token":
            token})`` finds what was launched, and launching again with the same token is safe.
        attempts: how many times its RunInstances was sent by ``launch_many``.

    .. versionadded:: 0.1
    """

    spec: Mapping[str, Any]
    error: Exception
    client_token: str
    attempts: int


@attrs.frozen(kw_only=True)
class LaunchResult:
    """
    What :func:`launch_many` did: every reservation launched and every spec that failed.

    Attributes:
        reservations: one per successful spec, in spec order.
        failures: one per failed spec, in spec order.

    .. versionadded:: 0.1
    """

    reservations: tuple[Reservation, ...]
    failures: tuple[LaunchFailure, ...]

    @property
    def instances(self) -> tuple[Instance, ...]:
        """Every instance launched, reservation by reservation."""
        return tuple(i for r in self.reservations for i in r.instances)

    @property
    def ok(self) -> bool:
        """True when no spec failed."""
        return not self.failures

    def raise_for_failures(self) -> None:
        """
        Raise if any spec failed.

        Raises:
            PartialBulkError: holding each failed spec's error (a note on each names the
                spec's position); ``partial_results`` are the reservations launched.
        """
        if not self.failures:
            return
        raise PartialBulkError(
            f"{len(self.failures)} of {len(self.failures) + len(self.reservations)} launches "
            "failed",
            [f.error for f in self.failures],
            partial_results=self.reservations,
        )


def _check_specs(specs: object, allowed: Collection[str]) -> list[dict[str, Any]]:
    """
    Check launch specs before anything is sent; return them as plain dicts, in order.

    Raises:
        TypeError: ``specs`` or a spec has the wrong type.
        ArgumentError: a spec has keys not in ``allowed``, no ``image_id`` or a bad value.
    """
    if isinstance(specs, Mapping | str | bytes) or not isinstance(specs, Iterable):
        raise TypeError(
            "specs must be a list of mappings of run_instances arguments"
            + (" (wrap a single spec in a list)" if isinstance(specs, Mapping) else "")
        )
    out: list[dict[str, Any]] = []
    for index, spec in enumerate(specs):
        where = f"specs[{index}]"
        if not isinstance(spec, Mapping):
            raise TypeError(f"{where} must be a mapping of run_instances arguments")
        unknown = sorted(map(str, set(spec) - set(allowed)))
        if unknown:
            raise ArgumentError(
                f"{where} has unknown keys {unknown}; run_instances takes {sorted(allowed)}"
            )
        if "image_id" not in spec:
            raise ArgumentError(f"{where} has no 'image_id'")
        try:
            check.non_empty_str("image_id", spec["image_id"])
            check_instances.counts(spec.get("min_count", 1), spec.get("max_count", 1))
            check_instances.client_token(spec.get("client_token"))
            check_instances.flag("dry_run", spec.get("dry_run", False))
        except (TypeError, ArgumentError) as exc:
            raise type(exc)(f"{where}: {exc}") from exc
        out.append(dict(spec))
    return out


class _Pacer:
    """
    One pause shared by every launch of a bulk call: a throttle slows them all down.

    After a throttled launch nobody sends for ``delay`` seconds, and the delay doubles (up
    to ``cap``); each success halves it again, down to ``base``. Other retryable failures
    (a lost connection, a 5xx) pause only their own launch.
    """

    def __init__(self, *, base: float, cap: float) -> None:
        self.base = base
        self.cap = max(cap, base)
        self.delay = base
        self.resume_at = -math.inf

    async def ready(self) -> None:
        wait = self.resume_at - asyncio.get_running_loop().time()
        if wait > 0:
            await asyncio.sleep(wait)
            await self.ready()  # another launch may have been throttled meanwhile

    def throttled(self) -> None:
        now = asyncio.get_running_loop().time()
        self.resume_at = max(self.resume_at, now + self.delay)
        self.delay = min(self.cap, self.delay * 2)

    async def backoff(self) -> None:
        await asyncio.sleep(self.base)

    def succeeded(self) -> None:
        self.delay = max(self.base, self.delay / 2)


async def report_progress(
    done: Callable[[], int], total: int, changed: asyncio.Event, progress: Progress | None
) -> None:
    """
    Call ``progress(done(), total)`` from the calling task whenever ``changed`` is set.

    Returns once ``done()`` reaches ``total``; workers bump their count, then set ``changed``.
    """
    reported = -1
    while True:
        count = done()
        if progress is not None and count != reported:
            progress(count, total)
            reported = count
        if count >= total:
            return
        changed.clear()
        await changed.wait()


async def launch_many(
    session: Session,
    specs: Iterable[Mapping[str, Any]],
    *,
    concurrency: int = 8,
    progress: Progress | None = None,
) -> LaunchResult:
    """
    Launch instances for many specs, ``concurrency`` RunInstances at a time.

    Every spec is checked first; then each gets a fresh ``ClientToken`` (unless it names
    one) that all its attempts carry. A spec whose launch fails in a way worth retrying
    (throttling, 5xx, a lost connection) is sent again, with the same token, up to
    ``Config.bulk_max_attempts`` times; while EC2 throttles, every launch of the call waits
    (``Config.bulk_retry_delay``, doubling). These pauses are pacing against EC2's request
    limits, not retry back-off, so ``aioec2.testing.set_testing`` does not shorten them.

    Args:
        session: the open session.
        specs: mappings of :meth:`~aioec2.Session.run_instances` keyword arguments, e.g.
            ``{"image_id": "ami-...", "max_count": 5, "key_name": "gsg-keypair"}``.
        concurrency: RunInstances calls in flight at most. The default, 8, is a little
            above EC2's RunInstances burst (a bucket of 5 requests refilled at 2 a second);
            the shared pause absorbs the throttles beyond it.
        progress: ``progress(done_specs, total_specs)``.

    Returns:
        Every reservation and every failure, in spec order; no spec is dropped. (Cancelling
        the call cancels the launches in flight; give each spec a ``client_token`` to make
        launching the same specs again safe.)

    Raises:
        TypeError: a spec is not a mapping, or a value has the wrong type (nothing sent).
        ArgumentError: a spec is malformed (nothing sent).

    .. versionadded:: 0.1
    """
    # A spec holds run_instances' keyword arguments, read from the method itself.
    checked = _check_specs(specs, inspect.signature(session.run_instances).parameters)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ArgumentError(f"concurrency must be an integer >= 1, got {concurrency!r}")
    tokens = [spec.pop("client_token", None) or str(uuid.uuid4()) for spec in checked]
    config = session.config
    pacer = _Pacer(base=config.bulk_retry_delay, cap=config.poll_max_interval)
    limit = asyncio.Semaphore(concurrency)
    changed = asyncio.Event()
    finished = 0

    async def launch(index: int) -> Reservation | LaunchFailure:
        nonlocal finished
        try:
            async with limit:
                return await _launch_one(
                    session, checked[index], tokens[index], pacer, config.bulk_max_attempts
                )
        finally:
            finished += 1
            changed.set()

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(launch(i)) for i in range(len(checked))]
        await report_progress(lambda: finished, len(tasks), changed, progress)
    outcomes = [task.result() for task in tasks]
    return LaunchResult(
        reservations=tuple(o for o in outcomes if isinstance(o, Reservation)),
        failures=tuple(o for o in outcomes if isinstance(o, LaunchFailure)),
    )


async def _launch_one(
    session: Session, spec: dict[str, Any], token: str, pacer: _Pacer, attempts: int
) -> Reservation | LaunchFailure:
    attempt = 0
    while True:
        attempt += 1
        await pacer.ready()
        try:
            reservation = await session.run_instances(**spec, client_token=token)
        # Every failure of one spec is reported in the result, never raised half-way.
        except Exception as exc:  # noqa: BLE001
            if attempt < attempts and is_retryable(exc):
                if is_throttle(exc):
                    pacer.throttled()
                else:
                    await pacer.backoff()
                continue
            spec_view = MappingProxyType({**spec, "client_token": token})
            return LaunchFailure(spec=spec_view, error=exc, client_token=token, attempts=attempt)
        pacer.succeeded()
        return reservation


async def change_states(
    session: Session,
    action: str,
    instance_ids: Iterable[str],
    *,
    params: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> list[InstanceStateChange]:
    """
    Send TerminateInstances, StopInstances or StartInstances for any number of instances.

    The ids go out in requests of at most 1000, all at once (the session's connection pool
    bounds how many are in flight). Up to 1000 ids this is exactly one request, and its error
    is raised as it is; beyond, every failed request is reported together. ``except*
    NotFoundError`` handles both.

    Args:
        session: the open session.
        action: ``"TerminateInstances"``, ``"StopInstances"`` or ``"StartInstances"``.
        instance_ids: the instances (a list; a lone string is refused).
        params: more members for every request, e.g. ``{"Force": True}``.
        progress: ``progress(done_ids, total_ids)``.

    Returns:
        Every state change, requests in id order.

    Raises:
        ArgumentError: an unknown action or no ids (nothing sent).
        EC2APIError: the one request failed (1000 ids or fewer).
        PartialBulkError: some of several requests failed: one error per failed request,
            each with a note naming its ids; ``partial_results`` holds the state changes of
            the requests that succeeded.

    .. versionadded:: 0.1
    """
    result_key = _CHANGE_RESULT.get(action)
    if result_key is None:
        raise ArgumentError(f"action must be one of {sorted(_CHANGE_RESULT)}, got {action!r}")
    ids = check.id_list("instance_ids", instance_ids)
    if not ids:
        raise ArgumentError("instance_ids must name at least one instance")
    chunks = [ids[i : i + CHUNK_SIZE] for i in range(0, len(ids), CHUNK_SIZE)]
    extra = dict(params or {})
    changed = asyncio.Event()
    done_ids = 0

    async def send(chunk: list[str]) -> list[InstanceStateChange] | Exception:
        nonlocal done_ids
        try:
            answer = await session.call(action, {**extra, "InstanceIds": chunk})
        # One failed request must not cancel the others: its error is collected instead.
        except Exception as exc:  # noqa: BLE001
            return exc
        finally:
            done_ids += len(chunk)
            changed.set()
        return [
            InstanceStateChange.from_parsed(c, session=session) for c in answer.get(result_key, ())
        ]

    if len(chunks) == 1 and progress is None:
        outcomes = [await send(chunks[0])]
    else:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(send(chunk)) for chunk in chunks]
            await report_progress(lambda: done_ids, len(ids), changed, progress)
        outcomes = [task.result() for task in tasks]
    changes = [c for o in outcomes if not isinstance(o, Exception) for c in o]
    errors: list[Exception] = []
    for number, (chunk, outcome) in enumerate(zip(chunks, outcomes, strict=True), start=1):
        if isinstance(outcome, Exception):
            outcome.add_note(
                f"{action} request {number} of {len(chunks)}: {len(chunk)} instances, "
                f"{chunk[0]} .. {chunk[-1]}"
            )
            errors.append(outcome)
    if len(chunks) == 1 and errors:
        raise errors[0]
    if errors:
        raise PartialBulkError(
            f"{len(errors)} of {len(chunks)} {action} requests failed "
            f"({len(changes)} of {len(ids)} instances changed)",
            errors,
            partial_results=changes,
        )
    return changes
