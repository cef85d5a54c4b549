"""Bulk operations on a Session: many launches at once."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from aioec2 import _validate as check
from aioec2._api._base import OperationsBase
from aioec2._api.instances import run_instances_params
from aioec2.errors import ArgumentError

if TYPE_CHECKING:
    from aioec2.bulk import LaunchResult, Progress

__all__ = ["BulkAPI"]


class BulkAPI(OperationsBase):
    """Bulk launches; see :mod:`aioec2.bulk`."""

    __slots__ = ()

    async def launch_many(
        self,
        specs: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = 8,
        progress: Progress | None = None,
    ) -> LaunchResult:
        """
        Launch instances for many specs concurrently, each spec with its own ClientToken.

        Args:
            specs: mappings of :meth:`run_instances` keyword arguments, e.g.
                ``{"image_id": "ami-...", "max_count": 5, "key_name": "gsg-keypair"}``.
            concurrency: RunInstances calls in flight at most.
            progress: ``progress(done_specs, total_specs)``.

        Returns:
            ``.reservations`` (every one launched) and ``.failures`` (every spec that failed,
            with its error); ``.raise_for_failures()`` raises if any failed.

        Raises:
            TypeError: a spec is not a mapping or a value has the wrong type (nothing sent).
            ArgumentError: a spec has unknown keys, no ``image_id`` or a bad value (nothing
                sent).

        .. versionadded:: 0.1
        """
        from aioec2 import bulk  # noqa: PLC0415 - imported on first use

        check.progress(progress)
        if isinstance(specs, Iterable) and not isinstance(specs, Mapping | str | bytes):
            specs = list(specs)  # read once: checked here, launched by bulk.launch_many
            _check_values(specs)
        session = self._as_session()
        return await bulk.launch_many(session, specs, concurrency=concurrency, progress=progress)


def _check_values(specs: list[Any]) -> None:
    # bulk.launch_many checks the specs' shape (mappings, known keys, an image_id); this checks
    # every value as run_instances will, so a bad one fails the whole call before any launch.
    for index, spec in enumerate(specs):
        if not isinstance(spec, Mapping) or "image_id" not in spec or set(spec) - _RUN_ARGUMENTS:
            continue  # bulk.launch_many says what is wrong with it
        try:
            run_instances_params(**spec)
        except (TypeError, ArgumentError) as exc:
            raise type(exc)(f"specs[{index}]: {exc}") from exc


_RUN_ARGUMENTS = frozenset(inspect.signature(run_instances_params).parameters)
