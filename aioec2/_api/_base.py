"""The two calls every operation mixin builds on; :class:`aioec2.Session` provides them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from aioec2.session import Session


class OperationsBase:
    """Declares the transport calls the mixins use; the Session implements them."""

    __slots__ = ()

    def _as_session(self) -> Session:
        """This object as the Session it is part of (models keep that reference)."""
        # The mixins only ever run as part of a Session.
        return cast("Session", self)

    async def call(self, action: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Call a typed EC2 operation; see :meth:`aioec2.Session.call`."""
        raise NotImplementedError

    def paginate(
        self, action: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield each page of an operation; see :meth:`aioec2.Session.paginate`."""
        raise NotImplementedError

    async def _collect(self, action: str, params: Mapping[str, Any], key: str) -> list[Any]:
        """Member ``key`` of every page of ``action``, in one list (``Session`` provides it)."""
        raise NotImplementedError
