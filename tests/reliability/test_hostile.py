"""
Hostile and broken responses: each is a clear aioec2 error, in bounded time and memory.

Two levels, the same cases: the pure parsers (``parse_generic``, ``parse_shaped`` with the
real DescribeInstances shape, ``parse_error``), and a real :class:`aioec2.Session` against a
raw-socket server that can send what no HTTP framework would: truncated transfers, bodies
without a length, chunked floods, gzip bombs, HTML from a "proxy", a DOCTYPE. Every outcome
is either a result, a :class:`~aioec2.errors.ResponseParseError`, a typed
:class:`~aioec2.errors.EC2APIError` or a :class:`~aioec2.errors.TransportError`; never a
KeyError, TypeError or AttributeError from our code, never an aiohttp or expat exception.

The blow-up cases measure peak memory with :mod:`tracemalloc` against a generous bound; the
only timing is a hang guard around each call.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import re
import tracemalloc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import attrs
import pytest

import aioec2
from aioec2._core.xml import parse_error, parse_generic, parse_shaped
from aioec2._operations import operation
from aioec2.errors import (
    AioEC2Error,
    ConnectError,
    EC2APIError,
    InvalidParameterError,
    ResponseParseError,
    ServiceError,
)
from aioec2.testing import set_testing

LIMIT = 1 << 20
NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
HANG_GUARD = 20  # seconds; a hostile answer must never make a call hang

# -- bodies ----------------------------------------------------------------------------------

DESCRIBE = (
    DECLARATION
    + (
        f"<DescribeInstancesResponse {NS}><requestId>req-1</requestId><reservationSet><item>"
        "<reservationId>r-1</reservationId><ownerId>123456789012</ownerId><groupSet/>"
        "<instancesSet><item><instanceId>i-1</instanceId><imageId>ami-1</imageId>"
        "<instanceState><code>16</code><name>running</name></instanceState>"
        "<tagSet><item><key>Name</key><value>web</value></item></tagSet>"
        "</item></instancesSet></item></reservationSet></DescribeInstancesResponse>"
    ).encode()
)
UNKNOWN_ELEMENTS = DESCRIBE.replace(
    b"<imageId>", b"<fromTheFuture><deeper>x</deeper></fromTheFuture><imageId>"
).replace(b"<requestId>", b"<surprise/><requestId>")
TRUNCATED = DESCRIBE[: len(DESCRIBE) // 2]
HTML_PORTAL = (
    b"<!DOCTYPE html>\n<html><head><title>Sign in to the hotel Wi-Fi</title></head>"
    b"<body><form><input name=room><br></form></body></html>"
)
HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center>"
    b"<h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
XHTML = (
    DECLARATION + b'<html xmlns="http://www.w3.org/1999/xhtml"><body><p>Denied</p></body></html>'
)
JSON = b'{"Reservations": [], "ResponseMetadata": {"HTTPStatusCode": 200}}'
DOCTYPE = DECLARATION + b'<!DOCTYPE r SYSTEM "http://attacker.example/x.dtd"><r>&x;</r>'
EXTERNAL_ENTITY = (
    DECLARATION + b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<DescribeInstancesResponse>&x;</DescribeInstancesResponse>"
)
PARAMETER_ENTITY = DECLARATION + b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://a.example/">%p;]><r/>'
BILLION_LAUGHS = (
    DECLARATION
    + b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'.encode()
        for n in range(1, 10)
    )
    + b"]><DescribeInstancesResponse>&lol9;</DescribeInstancesResponse>"
)


def quadratic(size: int) -> bytes:
    """One entity of ``size`` characters referenced ``size`` times: ``size**2`` expanded."""
    return (
        DECLARATION
        + b'<!DOCTYPE kaboom [<!ENTITY a "'
        + b"x" * size
        + b'">]><DescribeInstancesResponse>'
        + b"&a;" * size
        + b"</DescribeInstancesResponse>"
    )


QUADRATIC = quadratic(50_000)  # 200 kB that would expand to 2.5 GB
BAD_UTF8 = DESCRIBE.replace(b"<value>web</value>", b"<value>caf\xe9</value>")
LATIN1_DECLARED = DESCRIBE.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"').replace(
    b"<value>web</value>", b"<value>caf\xe9</value>"
)
UTF16 = DESCRIBE.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
UTF16_WITHOUT_BOM = UTF16[2:]
DEEP = (
    b"<DescribeInstancesResponse>"
    + b"<a>" * 10_000
    + b"</a>" * 10_000
    + b"</DescribeInstancesResponse>"
)
ERROR_ENVELOPE = (
    b"<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>bad value</Message>"
    b"</Error></Errors><RequestID>req-err</RequestID></Response>"
)
NOT_A_NUMBER = DESCRIBE.replace(b"<code>16</code>", b"<code>sixteen</code>")


def _answer(action: str, inner: str) -> bytes:
    return f"<{action}Response {NS}><requestId>r</requestId>{inner}</{action}Response>".encode()


RUN_WITHOUT_INSTANCES = _answer("RunInstances", "<reservationId>r-1</reservationId><groupSet/>")
RUN_INSTANCE_WITHOUT_ID = _answer(
    "RunInstances",
    "<reservationId>r-1</reservationId><instancesSet><item><imageId>ami-1</imageId>"
    "<instanceState><code>0</code><name>pending</name></instanceState></item></instancesSet>",
)
DESCRIBE_WITHOUT_RESERVATIONS = _answer("DescribeInstances", "")
TAG_WITHOUT_KEY = DESCRIBE.replace(b"<key>Name</key>", b"")
GROUP_WITHOUT_ID = _answer("CreateSecurityGroup", "<return>true</return>")

SHAPE = operation("DescribeInstances").output

# -- the parsers -----------------------------------------------------------------------------


@attrs.frozen
class ParserCase:
    """A body, and what each parser makes of it."""

    body: bytes
    #: (class, message pattern) from parse_generic and parse_shaped; None: parses.
    parsed: tuple[type[AioEC2Error], str] | None
    #: (class, code) from parse_error with HTTP 502.
    as_error: tuple[type[EC2APIError], str] = (ServiceError, "HTTP502")
    #: What parse_shaped does where it differs from parse_generic ("same": it does not).
    shaped: tuple[type[AioEC2Error], str] | str | None = "same"


PARSER_CASES = {
    "truncated": ParserCase(TRUNCATED, (ResponseParseError, "not usable XML")),
    "html-captive-portal": ParserCase(HTML_PORTAL, (ResponseParseError, "HTML page")),
    "html-502-nginx": ParserCase(HTML_502, (ResponseParseError, "HTML page.*502 Bad Gateway")),
    "xhtml": ParserCase(XHTML, (ResponseParseError, "HTML page")),
    "json": ParserCase(JSON, (ResponseParseError, "not usable XML")),
    "empty": ParserCase(b"", (ResponseParseError, "empty")),
    "white-space": ParserCase(b" \r\n\t ", (ResponseParseError, "empty")),
    "doctype-external-dtd": ParserCase(DOCTYPE, (ResponseParseError, "DOCTYPE or ENTITY")),
    "external-entity": ParserCase(EXTERNAL_ENTITY, (ResponseParseError, "DOCTYPE or ENTITY")),
    "parameter-entity": ParserCase(PARAMETER_ENTITY, (ResponseParseError, "DOCTYPE or ENTITY")),
    "billion-laughs": ParserCase(BILLION_LAUGHS, (ResponseParseError, "DOCTYPE or ENTITY")),
    "quadratic-blowup": ParserCase(QUADRATIC, (ResponseParseError, "DOCTYPE or ENTITY")),
    "invalid-utf8": ParserCase(BAD_UTF8, (ResponseParseError, "not valid UTF-8")),
    "latin1-declared": ParserCase(LATIN1_DECLARED, (ResponseParseError, "not valid UTF-8")),
    # expat still detects UTF-16 (by its byte-order mark or its "<\0?\0" start) despite the
    # forced UTF-8: such a document is well-formed and reads the same, and a DOCTYPE hidden
    # from the byte scan by the interleaved NULs is refused by expat itself (next cases).
    "utf16-with-bom": ParserCase(UTF16, None),
    "utf16-without-bom": ParserCase(UTF16_WITHOUT_BOM, None),
    "utf16-billion-laughs": ParserCase(
        BILLION_LAUGHS.decode().encode("utf-16"),
        (ResponseParseError, "DOCTYPE declaration is refused|not valid UTF-8"),
    ),
    "utf16be-billion-laughs": ParserCase(
        BILLION_LAUGHS.decode().encode("utf-16-be"),
        (ResponseParseError, "DOCTYPE declaration is refused"),
    ),
    "utf16le-quadratic-blowup": ParserCase(
        QUADRATIC.decode().encode("utf-16-le"),
        (ResponseParseError, "DOCTYPE declaration is refused"),
    ),
    # Unknown elements are skipped by the shaped walk, however deep; the generic one refuses.
    "absurd-nesting": ParserCase(DEEP, (ResponseParseError, "nested too deeply"), shaped=None),
    "nul-reference": ParserCase(
        DESCRIBE.replace(b"web", b"&#0;"), (ResponseParseError, "not usable XML")
    ),
    "over-the-cap": ParserCase(
        DESCRIBE + b" " * LIMIT, (ResponseParseError, "over the 1048576-byte limit")
    ),
    "error-envelope-with-2xx": ParserCase(
        ERROR_ENVELOPE,
        (InvalidParameterError, "InvalidParameterValue: bad value"),
        (InvalidParameterError, "InvalidParameterValue"),
    ),
    "unknown-elements": ParserCase(UNKNOWN_ELEMENTS, None, (ServiceError, "HTTP502")),
}


def _parse(kind: str, body: bytes) -> object:
    if kind == "generic":
        return parse_generic(body, max_bytes=LIMIT)
    return parse_shaped(body, SHAPE, max_bytes=LIMIT)


@pytest.mark.parametrize("kind", ["generic", "shaped"])
@pytest.mark.parametrize("name", sorted(PARSER_CASES))
def test_parsers_turn_hostile_bodies_into_clear_errors(kind: str, name: str) -> None:
    """parse_generic and parse_shaped give a result or the expected aioec2 error, nothing else."""
    case = PARSER_CASES[name]
    expected = case.parsed if kind == "generic" or case.shaped == "same" else case.shaped
    if expected is None:
        assert isinstance(_parse(kind, case.body), dict)
        return
    assert not isinstance(expected, str)
    cls, pattern = expected
    with pytest.raises(AioEC2Error) as caught:
        _parse(kind, case.body)
    assert cls is type(caught.value)
    assert re.search(pattern, str(caught.value)), str(caught.value)
    assert len(str(caught.value)) < 600  # an excerpt, never the hostile body itself


@pytest.mark.parametrize("name", sorted(PARSER_CASES))
def test_parse_error_reads_any_body_as_a_typed_error(name: str) -> None:
    """parse_error never raises: an unusable 502 body is a retry-safe ServiceError 'HTTP502'."""
    case = PARSER_CASES[name]
    error = parse_error(case.body, status=502, max_bytes=LIMIT)
    assert case.as_error == (type(error), error.code)
    assert 502 == error.status


def test_shaped_parse_names_the_element_with_a_bad_value() -> None:
    """A value that does not fit its shape names its element path."""
    with pytest.raises(ResponseParseError, match="reservationSet/instancesSet/instanceState/code"):
        parse_shaped(NOT_A_NUMBER, SHAPE, max_bytes=LIMIT)


@pytest.mark.parametrize(
    "name",
    [
        "billion-laughs",
        "quadratic-blowup",
        "absurd-nesting",
        "utf16-billion-laughs",
        "utf16be-billion-laughs",
        "utf16le-quadratic-blowup",
    ],
)
def test_parser_blowups_stay_within_bounded_memory(name: str) -> None:
    """Entity expansion and absurd nesting are refused with a small, bounded peak of memory."""
    body = PARSER_CASES[name].body
    tracemalloc.start()
    try:
        for parse in (
            lambda: parse_generic(body, max_bytes=LIMIT),
            lambda: parse_shaped(body, SHAPE, max_bytes=LIMIT),
            lambda: parse_error(body, status=500, max_bytes=LIMIT),
        ):
            with contextlib.suppress(ResponseParseError):
                parse()  # absurd nesting of unknown elements parses, shaped, to {}
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Unchecked, billion laughs is 3 GB and the quadratic blowup 2.5 GB of text.
    assert peak < 64 * 1024 * 1024


# -- a raw HTTP server ---------------------------------------------------------------------------


@attrs.frozen
class Raw:
    """Write ``head``, then ``body`` ``repeat`` times (draining), then ``tail``; maybe close."""

    head: bytes
    body: bytes = b""
    repeat: int = 1
    tail: bytes = b""
    close: bool = False


def answer(
    status: int,
    body: bytes = b"",
    *,
    content_type: str = "text/xml;charset=UTF-8",
    length: int | None = -1,
    headers: tuple[tuple[str, str], ...] = (),
    close: bool = False,
) -> Raw:
    """An answer with ``Content-Length`` (``length=-1``: the body's own; None: none, close)."""
    lines = [f"HTTP/1.1 {status} Whatever", f"Content-Type: {content_type}"]
    if length is not None:
        lines.append(f"Content-Length: {len(body) if length == -1 else length}")
    else:
        lines.append("Connection: close")
    lines += [f"{name}: {value}" for name, value in headers]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return Raw(head, body, close=close or length is None)


def flood(status: int, chunk: bytes, repeat: int, *, chunked: bool) -> Raw:
    """A body of ``chunk * repeat`` bytes sent without a length: chunked, or until close."""
    encoding = "Transfer-Encoding: chunked" if chunked else "Connection: close"
    head = f"HTTP/1.1 {status} OK\r\nContent-Type: text/xml\r\n{encoding}\r\n\r\n".encode()
    if not chunked:
        return Raw(head, chunk, repeat=repeat, close=True)
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    return Raw(head, framed, repeat=repeat, tail=b"0\r\n\r\n")


class RawServer:
    """Answer every request on 127.0.0.1 with the next scripted :class:`Raw`; count requests."""

    def __init__(self, script: list[Raw], *, default: Raw | None = None) -> None:
        self.script = list(script)
        self.default = default
        self.requests = 0
        self.url = ""
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()  # the handler then reads EOF and ends
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
        await reader.readexactly(int(length.group(1)) if length else 0)
        self.requests += 1
        step = self.script.pop(0) if self.script else self.default
        assert step is not None, "the script ran out"
        writer.write(step.head)
        for _ in range(step.repeat):
            writer.write(step.body)
            await writer.drain()  # raises ConnectionError once the client gives up
        writer.write(step.tail)
        await writer.drain()
        return not step.close


@asynccontextmanager
async def hostile(
    *script: Raw, default: Raw | None = None, **config: Any
) -> AsyncIterator[tuple[RawServer, aioec2.Session]]:
    """A RawServer and a Session on it, back-off sleeps off."""
    with set_testing(True):
        async with RawServer(list(script), default=default) as server:
            session = aioec2.Session(
                region="us-east-1",
                endpoint_url=server.url,
                credentials=aioec2.Credentials("AKIDHOSTILE", "hostile-secret"),
                config=aioec2.Config(**config),
            )
            async with session:
                yield server, session


# -- through a Session ---------------------------------------------------------------------------

CAP = 64 * 1024
BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)  # 64 MiB inflated, ~64 KiB


@attrs.frozen
class SessionCase:
    """What the server answers, and what the caller gets; ``requests`` counts the retries."""

    answer: Raw
    raises: type[AioEC2Error] | None
    pattern: str = ""
    requests: int = 1


SESSION_CASES = {
    "truncated-xml-200": SessionCase(answer(200, TRUNCATED), ResponseParseError, "not usable XML"),
    "truncated-transfer": SessionCase(
        answer(200, DESCRIBE[:100], length=len(DESCRIBE), close=True),
        ConnectError,
        "ClientPayloadError|not completed|closed",
        requests=3,
    ),
    "wrong-content-type-valid-xml": SessionCase(
        answer(200, DESCRIBE, content_type="application/json"), None
    ),
    "json-200": SessionCase(
        answer(200, JSON, content_type="application/json"), ResponseParseError, "not usable XML"
    ),
    "html-200-captive-portal": SessionCase(
        answer(200, HTML_PORTAL, content_type="text/html"), ResponseParseError, "HTML page"
    ),
    "html-502-proxy": SessionCase(
        answer(502, HTML_502, content_type="text/html"),
        ServiceError,
        "HTTP502: .*HTML page.*502 Bad Gateway",
        requests=3,
    ),
    "html-403-proxy": SessionCase(
        answer(403, HTML_PORTAL, content_type="text/html"), EC2APIError, "HTTP403: .*HTML page"
    ),
    "empty-200": SessionCase(answer(200), ResponseParseError, "empty"),
    "empty-400": SessionCase(answer(400), EC2APIError, "HTTP400: .*empty"),
    "empty-503": SessionCase(answer(503), ServiceError, "HTTP503", requests=3),
    "doctype-200": SessionCase(answer(200, DOCTYPE), ResponseParseError, "DOCTYPE or ENTITY"),
    "billion-laughs-200": SessionCase(
        answer(200, BILLION_LAUGHS), ResponseParseError, "DOCTYPE or ENTITY"
    ),
    "billion-laughs-500": SessionCase(
        answer(500, BILLION_LAUGHS), ServiceError, "HTTP500: .*DOCTYPE", requests=3
    ),
    "quadratic-blowup-200": SessionCase(
        answer(200, quadratic(10_000)), ResponseParseError, "DOCTYPE or ENTITY"
    ),
    "over-cap-content-length": SessionCase(
        answer(200, b"<a>" + b"x" * (2 * CAP) + b"</a>"),
        ResponseParseError,
        "exceeds max_response_bytes",
    ),
    "over-cap-lying-content-length": SessionCase(
        answer(200, b"x" * (4 * CAP), length=3 * CAP, close=True),
        ResponseParseError,
        "exceeds max_response_bytes",
    ),
    "over-cap-until-close": SessionCase(
        flood(200, b"x" * 4096, 4096, chunked=False),  # 16 MiB
        ResponseParseError,
        "exceeds max_response_bytes",
    ),
    "over-cap-chunked": SessionCase(
        flood(200, b"x" * 4096, 4096, chunked=True),  # 16 MiB
        ResponseParseError,
        "exceeds max_response_bytes",
    ),
    "over-cap-gzip-bomb": SessionCase(
        answer(200, BOMB, headers=(("Content-Encoding", "gzip"),)),
        ResponseParseError,
        "exceeds max_response_bytes",
    ),
    "invalid-utf8-200": SessionCase(answer(200, BAD_UTF8), ResponseParseError, "not valid UTF-8"),
    "error-envelope-200": SessionCase(
        answer(200, ERROR_ENVELOPE), InvalidParameterError, "InvalidParameterValue"
    ),
    "unknown-elements-200": SessionCase(answer(200, UNKNOWN_ELEMENTS), None),
}


@pytest.mark.parametrize("typed", [False, True], ids=["request", "describe_instances"])
@pytest.mark.parametrize("name", sorted(SESSION_CASES))
async def test_session_turns_hostile_answers_into_clear_errors(name: str, typed: bool) -> None:
    """Through a real Session each hostile answer is a result or the expected aioec2 error."""
    case = SESSION_CASES[name]
    async with hostile(default=case.answer, max_response_bytes=CAP) as (server, session):
        call = session.describe_instances() if typed else session.request("DescribeInstances")
        async with asyncio.timeout(HANG_GUARD):
            if case.raises is None:
                result = await call
                assert result
                return
            with pytest.raises(AioEC2Error) as caught:
                await call
    assert case.raises is type(caught.value), repr(caught.value)
    assert re.search(case.pattern, str(caught.value)), str(caught.value)
    assert case.requests == server.requests
    assert len(str(caught.value)) < 600


@pytest.mark.parametrize(
    "name",
    [
        "billion-laughs-200",
        "quadratic-blowup-200",
        "over-cap-until-close",
        "over-cap-chunked",
        "over-cap-gzip-bomb",
    ],
)
async def test_session_blowups_stay_within_bounded_memory(name: str) -> None:
    """Expanding entities, endless bodies and a 64 MiB gzip bomb cost a bounded peak of memory."""
    case = SESSION_CASES[name]
    async with hostile(default=case.answer, max_response_bytes=CAP) as (_, session):
        tracemalloc.start()
        try:
            async with asyncio.timeout(HANG_GUARD):
                with pytest.raises(ResponseParseError):
                    await session.request("DescribeInstances")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    # The cap is 64 KiB. Uncapped, the floods would hold 16 MiB (twice, joined), the bomb
    # 64 MiB, the entities gigabytes; capped, the peak stays near the cap (a few hundred KiB).
    assert peak < 8 * 1024 * 1024


# -- missing and unexpected elements in typed answers ----------------------------------------


@pytest.mark.parametrize(
    ("body", "call", "pattern"),
    [
        pytest.param(
            RUN_WITHOUT_INSTANCES,
            lambda s: s.run_instances("ami-1"),
            "RunInstances answer for reservation r-1 has no <instancesSet>",
            id="run-instances-without-instancesSet",
        ),
        pytest.param(
            RUN_INSTANCE_WITHOUT_ID,
            lambda s: s.run_instances("ami-1"),
            "an Instance without <instanceId>",
            id="instance-without-instanceId",
        ),
        pytest.param(
            TAG_WITHOUT_KEY,
            lambda s: s.describe_instances(),
            "a tag without <key> on Instance 'i-1'",
            id="tag-without-key",
        ),
        pytest.param(
            GROUP_WITHOUT_ID,
            lambda s: s.create_security_group("web", "the web tier"),
            "a SecurityGroup without <groupId>",
            id="create-security-group-without-groupId",
        ),
        pytest.param(
            NOT_A_NUMBER,
            lambda s: s.describe_instances(),
            "cannot parse <reservationSet/instancesSet/instanceState/code>",
            id="state-code-not-a-number",
        ),
    ],
)
async def test_partial_typed_answers_name_the_missing_element(
    body: bytes, call: Callable[[aioec2.Session], Any], pattern: str
) -> None:
    """A typed answer without an identifying element is a ResponseParseError naming it."""
    async with hostile(default=answer(200, body)) as (server, session):
        async with asyncio.timeout(HANG_GUARD):
            with pytest.raises(ResponseParseError, match=re.escape(pattern)):
                await call(session)
    assert 1 == server.requests


async def test_absent_optional_elements_leave_fields_empty() -> None:
    """Absent lists are empty and absent scalars None: a DescribeInstances without sets is []."""
    async with hostile(
        answer(200, DESCRIBE_WITHOUT_RESERVATIONS),
        answer(
            200,
            DESCRIBE.replace(b"<imageId>ami-1</imageId>", b"")
            .replace(b"<tagSet>", b"<x>")
            .replace(b"</tagSet>", b"</x>"),
        ),
    ) as (_, session):
        assert [] == await session.describe_instances()
        (reservation,) = await session.describe_instances()
    (instance,) = reservation.instances
    assert ("i-1", None, {}, "running") == (
        instance.id,
        instance.image_id,
        dict(instance.tags),
        instance.state,
    )
