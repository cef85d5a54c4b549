"""
A tiny HTTP/1.1 server on 127.0.0.1 that answers from a script: replies, drops, stalls.

It is written on raw asyncio streams (not aiohttp.web) so that it can do what a well-behaved
framework will not: close a connection in the middle of a request, or never answer.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from types import TracebackType
from typing import Self

import attrs


@attrs.frozen
class Reply:
    """Answer with this status and body."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class Drop:
    """Close the connection after reading the request, without answering."""


@attrs.frozen
class Stall:
    """Wait this long before answering with ``then``."""

    seconds: float
    then: Reply = Reply()


Step = Reply | Drop | Stall


@attrs.frozen
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def ec2_error(code: str, message: str = "", status: int = 400) -> Reply:
    """An EC2 error envelope reply."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
        "</Errors><RequestID>req-0001</RequestID></Response>"
    ).encode()
    return Reply(status, body)


OK_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
    b"<requestId>req-ok</requestId><regionInfo><item><regionName>us-east-1</regionName>"
    b"<regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint></item></regionInfo>"
    b"</DescribeRegionsResponse>"
)


class ScriptedServer:
    """Serve ``script`` step by step, then ``default`` forever; record every request."""

    def __init__(self, script: Iterable[Step] = (), *, default: Step = Reply(200, OK_BODY)) -> None:
        self.script: deque[Step] = deque(script)
        self.default = default
        self.seen: list[Seen] = []
        self.connections = 0
        self.open_connections = 0
        self.max_open_connections = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.url = ""

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        self.open_connections += 1
        self.max_open_connections = max(self.max_open_connections, self.open_connections)
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open_connections -= 1
            self._writers.discard(writer)
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.seen.append(Seen(method, path, headers, body))
        step = self.script.popleft() if self.script else self.default
        if isinstance(step, Drop):
            return False
        if isinstance(step, Stall):
            await asyncio.sleep(step.seconds)
            step = step.then
        extra = "".join(f"{k}: {v}\r\n" for k, v in step.headers)
        writer.write(
            f"HTTP/1.1 {step.status} X\r\nContent-Type: text/xml;charset=UTF-8\r\n"
            f"Content-Length: {len(step.body)}\r\n{extra}\r\n".encode("latin-1")
            + step.body
        )
        await writer.drain()
        return True
