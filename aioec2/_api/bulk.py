"""Bulk operations on a Session: many launches at once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from aioec2 import bulk
from aioec2._api._base import OperationsBase

if TYPE_CHECKING:
    from aioec2.bulk import LaunchResult, Progress
    from aioec2.session import Session

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
        session = cast("Session", self)
        return await bulk.launch_many(session, specs, concurrency=concurrency, progress=progress)
