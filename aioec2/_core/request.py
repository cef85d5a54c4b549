"""The HTTP request value that flows from serialization through signing to the transport."""

from __future__ import annotations

from urllib.parse import urlsplit

import attrs

__all__ = ["HttpRequest"]


@attrs.frozen(kw_only=True)
class HttpRequest:
    """
    An HTTP request, immutable: signers return a new one instead of editing it.

    Attributes:
        method: ``"POST"`` for EC2 query calls.
        url: the full URL, already percent-encoded exactly as it goes on the wire
            (path and query are signed byte for byte, so the transport must not re-quote it).
        headers: ``(name, value)`` pairs in order; a name may repeat.
        body: the request body bytes (the form-encoded EC2 query for POST).
    """

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    @property
    def host(self) -> str:
        """The ``host[:port]`` part of the URL, as the ``Host`` header carries it."""
        return urlsplit(self.url).netloc

    def header(self, name: str) -> str | None:
        """Return the first value of header ``name`` (case-insensitive), or None."""
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def with_headers(self, *extra: tuple[str, str]) -> HttpRequest:
        """Return a copy with ``extra`` headers appended."""
        return attrs.evolve(self, headers=self.headers + extra)
