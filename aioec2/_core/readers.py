"""
Shaped reading: an EC2 answer's element tree and an output :class:`Shape` in, plain dicts out.

The tree is the one the stdlib's C ``ElementTree`` parser builds (see :mod:`aioec2._core.xml`);
every shape compiles once into a reader, a closure that walks one element. Readers follow
botocore's EC2 parser: members are matched by local element name (the namespace EC2 puts on
every element is ignored), a wrapped list takes every child in document order as an item
whatever its name, a repeated member keeps its first value, unknown elements are skipped and
empty numbers, booleans and timestamps are left out.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any, Final, TypeAlias
from xml.etree.ElementTree import Element

from aioec2._core.shapes import Shape, ShapeRef, resolve

__all__ = ["BadValueError", "Memo", "local_name", "read_structure"]

_EPOCH = re.compile(r"-?\d+(?:\.\d+)?")
#: How a structure adds one member's value: once (the first wins), or by repeating a
#: flattened list's or map's own element.
_ONCE: Final = 0
_FLAT_LIST: Final = 1
_FLAT_MAP: Final = 2
#: ... or once, and it is a string: read inline, the commonest case by far.
_STRING: Final = 3
#: Qualified tags a structure reader remembers; a hostile answer naming elements without end
#: cannot grow the cache past this (lookups past it are just not cached).
_TAG_CACHE_LIMIT = 512


class BadValueError(ValueError):
    """A value the shape cannot take; ``path`` grows as the error travels up."""

    def __init__(self, path: tuple[str, ...], reason: str) -> None:
        super().__init__(path, reason)
        self.path = path
        self.reason = reason


class Memo:
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


#: Reads one element of a shape: (element, memo) -> value, or _ABSENT for "leave out".
Reader: TypeAlias = Callable[[Element, Memo], Any]
#: A structure member: (Python-side name, reader, how it adds up, local element name).
_Entry: TypeAlias = tuple[str, Reader, int, str]
_ABSENT = object()
#: What a structure reader's tag cache answers for a tag it has not seen yet.
_UNSEEN: _Entry = ("", lambda _elem, _memo: None, -1, "")
# Readers are compiled once per shape; keyed by id() with the shape kept alive beside it.
_READERS: dict[int, tuple[Shape, Reader]] = {}
_READERS_LIMIT = 20_000


def read_structure(root: Element, shape: Shape) -> dict[str, Any]:
    """
    Read ``root``'s children as the members of the structure ``shape``.

    Raises:
        BadValueError: a value does not fit its shape (``path`` names the elements).
        RecursionError: the answer nests a recursive shape absurdly deep.
    """
    result: dict[str, Any] = _reader(shape)(root, Memo())
    return result


def _reader(shape: Shape) -> Reader:
    hit = _READERS.get(id(shape))
    if hit is not None and hit[0] is shape:
        return hit[1]
    reader = _compile(shape)
    if len(_READERS) >= _READERS_LIMIT:
        _READERS.clear()  # only test suites that build shapes by the thousand get here
    _READERS[id(shape)] = (shape, reader)
    return reader


def _compile(shape: Shape) -> Reader:  # noqa: PLR0911 - one flat dispatch on the kind
    kind = shape.kind
    if kind == "structure":
        return _structure_reader(shape)
    if kind == "list":
        return _list_reader(shape)
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


def _shape(ref: ShapeRef | None) -> Shape:
    # A list's item, a map's key and value: Shape's own checks guarantee they are there.
    assert ref is not None
    return resolve(ref)


def local_name(tag: str) -> str:
    """An element's name without its namespace (ElementTree spells it ``{uri}local``)."""
    return tag[tag.index("}") + 1 :] if tag[:1] == "{" else tag


def _structure_reader(shape: Shape) -> Reader:
    # Members are compiled on first use: a recursive shape's deferred references can be
    # resolved only once the whole model is built. ``known`` maps qualified tags as the
    # tree spells them to members (or None: not a member), so each tag is resolved once.
    by_local: dict[str, _Entry] = {}
    known: dict[str, _Entry | None] = {}  # bounded: see _TAG_CACHE_LIMIT

    def entry_for(tag: str) -> _Entry | None:
        if not by_local:
            by_local.update(_member_entries(shape))
        entry = by_local.get(local_name(tag))
        if len(known) < _TAG_CACHE_LIMIT:
            known[tag] = entry
        return entry

    def read(elem: Element, memo: Memo) -> dict[str, Any]:
        out: dict[str, Any] = {}
        intern = memo.strings.setdefault
        lookup = known.get
        for child in elem:
            entry = lookup(child.tag, _UNSEEN)
            if entry is _UNSEEN:
                entry = entry_for(child.tag)
            if entry is None:
                continue  # unknown elements, requestId among them
            name, read_member, adds, local = entry
            if adds == _STRING:  # most members: inlined
                if name not in out:  # a repeated member: the first wins, as in botocore
                    text = _text(child) if len(child) else child.text
                    out[name] = "" if text is None else intern(text, text)
                continue
            if adds == _ONCE and name in out:
                continue
            try:
                value = read_member(child, memo)
            except BadValueError as exc:
                raise BadValueError((local, *exc.path), exc.reason) from None
            except (ValueError, OverflowError) as exc:
                raise BadValueError((local,), str(exc)) from None
            if value is _ABSENT:
                continue
            if adds == _ONCE:
                out[name] = value
            elif adds == _FLAT_LIST:
                out.setdefault(name, []).append(value)
            else:
                out.setdefault(name, {}).update(value)
        return out

    return read


def _member_entries(shape: Shape) -> dict[str, _Entry]:
    entries: dict[str, _Entry] = {}
    for tag, member in shape.by_xml_name.items():
        target = resolve(member.target)
        if target.flattened and target.kind == "list":
            # A flattened list repeats the member element itself: each one is an item.
            entries[tag] = (member.name, _reader(_shape(target.item)), _FLAT_LIST, tag)
        elif target.flattened and target.kind == "map":
            # ... and a flattened map's member element is one entry.
            entries[tag] = (member.name, _map_reader(target, flattened=True), _FLAT_MAP, tag)
        else:
            adds = _STRING if target.kind == "string" else _ONCE
            entries[tag] = (member.name, _reader(target), adds, tag)
    return entries


def _list_reader(shape: Shape) -> Reader:
    item_shape = _shape(shape.item)
    if item_shape.kind == "string":

        def read_strings(elem: Element, memo: Memo) -> list[str]:
            return [_read_string(child, memo) for child in elem]

        return read_strings
    read_item = _reader(item_shape)

    def read(elem: Element, memo: Memo) -> list[Any]:
        return [read_item(child, memo) for child in elem]

    return read


def _map_reader(shape: Shape, *, flattened: bool) -> Reader:
    read_key = _reader(_shape(shape.key))
    read_value = _reader(_shape(shape.value))
    key_name = shape.key_name
    value_name = shape.value_name

    def read_entry(entry: Element, memo: Memo, out: dict[Any, Any]) -> None:
        if not len(entry):
            return  # text or nothing where an entry was
        found: dict[str, Element] = {}
        for child in entry:
            found.setdefault(local_name(child.tag), child)
        key = found.get(key_name)
        value = found.get(value_name)
        parsed_key = "" if key is None else read_key(key, memo)
        parsed = _ABSENT if value is None else read_value(value, memo)
        if parsed is not _ABSENT:
            out[parsed_key] = parsed

    def read(elem: Element, memo: Memo) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        if flattened:
            read_entry(elem, memo, out)  # the member element is the entry
        else:
            for entry in elem:
                read_entry(entry, memo, out)
        return out

    return read


def _text(elem: Element) -> str | None:
    if not len(elem):
        return elem.text
    # Child elements where text was expected: the element's own text around them.
    text = "".join([elem.text or "", *(child.tail or "" for child in elem)])
    return text or None


def _read_string(elem: Element, memo: Memo) -> str:
    text = _text(elem)
    if text is None:
        return ""
    return memo.strings.setdefault(text, text)


def _read_blob(elem: Element, _memo: Memo) -> bytes:
    text = _text(elem)
    return b"" if text is None else base64.b64decode(text, validate=True)


def _read_int(elem: Element, _memo: Memo) -> object:
    text = _text(elem)
    return _ABSENT if text is None else int(text)


def _read_bool(elem: Element, _memo: Memo) -> object:
    text = _text(elem)
    if text is None:
        return _ABSENT
    if text == "true":
        return True
    if text == "false":
        return False
    raise ValueError(f"not a boolean: {text[:40]!r}")


def _read_float(elem: Element, _memo: Memo) -> object:
    text = _text(elem)
    # float() reads "NaN", "Infinity" and "-Infinity" as EC2 spells them
    return _ABSENT if text is None else float(text)


def _read_timestamp(elem: Element, memo: Memo) -> object:
    text = _text(elem)
    if text is None:
        return _ABSENT
    value = memo.stamps.get(text)
    if value is None:
        value = memo.stamps[text] = _timestamp(text)
    return value


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
