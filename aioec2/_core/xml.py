"""
EC2 responses: bytes in, plain dicts (or an :class:`~aioec2.errors.EC2APIError`) out.

Every function here parses at most once, with one pass of expat (through the stdlib's C
``ElementTree`` for typed answers, through xmltodict for the others), and refuses
what a hostile or broken endpoint could send before it costs memory: bodies over the size
limit are refused unread, any ``<!DOCTYPE``/``<!ENTITY`` (entity expansion: billion laughs,
quadratic blowup, external entities) is refused before parsing (see _check_body), and
truncated, empty or non-UTF-8 bodies give a :class:`~aioec2.errors.ResponseParseError` whose
message carries a short, printable excerpt. An HTML page (a proxy, a load balancer or a captive
portal answering instead of EC2) is named as such, and an error envelope sent with a 2xx status
is raised as the EC2APIError it carries. No expat or xmltodict exception escapes.

* :func:`parse_generic` keeps the XML's own element names (``Session.request``);
* :func:`parse_shaped` applies an output :class:`~aioec2._core.shapes.Shape` the way
  botocore's EC2 parser does (names, lists, numbers, booleans, timestamps, blobs, maps);
* :func:`parse_error` turns an error response into the most specific EC2APIError.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any, NoReturn, TypeAlias
from xml.etree.ElementTree import Element, ParseError, XMLParser
from xml.parsers import expat

from aioec2._core.readers import BadValueError, local_name, read_structure
from aioec2._core.shapes import Shape
from aioec2.errors import EC2APIError, ResponseParseError, error_from_code

__all__ = ["parse_error", "parse_generic", "parse_shaped", "parse_xml"]

_EXCERPT_BYTES = 160
#: What xmltodict makes of an element: text, children by name, repeats, or nothing.
_Node: TypeAlias = "str | dict[str, Any] | list[Any] | None"
#: Bodies above this are fed to the tree parser in slices of this size (see _tree).
_FEED_BYTES = 256 * 1024
_HTML_STARTS = (b"<!doctype html", b"<html")
#: Error envelopes by root element, with the child that marks them (see parse_error).
_ERROR_ROOTS = {"Response": "Errors", "ErrorResponse": "Error", "Error": "Code"}


class _RefusedDoctypeError(ValueError):
    """Raised from inside expat when a document type declaration starts."""


def _refuse_doctype(*_args: object) -> NoReturn:
    raise _RefusedDoctypeError("a DOCTYPE declaration is refused")


class _SafeExpat:
    """
    The ``expat`` module as xmltodict sees it, with every parser hardened.

    The encoding is forced to UTF-8 (a declared or BOM-signalled UTF-16 cannot smuggle a
    DOCTYPE past the byte check) and a DOCTYPE stops the parse the moment expat meets it.
    """

    ExpatError = expat.ExpatError

    @staticmethod
    def ParserCreate(  # noqa: N802 - the name xmltodict calls
        _encoding: str | None = None, namespace_separator: str | None = None
    ) -> expat.XMLParserType:
        parser = expat.ParserCreate("utf-8", namespace_separator)
        parser.StartDoctypeDeclHandler = _refuse_doctype
        return parser


def _excerpt(body: bytes) -> str:
    # At most ~160 printable characters: safe to log, never a wall of hostile text.
    text = " ".join(body[:_EXCERPT_BYTES].decode("utf-8", "replace").split())
    text = "".join(c if c.isprintable() else "?" for c in text)
    if len(body) > _EXCERPT_BYTES:
        text += "..."
    return repr(text)


def parse_xml(body: bytes, *, max_bytes: int) -> dict[str, Any]:
    """
    Parse an XML response body safely into xmltodict's dict form, attributes dropped.

    Args:
        body: the raw response body.
        max_bytes: refuse, unread, any body longer than this.

    Returns:
        ``{root_name: content}``; content is a dict of children, a string or None.

    Raises:
        ResponseParseError: the body is too large, empty, an HTML page, not UTF-8, not
            well-formed XML (truncated, for instance), or declares a DOCTYPE or ENTITY.
    """
    _check_body(body, max_bytes)
    # Imported here: typed answers, the common case, never need it (a faster cold start).
    import xmltodict  # noqa: PLC0415

    try:
        # strip_whitespace=False: values keep their spaces as botocore keeps them (an image
        # name "x ", a key's trailing newline); the walks below drop indentation "#text".
        doc: dict[str, Any] = xmltodict.parse(
            body,
            expat=_SafeExpat,
            xml_attribs=False,
            disable_entities=True,
            strip_whitespace=False,
        )
    except (expat.ExpatError, ValueError) as exc:  # _RefusedDoctypeError is a ValueError too
        raise _not_xml(body, exc) from None
    return doc


def _check_body(body: bytes, max_bytes: int) -> None:
    # What is refused before any parser sees the body (see parse_xml).
    size = len(body)
    if size > max_bytes:
        raise ResponseParseError(
            f"response body of {size} bytes is over the {max_bytes}-byte limit; not parsed"
        )
    if not body or body.isspace():
        raise ResponseParseError("response body is empty; expected EC2 XML")
    if body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_HTML_STARTS):
        raise _html_page(body)
    # EC2 never sends a DOCTYPE. Refusing one outright is what keeps entity-expansion attacks
    # at a cost of one linear scan; expat (via _SafeExpat) refuses one again while parsing,
    # which catches the DOCTYPE a UTF-16 body hides from this scan (see _tree too).
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise ResponseParseError(
            "response declares a DOCTYPE or ENTITY, which EC2 never sends; refused: "
            + _excerpt(body)
        )


def _not_xml(body: bytes, exc: Exception) -> ResponseParseError:
    # Say *why* when it is cheap to know: a bad encoding reads better than "invalid token".
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as bad:
        return ResponseParseError(
            f"response body is not valid UTF-8 (byte {body[bad.start]:#04x} at offset "
            f"{bad.start}): {_excerpt(body)}"
        )
    return ResponseParseError(f"response body is not usable XML ({exc}): {_excerpt(body)}")


def _html_page(body: bytes) -> ResponseParseError:
    # Proxies, load balancers and captive portals answer with HTML, whatever the status.
    return ResponseParseError(
        "response is an HTML page, not EC2 XML (did a proxy, load balancer or captive portal "
        f"answer?): {_excerpt(body)}"
    )


def _content(body: bytes, max_bytes: int) -> dict[str, Any]:
    # The children of the root element (``DescribeInstancesResponse`` and the like).
    ((name, content),) = parse_xml(body, max_bytes=max_bytes).items()
    if content is None or (isinstance(content, str) and not content.strip()):
        return {}
    if not isinstance(content, dict):
        raise ResponseParseError(f"<{name}> holds text, not elements: {_excerpt(body)}")
    if name in _ERROR_ROOTS and _ERROR_ROOTS[name] in content:
        # An error envelope with a 2xx status (some EC2-compatible endpoints do this): the
        # error it carries is the answer, not an empty result.
        raise parse_error(body, status=200, max_bytes=max_bytes)
    if name.lower() == "html":  # well-formed XHTML slipped past parse_xml's cheap check
        raise _html_page(body)
    return content


def parse_generic(body: bytes, *, max_bytes: int) -> dict[str, Any]:
    """
    Parse a response without a shape, keeping the element names EC2 sent.

    The root ``…Response`` element is stripped (its xmlns with it; attributes are dropped).
    An element whose children are ``<item>`` elements becomes a list of them (one item is
    still a list); an empty element named ``…Set`` becomes ``[]``; other leaves are strings
    (``""`` when empty); ``requestId`` stays.

    Args:
        body: the raw response body.
        max_bytes: refuse, unread, any body longer than this.

    Returns:
        The response as plain dicts, lists and strings.

    Raises:
        ResponseParseError: see :func:`parse_xml`, or the XML is absurdly deeply nested.
        EC2APIError: the body is an EC2 error envelope (sent with a 2xx status).
    """
    content = _content(body, max_bytes)
    try:
        _generic(content)
    except RecursionError:
        raise ResponseParseError("response XML is nested too deeply to parse") from None
    return content


def _layout(text: str) -> bool:
    # Indentation between elements: white space with a line break. A value of plain spaces
    # ("x " or " ") is data and is kept, as botocore keeps it.
    return "\n" in text and not text.strip()


def _generic(node: dict[str, Any]) -> None:
    # In place: xmltodict's dicts are fresh and ours, so nothing is copied twice.
    if "#text" in node and len(node) > 1:
        del node["#text"]  # the layout between child elements
    for key, value in node.items():
        kind = type(value)
        if kind is dict:
            node[key] = _generic_container(value)
        elif value is None or (kind is str and _layout(value)):
            node[key] = [] if key.endswith("Set") else ""
        elif kind is list:
            node[key] = _generic_items(value)


def _generic_container(value: dict[str, Any]) -> Any:
    if "#text" in value and len(value) > 1:
        del value["#text"]
    if len(value) == 1 and "item" in value:
        items = value["item"]
        return _generic_items(items if type(items) is list else [items])
    _generic(value)
    return value


def _generic_items(items: list[Any]) -> list[Any]:
    for index, item in enumerate(items):
        kind = type(item)
        if kind is dict:
            items[index] = _generic_container(item)
        elif item is None or (kind is str and _layout(item)):
            items[index] = ""
    return items


def parse_shaped(body: bytes, output_shape: Shape, *, max_bytes: int) -> dict[str, Any]:
    """
    Parse a response with its output shape, as botocore's EC2 parser does.

    Members are matched by XML name and keyed by their Python-side names; unknown elements
    (``requestId`` among them) are ignored. Lists are lists wherever the shape says so (one
    item, or none, included); integers and longs become int, floats and doubles float
    (``NaN`` and ``Infinity`` too), booleans bool, timestamps aware UTC datetimes (ISO 8601
    with or without fractional seconds or offset, epoch seconds, or RFC 822), blobs the
    base64-decoded bytes. Empty numbers, booleans and timestamps are left out.

    Typed answers are parsed by the stdlib's C ``ElementTree`` (over the same expat, behind
    the same checks as :func:`parse_xml`) and read by compiled readers
    (:mod:`aioec2._core.readers`): about 2.5 times faster than xmltodict and a shaped walk
    over its dicts, whose pure-Python callbacks were most of a small call's cost.

    Args:
        body: the raw response body.
        output_shape: the operation's output structure shape.
        max_bytes: refuse, unread, any body longer than this.

    Returns:
        The parsed output.

    Raises:
        ResponseParseError: see :func:`parse_xml`, or a value does not fit its shape
            (the message names the element path).
        EC2APIError: the body is an EC2 error envelope (sent with a 2xx status).
    """
    if len(body) <= _FEED_BYTES:
        return _parse_shaped(body, output_shape, max_bytes)
    with _collector_paused():
        return _parse_shaped(body, output_shape, max_bytes)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """
    Hold the cyclic garbage collector off while a large answer's element tree is alive.

    Every element is a container the collector tracks, and the whole tree lives until the
    parse ends: a 1,000-instance answer's 45,000 elements survive young collections, are
    promoted, and set off full collections that walk the process's entire heap (0.2 s each
    in a process holding botocore's models; several per answer). The tree holds no cycles,
    so reference counting frees it without the collector. Only a collector that is on is
    paused, by whoever found it on, and it is back on when the parse ends, however it ends.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _parse_shaped(body: bytes, output_shape: Shape, max_bytes: int) -> dict[str, Any]:
    root = _tree(body, max_bytes)
    name = local_name(root.tag)
    if not len(root):
        if root.text is not None and root.text.strip():
            raise ResponseParseError(f"<{name}> holds text, not elements: {_excerpt(body)}")
        return {}
    if name in _ERROR_ROOTS and any(local_name(c.tag) == _ERROR_ROOTS[name] for c in root):
        # An error envelope with a 2xx status (see _content).
        raise parse_error(body, status=200, max_bytes=max_bytes)
    if name.lower() == "html":
        raise _html_page(body)
    try:
        return read_structure(root, output_shape)
    except BadValueError as exc:
        where = "/".join(exc.path)
        raise ResponseParseError(f"cannot parse <{where}>: {exc.reason}") from None
    except RecursionError:
        raise ResponseParseError("response XML is nested too deeply to parse") from None


def _tree(body: bytes, max_bytes: int) -> Element:
    _check_body(body, max_bytes)
    if b"\x00" in body:
        # expat still detects UTF-16 (by its byte-order mark or its "<\0?\0" start) despite
        # the forced UTF-8, and the interleaved NULs hide a DOCTYPE from the byte scan. The C
        # tree parser cannot be told to refuse one, so the hardened expat reads such a body
        # first: it stops at a DOCTYPE before any entity is declared.
        try:
            _SafeExpat.ParserCreate().Parse(body, True)  # noqa: FBT003 - positional-only
        except (expat.ExpatError, ValueError) as exc:
            raise _not_xml(body, exc) from None
    # encoding="utf-8" overrides whatever the document declares, as _SafeExpat does.
    parser = XMLParser(encoding="utf-8")  # noqa: S314 - hardened: see _check_body
    try:
        if len(body) <= _FEED_BYTES:
            parser.feed(body)
        else:
            # Large answers parse in a worker thread: fed in slices, the C parser lets go of
            # the GIL between them, so the event loop is never held for the whole body.
            view = memoryview(body)
            for start in range(0, len(body), _FEED_BYTES):
                parser.feed(bytes(view[start : start + _FEED_BYTES]))
        root: Element = parser.close()
    except (ParseError, ValueError) as exc:
        raise _not_xml(body, exc) from None
    return root


def parse_error(body: bytes, *, status: int, max_bytes: int) -> EC2APIError:
    """
    Build the EC2APIError for an error response.

    Reads EC2's envelope ``<Response><Errors><Error><Code/><Message/></Error></Errors>
    <RequestID/></Response>`` and tolerates its relatives: an ``<ErrorResponse>`` root, a
    bare ``<Error>`` root, and ``RequestID``/``RequestId``/``requestId`` spellings; the first
    error is the one reported. A body that is not such XML at all (an HTML page from a proxy,
    an empty or truncated body) gives code ``"HTTP<status>"`` (e.g. ``"HTTP503"``) and a
    message quoting a short excerpt; by :func:`~aioec2.errors.error_from_code`'s status rule a
    5xx is then a retry-safe :class:`~aioec2.errors.ServiceError`.

    Args:
        body: the raw response body.
        status: the HTTP status code.
        max_bytes: bodies longer than this are not parsed (the status still speaks).

    Returns:
        The most specific EC2APIError for the code; never raises for a bad body.
    """
    try:
        ((_root, content),) = parse_xml(body, max_bytes=max_bytes).items()
    except ResponseParseError as exc:
        return _from_status(status, str(exc))
    if type(content) is not dict:
        return _from_status(status, f"error response without an error code: {_excerpt(body)}")
    # <Response><Errors><Error> (EC2), <ErrorResponse><Error> (query protocol), bare <Error>.
    errors = content.get("Errors")
    error = errors.get("Error", errors) if type(errors) is dict else content.get("Error", content)
    if type(error) is list:
        error = error[0]  # several errors: EC2 reports the first as the cause
    code = _text(error.get("Code")) if type(error) is dict else None
    if not code:
        return _from_status(status, f"error response without an error code: {_excerpt(body)}")
    request_id = next(
        (
            text
            for key in ("RequestID", "RequestId", "requestId")
            for holder in (content, error)
            if (text := _text(holder.get(key)))
        ),
        "",
    )
    message = _text(error.get("Message")) or ""
    return error_from_code(code, message, request_id=request_id, status=status)


def _text(node: _Node) -> str | None:
    # The text of an xmltodict node: a repeated element's first, an element's own "#text".
    if isinstance(node, str) or node is None:
        return node
    if isinstance(node, list):
        return _text(node[0])
    text = node.get("#text")
    return text if type(text) is str else None


def _from_status(status: int, message: str) -> EC2APIError:
    return error_from_code(f"HTTP{status}", message, status=status)
