"""
EC2 responses: bytes in, plain dicts (or an :class:`~aioec2.errors.EC2APIError`) out.

Every function here parses at most once, with one xmltodict pass over expat, and refuses
what a hostile or broken endpoint could send before it costs memory: bodies over the size
limit are refused unread, any ``<!DOCTYPE``/``<!ENTITY`` (entity expansion: billion laughs,
quadratic blowup, external entities) is refused before parsing *and* by expat itself, and
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

import base64
import datetime as dt
import re
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any, NoReturn, TypeAlias
from xml.parsers import expat

import xmltodict

from aioec2._core.shapes import Shape
from aioec2.errors import EC2APIError, ResponseParseError, error_from_code

__all__ = ["parse_error", "parse_generic", "parse_shaped", "parse_xml"]

_EXCERPT_BYTES = 160
#: What xmltodict makes of an element: text, children by name, repeats, or nothing.
_Node: TypeAlias = "str | dict[str, Any] | list[Any] | None"
_EPOCH = re.compile(r"-?\d+(?:\.\d+)?")
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
    # at a cost of one linear scan; expat (via _SafeExpat) refuses it again while parsing.
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise ResponseParseError(
            "response declares a DOCTYPE or ENTITY, which EC2 never sends; refused: "
            + _excerpt(body)
        )
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


class _BadValueError(ValueError):
    """A value the shape cannot take; ``path`` grows as the error travels up."""

    def __init__(self, path: tuple[str, ...], reason: str) -> None:
        super().__init__(path, reason)
        self.path = path
        self.reason = reason


def parse_shaped(body: bytes, output_shape: Shape, *, max_bytes: int) -> dict[str, Any]:
    """
    Parse a response with its output shape, as botocore's EC2 parser does.

    Members are matched by XML name and keyed by their Python-side names; unknown elements
    (``requestId`` among them) are ignored. Lists are lists wherever the shape says so (one
    item, or none, included); integers and longs become int, floats and doubles float
    (``NaN`` and ``Infinity`` too), booleans bool, timestamps aware UTC datetimes (ISO 8601
    with or without fractional seconds or offset, epoch seconds, or RFC 822), blobs the
    base64-decoded bytes. Empty numbers, booleans and timestamps are left out.

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
    content = _content(body, max_bytes)
    try:
        result: dict[str, Any] = _reader(output_shape)(content, _Memo())
    except _BadValueError as exc:
        where = "/".join(exc.path)
        raise ResponseParseError(f"cannot parse <{where}>: {exc.reason}") from None
    except RecursionError:
        raise ResponseParseError("response XML is nested too deeply to parse") from None
    return result


_ABSENT = object()


class _Memo:
    """
    What one parse shares: equal strings and timestamps are kept once.

    A thousand instances repeat the same zone, type, image and state names; holding one copy
    of each roughly halves the memory a parsed answer keeps. The memo lives for one parse
    only, so nothing from one answer (a key pair's private key, say) outlives it.
    """

    __slots__ = ("stamps", "strings")

    def __init__(self) -> None:
        self.strings: dict[str, str] = {}
        self.stamps: dict[str, dt.datetime] = {}


#: Reads one node of a shape: (xmltodict node, memo) -> value, or _ABSENT for "leave out".
_Reader: TypeAlias = Callable[[_Node, _Memo], Any]
# Readers are compiled once per shape; keyed by id() with the shape kept alive beside it.
_READERS: dict[int, tuple[Shape, _Reader]] = {}
_READERS_LIMIT = 20_000


def _reader(shape: Shape) -> _Reader:
    hit = _READERS.get(id(shape))
    if hit is not None and hit[0] is shape:
        return hit[1]
    reader = _compile(shape)
    if len(_READERS) >= _READERS_LIMIT:
        _READERS.clear()  # only test suites that build shapes by the thousand get here
    _READERS[id(shape)] = (shape, reader)
    return reader


def _resolved(ref: Any) -> Shape:
    return ref if isinstance(ref, Shape) else ref()


def _compile(shape: Shape) -> _Reader:  # noqa: PLR0911 - one flat dispatch on the kind
    kind = shape.kind
    if kind == "structure":
        return _structure_reader(shape)
    if kind == "list":
        return _list_reader(shape, flattened=False)
    if kind == "map":
        return _map_reader(shape, flattened=False)
    if kind == "string":
        return _read_string
    if kind == "blob":
        return _read_blob
    if kind in ("integer", "long"):
        return _read_int
    if kind == "boolean":
        return _read_bool
    if kind in ("float", "double"):
        return _read_float
    return _read_timestamp


def _structure_reader(shape: Shape) -> _Reader:
    # Members are compiled on first use: a recursive shape's deferred references can be
    # resolved only once the whole model is built.
    members: dict[str, tuple[str, _Reader]] = {}
    compiled = False

    def read(node: _Node, memo: _Memo) -> dict[str, Any]:
        nonlocal compiled
        if not compiled:
            members.update(_member_readers(shape))
            compiled = True
        if type(node) is not dict:
            # A repeated element where one was expected: botocore keeps the first (xmltodict
            # never makes an empty list). Text or nothing where a structure was: no members.
            return read(node[0], memo) if type(node) is list else {}
        out: dict[str, Any] = {}
        strings = memo.strings
        for tag, child in node.items():
            entry = members.get(tag)
            if entry is None:
                continue  # unknown elements, requestId among them
            name, read_member = entry
            if read_member is _read_string and type(child) is str:
                out[name] = strings.setdefault(child, child)  # most members: inlined
                continue
            try:
                value = read_member(child, memo)
            except _BadValueError as exc:
                raise _BadValueError((tag, *exc.path), exc.reason) from None
            except (ValueError, OverflowError) as exc:
                raise _BadValueError((tag,), str(exc)) from None
            if value is not _ABSENT:
                out[name] = value
        return out

    return read


def _member_readers(shape: Shape) -> dict[str, tuple[str, _Reader]]:
    readers: dict[str, tuple[str, _Reader]] = {}
    for tag, member in shape.by_xml_name.items():
        target = _resolved(member.target)
        if target.flattened:
            # A flattened list or map repeats the member element itself.
            if target.kind == "list":
                read = _list_reader(target, flattened=True)
            else:
                read = _map_reader(target, flattened=True)
        else:
            read = _reader(target)
        readers[tag] = (member.name, read)
    return readers


def _list_reader(shape: Shape, *, flattened: bool) -> _Reader:
    item_shape = _resolved(shape.item)
    gather = _as_list if flattened else _children
    if item_shape.kind == "string":

        def read_strings(node: _Node, memo: _Memo) -> list[Any]:
            strings = memo.strings
            return [
                strings.setdefault(x, x) if type(x) is str else _read_string(x, memo)
                for x in gather(node)
            ]

        return read_strings
    read_item = _reader(item_shape)

    def read(node: _Node, memo: _Memo) -> list[Any]:
        return [read_item(x, memo) for x in gather(node)]

    return read


def _map_reader(shape: Shape, *, flattened: bool) -> _Reader:
    read_key = _reader(_resolved(shape.key))
    read_value = _reader(_resolved(shape.value))
    key_name = shape.key_name
    value_name = shape.value_name
    gather = _as_list if flattened else _children

    def read(node: _Node, memo: _Memo) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for entry in gather(node):
            if type(entry) is not dict:
                continue
            parsed_key = read_key(entry.get(key_name), memo)
            parsed = read_value(entry.get(value_name), memo)
            if parsed is not _ABSENT:
                out[parsed_key] = parsed
        return out

    return read


def _read_string(node: _Node, memo: _Memo) -> str:
    text = node if type(node) is str else _text(node)
    if text is None:
        return ""
    return memo.strings.setdefault(text, text)


def _read_blob(node: _Node, _memo: _Memo) -> bytes:
    text = _text(node)
    return b"" if text is None else base64.b64decode(text, validate=True)


def _read_int(node: _Node, _memo: _Memo) -> object:
    text = _text(node)
    return _ABSENT if text is None else int(text)


def _read_bool(node: _Node, _memo: _Memo) -> object:
    text = _text(node)
    if text is None:
        return _ABSENT
    if text == "true":
        return True
    if text == "false":
        return False
    raise ValueError(f"not a boolean: {text[:40]!r}")


def _read_float(node: _Node, _memo: _Memo) -> object:
    text = _text(node)
    # float() reads "NaN", "Infinity" and "-Infinity" as EC2 spells them
    return _ABSENT if text is None else float(text)


def _read_timestamp(node: _Node, memo: _Memo) -> object:
    text = _text(node)
    if text is None:
        return _ABSENT
    value = memo.stamps.get(text)
    if value is None:
        value = memo.stamps[text] = _timestamp(text)
    return value


def _text(node: _Node) -> str | None:
    if isinstance(node, str) or node is None:
        return node
    if isinstance(node, list):
        return _text(node[0])
    # Child elements where text was expected: keep the element's own text, if any.
    text = node.get("#text")
    return text if type(text) is str else None


def _children(node: _Node) -> list[Any]:
    # The items of a wrapped list or the entries of a map: <tagSet><item/>...</tagSet>.
    if type(node) is not dict:
        # <tagSet/> (or only white space) is empty; a repeated wrapper keeps its first.
        return _children(node[0]) if type(node) is list else []
    if len(node) == 1:
        # As botocore does, every child is an item whatever its name (<item>, <member>, ...).
        (children,) = node.values()
    else:
        children = [c for k, v in node.items() if k != "#text" for c in _as_list(v)]
    return _as_list(children)


def _as_list(value: Any) -> list[Any]:
    return value if type(value) is list else [value]


def _timestamp(text: str) -> dt.datetime:
    # Like botocore, read any of the three formats whatever the shape's format says (that one
    # governs requests). EC2 sends ISO 8601 ("2016-11-15T21:24:34.000Z"), so it goes first.
    value: dt.datetime
    try:
        if _EPOCH.fullmatch(text):
            value = dt.datetime.fromtimestamp(float(text), dt.UTC)
        else:
            try:
                value = dt.datetime.fromisoformat(text)
            except ValueError:
                value = parsedate_to_datetime(text)  # RFC 822: "Tue, 29 Apr 2014 18:30:38 GMT"
    except (ValueError, OverflowError, OSError, TypeError):
        raise ValueError(f"not a timestamp: {text[:40]!r}") from None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    if value.tzinfo is not dt.UTC:
        return value.astimezone(dt.UTC)
    return value


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


def _from_status(status: int, message: str) -> EC2APIError:
    return error_from_code(f"HTTP{status}", message, status=status)
