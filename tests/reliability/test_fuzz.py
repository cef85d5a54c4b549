"""
Fuzzing: the parsers and serializers let only aioec2's own exceptions out, whatever they get.

Hypothesis drives every target here, derandomized so CI sees the same examples on every run:
raw bytes, XML-ish documents, documents generated from the real EC2 output shapes and then
broken on purpose (wrong text for numbers, booleans, timestamps and blobs, structures where
text was expected, repeats, unknown and missing elements, truncation, flipped bytes), error
envelopes, and request parameters of every Python type. Answers generated from the shapes
also go through the typed layer (``Session.describe_instances`` and friends) to show that a
model built from a broken answer fails with an aioec2 error, never a KeyError.

When atheris is installed, :func:`test_atheris_smoke` also runs a short coverage-guided
pass over the same targets (a few thousand inputs, seeded from ``corpus/``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aioec2
from aioec2._core.query import build_body, serialize_operation, serialize_params
from aioec2._core.shapes import Shape, resolve
from aioec2._core.xml import parse_error, parse_generic, parse_shaped
from aioec2._operations import operation, service_model
from aioec2.errors import AioEC2Error, ArgumentError, EC2APIError, ResponseParseError
from aioec2.models.image import Image

LIMIT = 1 << 20
NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'
CORPUS = Path(__file__).parent / "corpus"

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- documents -------------------------------------------------------------------------------

#: Names that exercise the parsers' special cases: items, sets, EC2's own names, namespaces.
_NAMES = st.sampled_from(
    [
        "item",
        "member",
        "entry",
        "key",
        "value",
        "tagSet",
        "instancesSet",
        "reservationSet",
        "instanceId",
        "requestId",
        "Errors",
        "Error",
        "Code",
        "Message",
        "RequestID",
        "x",
        "ns:a",
        "#text",
    ]
)
#: Text that tests every leaf reader: numbers, specials, dates, base64, markup, controls.
_TEXTS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "\n  ",
            "0",
            "-1",
            "16",
            "99999999999999999999999999",
            "1e400",
            "NaN",
            "-Infinity",
            "true",
            "false",
            "True",
            "2016-11-15T21:24:34.000Z",
            "2016-11-15T21:24:34+25:00",
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:00:00+14:00",
            "1e20",
            "-62135596801",
            "Tue, 29 Apr 2014 18:30:38 GMT",
            "Tue, 99 Foo 2014 99:99:99 XYZ",
            "aGVsbG8=",
            "not base64!",
            "&amp;&lt;&gt;",
            "&#0;",
            "&#xD800;",
            "&undefined;",
            "]]>",
            "<![CDATA[x]]>",
            "<!-- c -->",
        ]
    ),
    st.text(max_size=12).map(lambda t: t.replace("&", "&amp;").replace("<", "&lt;")),
)


@st.composite
def _element(draw: st.DrawFn, depth: int) -> str:
    name = draw(_NAMES.filter(lambda n: n != "#text"))
    if depth <= 0 or draw(st.booleans()):
        return f"<{name}>{draw(_TEXTS)}</{name}>" if draw(st.booleans()) else f"<{name}/>"
    children = draw(st.lists(_element(depth - 1), max_size=4))
    return f"<{name}>{''.join(children)}</{name}>"


def _mutate(data: st.DataObject, document: bytes) -> bytes:
    """Break a document at the byte level, or leave it alone."""
    how = data.draw(st.sampled_from(["keep", "keep", "truncate", "flip", "insert", "bom"]))
    if how == "keep" or not document:
        return document
    at = data.draw(st.integers(0, len(document) - 1))
    if how == "truncate":
        return document[:at]
    if how == "flip":
        return (
            document[:at]
            + bytes([document[at] ^ data.draw(st.integers(1, 255))])
            + document[at + 1 :]
        )
    if how == "insert":
        junk = data.draw(
            st.sampled_from(
                [b"\xff", b"\x00", b"<", b"&", b"<!DOCTYPE x>", b"<!ENTITY a 'b'>", b"\xc3"]
            )
        )
        return document[:at] + junk + document[at:]
    return b"\xef\xbb\xbf" + document


xml_documents = st.builds(
    lambda root, children, decl: (
        ('<?xml version="1.0" encoding="UTF-8"?>\n' if decl else "")
        + f"<{root} {NS}>{''.join(children)}</{root}>"
    ).encode(),
    st.sampled_from(
        ["DescribeInstancesResponse", "Response", "ErrorResponse", "Error", "html", "R"]
    ),
    st.lists(_element(4), max_size=6),
    st.booleans(),
)


def _scalar_text(data: st.DataObject, shape: Shape) -> str:
    """Text for a leaf: usually what the kind expects, often anything at all."""
    valid = {
        "string": st.text(max_size=8).map(lambda t: t.replace("&", "&amp;").replace("<", "&lt;")),
        "boolean": st.sampled_from(["true", "false"]),
        "integer": st.integers(-(2**31), 2**31).map(str),
        "long": st.integers(-(2**63), 2**63).map(str),
        "float": st.floats().map(repr),
        "double": st.floats().map(repr),
        "timestamp": st.sampled_from(["2016-11-15T21:24:34.000Z", "1479245074", "2016-11-15"]),
        "blob": st.binary(max_size=8).map(lambda b: base64.b64encode(b).decode()),
    }[shape.kind]
    return data.draw(st.one_of(valid, valid, _TEXTS))


def _shaped_xml(data: st.DataObject, shape: Shape, name: str, depth: int) -> str:
    """One element ``name`` holding a value of ``shape``, sometimes broken on purpose."""
    damage = data.draw(st.integers(0, 9))
    if damage == 0:
        return f"<{name}>{data.draw(_TEXTS)}</{name}>"  # text where anything was expected
    if damage == 1:
        return f"<{name}/>"
    if damage == 2 and depth > 0:
        return f"<{name}>{data.draw(_element(1))}</{name}>"  # elements where a value belongs
    return f"<{name}>{_shaped_content(data, shape, depth)}</{name}>"


def _shaped_content(data: st.DataObject, shape: Shape, depth: int) -> str:
    kind = shape.kind
    if kind == "structure":
        if depth <= 0:
            return ""
        parts: list[str] = []
        for member in shape.members:
            if data.draw(st.integers(0, 3)) != 0:
                continue  # most members stay out, so documents stay small
            target = resolve(member.target)
            repeat = data.draw(st.integers(1, 2))
            if target.flattened and target.kind == "list":
                item = resolve(target.item)  # type: ignore[arg-type]
                parts.extend(
                    _shaped_xml(data, item, member.xml_name, depth - 1) for _ in range(repeat)
                )
            else:
                parts.extend(
                    _shaped_xml(data, target, member.xml_name, depth - 1) for _ in range(repeat)
                )
        if data.draw(st.integers(0, 4)) == 0:
            parts.append(data.draw(_element(1)))  # an element the model does not know
        return "".join(parts)
    if kind == "list":
        item = resolve(shape.item)  # type: ignore[arg-type]
        count = data.draw(st.integers(0, 3)) if depth > 0 else 0
        return "".join(_shaped_xml(data, item, shape.item_name, depth - 1) for _ in range(count))
    if kind == "map":
        key, value = resolve(shape.key), resolve(shape.value)  # type: ignore[arg-type]
        count = data.draw(st.integers(0, 2)) if depth > 0 else 0
        return "".join(
            f"<entry>{_shaped_xml(data, key, shape.key_name, depth - 1)}"
            f"{_shaped_xml(data, value, shape.value_name, depth - 1)}</entry>"
            for _ in range(count)
        )
    return _scalar_text(data, shape)


def shaped_answer(data: st.DataObject, action: str) -> bytes:
    """A (possibly broken) answer to ``action`` generated from its real output shape."""
    content = _shaped_content(data, operation(action).output, depth=6)
    body = f"<{action}Response {NS}><requestId>r-1</requestId>{content}</{action}Response>"
    return _mutate(data, body.encode())


ACTIONS = service_model().operation_names
SHAPED_LEAVES = (str, int, float, bool, bytes, dt.datetime)

# -- parsers ---------------------------------------------------------------------------------


def _only_ours(call: Callable[[], object], leaves: tuple[type, ...] = (str,)) -> None:
    # Anything else (KeyError, TypeError, ExpatError, UnicodeError, ...) fails the test.
    with contextlib.suppress(ResponseParseError, EC2APIError):
        result = call()
        assert isinstance(result, dict)
        _assert_plain(result, leaves)


def _assert_plain(value: object, leaves: tuple[type, ...]) -> None:
    """Parsed data is dicts with str keys, lists and the given leaf types, nothing else."""
    if isinstance(value, dict):
        assert all(type(key) is str for key in value)
        for item in value.values():
            _assert_plain(item, leaves)
    elif isinstance(value, list):
        for item in value:
            _assert_plain(item, leaves)
    else:
        assert isinstance(value, leaves), repr(value)


@FUZZ
@given(body=st.one_of(st.binary(max_size=300), xml_documents), data=st.data())
def test_parse_generic_lets_only_our_errors_out(body: bytes, data: st.DataObject) -> None:
    """parse_generic on any bytes returns plain data or raises ResponseParseError/EC2APIError."""
    mutated = _mutate(data, body)
    _only_ours(lambda: parse_generic(mutated, max_bytes=LIMIT))


@FUZZ
@given(action=st.sampled_from(ACTIONS), data=st.data())
def test_parse_shaped_lets_only_our_errors_out(action: str, data: st.DataObject) -> None:
    """parse_shaped with every real EC2 output shape survives broken answers to that action."""
    body = shaped_answer(data, action)
    shape = operation(action).output
    _only_ours(lambda: parse_shaped(body, shape, max_bytes=LIMIT), SHAPED_LEAVES)


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=300),
        xml_documents,
        st.builds(
            lambda code, message, rid: (
                f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
                f"</Error></Errors><RequestID>{rid}</RequestID></Response>"
            ).encode(),
            _TEXTS,
            _TEXTS,
            _TEXTS,
        ),
    ),
    status=st.integers(100, 599),
    data=st.data(),
)
def test_parse_error_always_returns_an_api_error(
    body: bytes, status: int, data: st.DataObject
) -> None:
    """parse_error never raises: any body with any status becomes an EC2APIError with a code."""
    error = parse_error(_mutate(data, body), status=status, max_bytes=LIMIT)
    assert isinstance(error, EC2APIError)
    assert status == error.status
    assert isinstance(error.code, str)
    assert error.code
    assert isinstance(str(error), str)


# -- the typed layer on broken answers ---------------------------------------------------------


def _typed_calls() -> dict[str, Callable[[aioec2.Session], Awaitable[object]]]:
    """One public call per action whose answer the typed layer turns into models."""
    ami = "ami-1"
    return {
        "DescribeInstances": lambda s: s.describe_instances(),
        "RunInstances": lambda s: s.run_instances(ami),
        "DescribeImages": lambda s: s.describe_images(),
        "DescribeImageAttribute": lambda s: Image(id=ami, session=s).get_launch_permissions(),
        "DescribeSecurityGroups": lambda s: s.describe_security_groups(),
        "CreateSecurityGroup": lambda s: s.create_security_group("web", "d"),
        "DescribeKeyPairs": lambda s: s.describe_key_pairs(),
        "CreateKeyPair": lambda s: s.create_key_pair("k"),
        "ImportKeyPair": lambda s: s.import_key_pair("k", "ssh-ed25519 AAAA"),
        "DescribeRegions": lambda s: s.describe_regions(),
        "DescribeAvailabilityZones": lambda s: s.describe_availability_zones(),
        "DescribeTags": lambda s: s.describe_tags(),
        "TerminateInstances": lambda s: s.terminate_instances(["i-1"]),
        "StopInstances": lambda s: s.stop_instances(["i-1"]),
        "StartInstances": lambda s: s.start_instances(["i-1"]),
    }


TYPED = _typed_calls()


def canned_session(answer: bytes) -> aioec2.Session:
    """A Session whose transport answers ``answer`` once, then empty pages (no network)."""
    session = aioec2.Session(
        region="us-east-1",
        endpoint_url="http://127.0.0.1:9/",
        credentials=aioec2.Credentials("AKIDFUZZ", "fuzz-secret"),
    )
    answers: Iterator[bytes] = iter([answer])

    async def send(action: str, body: bytes) -> bytes:
        return next(answers, f"<{action}Response/>".encode())

    session.send = send  # type: ignore[method-assign]
    return session


@settings(FUZZ, max_examples=200)
@given(action=st.sampled_from(sorted(TYPED)), data=st.data())
def test_typed_calls_on_broken_answers_raise_only_aioec2_errors(
    action: str, data: st.DataObject
) -> None:
    """Models built from a broken answer either hold what is there or raise an AioEC2Error."""
    body = shaped_answer(data, action)
    session = canned_session(body)
    with contextlib.suppress(AioEC2Error):
        asyncio.run(TYPED[action](session))


# -- serializers -----------------------------------------------------------------------------


class _HugeInt(int):
    """An int past ``str()``'s 4300-digit limit, with a repr Hypothesis can print."""

    def __repr__(self) -> str:
        return "10**5000"


HUGE = _HugeInt(10**5000)

_ANY_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.just(HUGE),
    st.floats(),
    st.decimals(allow_nan=True),
    st.complex_numbers(),
    st.text(max_size=8),
    st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=2),  # surrogates
    st.binary(max_size=8),
    st.builds(bytearray, st.binary(max_size=4)),
    st.builds(memoryview, st.binary(max_size=4)),
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())),
    st.dates(),
    st.just(object()),
    st.just(Decimal("1.5")),
    st.frozensets(st.integers(), max_size=2),
    st.just(...),
)
_ANY_VALUE = st.recursive(
    _ANY_SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(
            st.one_of(st.text(max_size=6), st.integers(), st.none()), inner, max_size=3
        ),
    ),
    max_leaves=12,
)


@FUZZ
@given(params=st.one_of(_ANY_VALUE, st.dictionaries(st.text(max_size=6), _ANY_VALUE, max_size=4)))
def test_serialize_params_raises_only_type_and_argument_errors(params: Any) -> None:
    """serialize_params gives str pairs that make an ASCII body, or a TypeError/ArgumentError."""
    try:
        pairs = serialize_params(params)
        body = build_body("DescribeRegions", pairs, version="2016-11-15")
    except (TypeError, ArgumentError) as exc:
        assert str(exc)  # noqa: PT017 - the message must say something
        return
    assert all(type(name) is str and type(value) is str for name, value in pairs)
    assert body.decode("ascii").startswith("Action=DescribeRegions&")


def _shaped_value(data: st.DataObject, shape: Shape, depth: int) -> Any:
    """A value for ``shape``: usually the right Python type, sometimes any value at all."""
    if data.draw(st.integers(0, 7)) == 0:
        return data.draw(_ANY_SCALAR)
    kind = shape.kind
    if kind == "structure":
        if depth <= 0:
            return {}
        return {
            m.name: _shaped_value(data, resolve(m.target), depth - 1)
            for m in shape.members
            if data.draw(st.integers(0, 3)) == 0
        }
    if kind == "list":
        item = resolve(shape.item)  # type: ignore[arg-type]
        size = data.draw(st.integers(0, 2)) if depth > 0 else 0
        return [_shaped_value(data, item, depth - 1) for _ in range(size)]
    if kind == "map":
        key, value = resolve(shape.key), resolve(shape.value)  # type: ignore[arg-type]
        size = data.draw(st.integers(0, 2)) if depth > 0 else 0
        return {
            _shaped_value(data, key, 0): _shaped_value(data, value, depth - 1) for _ in range(size)
        }
    scalars = {
        "string": st.text(max_size=8),
        "boolean": st.booleans(),
        "integer": st.integers(),
        "long": st.integers(),
        "float": st.floats(),
        "double": st.floats(),
        "timestamp": st.datetimes(timezones=st.one_of(st.none(), st.timezones())),
        "blob": st.one_of(st.binary(max_size=8), st.text(max_size=8)),
    }
    return data.draw(scalars[kind])


@FUZZ
@given(action=st.sampled_from(ACTIONS), data=st.data())
def test_serialize_operation_raises_only_type_and_argument_errors(
    action: str, data: st.DataObject
) -> None:
    """serialize_operation on any values gives an ASCII body, or a TypeError/ArgumentError."""
    op = operation(action)
    params = _shaped_value(data, op.input, depth=5)
    if not isinstance(params, dict):
        params = {"Unknown": params} if data.draw(st.booleans()) else params
    try:
        body = serialize_operation(op, params, version="2016-11-15", token=lambda: "tok")
    except (TypeError, ArgumentError) as exc:
        assert str(exc)  # noqa: PT017 - the message must say something
        return
    assert body.decode("ascii").startswith(f"Action={action}&")


# -- atheris ---------------------------------------------------------------------------------

#: Inputs a CI run tries: enough to get past the seeds, short enough for a few seconds.
ATHERIS_RUNS = 4000
_STATUSES = (200, 400, 403, 404, 412, 429, 500, 502, 503)


def atheris_one_input(data: bytes) -> None:
    """
    One atheris input: the first byte picks a target, the rest is its input.

    Targets: parse_generic, parse_shaped with one of the real output shapes (picked by the
    second byte), parse_error with a status (picked by the second byte), and serialize_params
    of a parameter whose name and value are the input decoded leniently (surrogates kept).
    """
    if len(data) < 2:
        return
    target, pick, body = data[0] % 4, data[1], data[2:]
    if target == 0:
        _only_ours(lambda: parse_generic(body, max_bytes=LIMIT))
    elif target == 1:
        shape = operation(ACTIONS[pick % len(ACTIONS)]).output
        _only_ours(lambda: parse_shaped(body, shape, max_bytes=LIMIT), SHAPED_LEAVES)
    elif target == 2:
        error = parse_error(body, status=_STATUSES[pick % len(_STATUSES)], max_bytes=LIMIT)
        assert isinstance(error, EC2APIError)
    else:
        text = body.decode("utf-8", "surrogateescape")
        name, _, value = text.partition("=")
        params: dict[str, Any] = {name: [value, {name: value}] if pick % 2 else value}
        with contextlib.suppress(TypeError, ArgumentError):
            build_body("X", serialize_params(params), version="v").decode("ascii")


def test_atheris_smoke(tmp_path: Path) -> None:
    """A short coverage-guided atheris run over the parsers and the serializer finds nothing."""
    pytest.importorskip("atheris")
    seeds = tmp_path / "corpus"  # libFuzzer adds what it finds to the first corpus directory
    seeds.mkdir()
    for path in sorted(CORPUS.glob("*.seed")):
        (seeds / path.name).write_bytes(path.read_bytes())
    result = subprocess.run(
        [sys.executable, __file__, f"-runs={ATHERIS_RUNS}", "-seed=1", "-max_len=4096", str(seeds)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    assert 0 == result.returncode, result.stderr[-3000:]
    assert f"Done {ATHERIS_RUNS} runs" in result.stderr


def _atheris_main() -> None:
    import atheris  # noqa: PLC0415 - optional, and only for this entry point

    # Instrument aioec2 alone: coverage of pytest and Hypothesis would only slow libFuzzer.
    for module in [m for name, m in sys.modules.items() if name.startswith("aioec2")]:
        for value in vars(module).values():
            code = getattr(value, "__code__", None)
            if code is not None and value.__module__ == module.__name__:
                atheris.instrument_func(value)
    atheris.Setup(sys.argv, atheris_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    _atheris_main()
