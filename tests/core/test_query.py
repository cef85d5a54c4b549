"""Query serialization: wire-name params, typed operations, encoding, and botocore as the oracle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import pytest
from botocore.model import OperationModel, ServiceModel
from botocore.serialize import EC2Serializer
from botocore.utils import percent_encode_sequence
from hypothesis import given
from hypothesis import strategies as st

from aioec2._core.query import build_body, serialize_operation, serialize_params
from aioec2._core.service_model import operation_from_botocore
from aioec2._core.shapes import (
    BLOB,
    BOOLEAN,
    DOUBLE,
    EMPTY,
    INTEGER,
    STRING,
    TIMESTAMP,
    Operation,
    Shape,
    list_of,
    map_of,
    member,
    structure,
    timestamp,
)
from tests.strategies import wire_text

VERSION = "2016-11-15"


def _body(params: Mapping[str, Any] | None, action: str = "DescribeInstances") -> str:
    return build_body(action, serialize_params(params), version=VERSION).decode()


def _token() -> str:
    return "tok-1"


FILTER = structure(("Name", STRING), ("Values", list_of(STRING), "Value"))
DESCRIBE_INSTANCES = Operation(
    "DescribeInstances",
    input=structure(
        ("InstanceIds", list_of(STRING), "InstanceId"),
        ("Filters", list_of(FILTER), "Filter"),
        ("DryRun", BOOLEAN, "dryRun"),
        ("MaxResults", INTEGER, "maxResults"),
    ),
)


# -- serialize_params: the escape hatch ------------------------------------------------------


def test_api_md_example_body() -> None:
    """The example of API.md serializes to exactly the body API.md shows."""
    params = {
        "InstanceId": ["i-1"],
        "Filter": [{"Name": "instance-state-name", "Value": ["running"]}],
    }
    expected = (
        "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-1"
        "&Filter.1.Name=instance-state-name&Filter.1.Value.1=running"
    )
    assert expected == _body(params)


def test_no_params_sends_action_and_version_only() -> None:
    """None and an empty mapping both send only Action and Version."""
    assert "Action=DescribeRegions&Version=2016-11-15" == _body(None, "DescribeRegions")
    assert [] == serialize_params({})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", [("P", "plain")]),
        ("", [("P", "")]),
        (True, [("P", "true")]),
        (False, [("P", "false")]),
        (None, []),
        (0, [("P", "0")]),
        (-42, [("P", "-42")]),
        (10.8, [("P", "10.8")]),
        (1e16, [("P", "1e+16")]),
        (float("nan"), [("P", "NaN")]),
        (float("inf"), [("P", "Infinity")]),
        (float("-inf"), [("P", "-Infinity")]),
        (b"value", [("P", "dmFsdWU=")]),
        (bytearray(b"\x00\xff"), [("P", "AP8=")]),
        ([], []),
        ((), []),
        ({}, []),
        (["a", "b"], [("P.1", "a"), ("P.2", "b")]),
        (("a",), [("P.1", "a")]),
        ({"K": "v", "N": 1}, [("P.K", "v"), ("P.N", "1")]),
        ({"A": {"B": {"C": [True]}}}, [("P.A.B.C.1", "true")]),
        ({"Skipped": None, "Kept": "x"}, [("P.Kept", "x")]),
        ([{"Name": "n", "Value": []}], [("P.1.Name", "n")]),
    ],
)
def test_type_rules(value: object, expected: list[tuple[str, str]]) -> None:
    """Each Python type flattens by the EC2 rule documented for serialize_params."""
    assert expected == serialize_params({"P": value})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2015, 1, 25, 8, 0, tzinfo=dt.UTC), "2015-01-25T08:00:00Z"),
        (dt.datetime(2015, 1, 25, 8, 0), "2015-01-25T08:00:00Z"),
        (dt.datetime(999, 1, 2, tzinfo=dt.UTC), "0999-01-02T00:00:00Z"),
        (dt.datetime(2015, 1, 25, 8, 0, 0, 1500, tzinfo=dt.UTC), "2015-01-25T08:00:00.001500Z"),
        (
            dt.datetime(2015, 1, 25, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "2015-01-25T08:00:00Z",
        ),
    ],
)
def test_datetimes_are_iso8601_utc(value: dt.datetime, expected: str) -> None:
    """A datetime is sent in UTC with a Z; a naive one is taken as UTC, as botocore does."""
    assert [("T", expected)] == serialize_params({"T": value})


def test_order_is_kept() -> None:
    """Pairs come out in the order the mappings and lists give them."""
    params = {"Z": "1", "A": ["x", "y"], "M": {"b": "2", "a": "3"}}
    expected = [("Z", "1"), ("A.1", "x"), ("A.2", "y"), ("M.b", "2"), ("M.a", "3")]
    assert expected == serialize_params(params)


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"Filter": [{"Name": "n", "Value": [object()]}]}, "'Filter.1.Value.1'"),
        ({"S": {1, 2}}, "'S'"),
        ({"D": dt.date(2020, 1, 1)}, "'D'"),
        ({"L": ["a", None]}, "'L.2'"),
        ({"M": {"Deep": [{"X": 1j}]}}, "'M.Deep.1.X'"),
        ({"M": {1: "x"}}, "under 'M'"),
        ({2: "x"}, "str, not int"),
    ],
)
def test_type_errors_name_the_path(params: Any, path: str) -> None:
    """A value or key EC2 cannot receive raises TypeError naming where it sits."""
    with pytest.raises(TypeError) as info:
        serialize_params(params)
    assert path in str(info.value)


def test_params_must_be_a_mapping() -> None:
    """Passing a list of pairs instead of a mapping is a TypeError."""
    with pytest.raises(TypeError, match="mapping"):
        serialize_params([("A", "b")])  # type: ignore[arg-type]


# -- build_body ----------------------------------------------------------------------------


def test_build_body_percent_encodes_like_botocore() -> None:
    """Everything but RFC 3986 unreserved characters is percent-encoded, UTF-8 first."""
    pairs = [("Key", "a b+c/d~e_f.g-h*é&=")]
    expected = "Action=A&Version=1&Key=a%20b%2Bc%2Fd~e_f.g-h%2A%C3%A9%26%3D"
    assert expected == build_body("A", pairs, version="1").decode()
    assert percent_encode_sequence([("Action", "A"), ("Version", "1"), *pairs]) == expected


@st.composite
def _nested_params(draw: st.DrawFn) -> dict[str, Any]:
    """Random EC2-style params: dot-free names, awkward values, lists and mappings nested."""
    names = st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True)
    leaves = st.one_of(wire_text, st.booleans(), st.integers(), st.none())
    tree = st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner.filter(lambda v: v is not None), max_size=3),
            st.dictionaries(names, inner, max_size=3),
        ),
        max_leaves=12,
    )
    return draw(st.dictionaries(names, tree, max_size=4))


def _rebuild(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Nest flat ``A.1.B`` pairs back into dicts keyed by each dotted part."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        *parents, leaf = name.split(".")
        node = root
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return root


def _normalized(value: Any) -> Any:
    """What params rebuild to: lists keyed "1", "2"…, leaves as EC2 text, empties gone."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | dict):
        items = enumerate(value, 1) if isinstance(value, list) else value.items()
        out = {str(k): _normalized(v) for k, v in items}
        return {k: v for k, v in out.items() if v is not None and v != {}}
    return value


@given(_nested_params())
def test_round_trip_through_the_form_body(params: dict[str, Any]) -> None:
    """Params -> pairs -> body -> parse_qsl gives the pairs back, and they rebuild the params."""
    pairs = serialize_params(params)
    body = build_body("Act", pairs, version="v1")
    decoded = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    assert [("Action", "Act"), ("Version", "v1"), *pairs] == decoded
    assert _normalized(params) == _rebuild(pairs)


# -- shapes: naming rules and the compact declarations ---------------------------------------


def test_member_naming_rules() -> None:
    """queryName wins, else locationName capitalised, else the member name capitalised."""
    assert ("Plain", "Plain") == (
        member("Plain", STRING).query_name,
        member("Plain", STRING).xml_name,
    )
    lowered = member("hi", STRING)
    assert ("Hi", "hi") == (lowered.query_name, lowered.xml_name)
    located = member("DryRun", BOOLEAN, "dryRun")
    assert ("DryRun", "dryRun") == (located.query_name, located.xml_name)
    queried = member("Yuck", STRING, "yuckLocationName", query_name="yuckQueryName")
    assert ("yuckQueryName", "yuckLocationName") == (queried.query_name, queried.xml_name)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Shape(kind="nonsense"),  # type: ignore[arg-type]
        lambda: Shape(kind="list"),
        lambda: Shape(kind="string", item=STRING),
        lambda: Shape(kind="map", key=STRING),
        lambda: Shape(kind="string", members=(member("A", STRING),)),
        lambda: structure(("A", STRING), ("A", INTEGER)),
        lambda: Shape(kind="timestamp", timestamp_format="julian"),  # type: ignore[arg-type]
        lambda: Operation("X", input=STRING),
    ],
)
def test_inconsistent_shapes_are_refused(build: Any) -> None:
    """A shape or operation that contradicts itself fails when declared, not when used."""
    with pytest.raises(ValueError):
        build()


def test_reprs_name_nested_shapes_instead_of_expanding_them() -> None:
    """Shape and Member reprs stay one line, even for recursive shapes."""
    node: Shape = structure(("Name", STRING), member("Tok", STRING, idempotency_token=True))
    tree = list_of(lambda: node, flattened=True)
    assert "Shape('structure', members=('Name', 'Tok'))" == repr(node)
    assert (
        "Member('Tok', String, query_name='Tok', xml_name='Tok', idempotency_token=True)"
        == repr(node.members[1])
    )
    assert "Shape('list', item=<deferred>, flattened=True)" == repr(tree)
    assert "Shape('map', key=String, value=Integer)" == repr(map_of(STRING, INTEGER))
    assert "Shape('timestamp', timestamp_format='rfc822')" == repr(timestamp("rfc822"))
    assert "Shape('string', name='String')" == repr(STRING)
    assert "Member('L', list, query_name='L', xml_name='L')" == repr(member("L", list_of(STRING)))


def test_operation_result_path() -> None:
    """Operation.result follows result_path and gives None where a member is absent."""
    op = Operation("DescribeThings", result_path=["Things", "Items"])
    assert (("Things", "Items"), EMPTY, EMPTY) == (op.result_path, op.input, op.output)
    assert [1] == op.result({"Things": {"Items": [1]}})
    assert None is op.result({"Other": 1})
    assert None is op.result({"Things": "not a mapping"})
    assert {"A": 1} == Operation("Whole").result({"A": 1})
    assert ("Reservations",) == Operation("One", result_path="Reservations").result_path


# -- serialize_operation: shapes decide ------------------------------------------------------


def test_typed_operation_matches_the_escape_hatch() -> None:
    """The hand-declared DescribeInstances sends what the wire-name params of API.md send."""
    body = serialize_operation(
        DESCRIBE_INSTANCES,
        {
            "Filters": [{"Name": "instance-state-name", "Values": ["running"]}],
            "InstanceIds": ["i-1"],
        },
        version=VERSION,
        token=_token,
    )
    wire = {
        "InstanceId": ["i-1"],
        "Filter": [{"Name": "instance-state-name", "Value": ["running"]}],
    }
    assert _body(wire).encode() == body


def test_members_go_out_in_shape_order_and_none_is_absent() -> None:
    """Shape order decides, whatever the params' order; None members and empty lists vanish."""
    body = serialize_operation(
        DESCRIBE_INSTANCES,
        {"MaxResults": 5, "DryRun": False, "InstanceIds": [], "Filters": None},
        version=VERSION,
        token=_token,
    )
    assert b"Action=DescribeInstances&Version=2016-11-15&DryRun=false&MaxResults=5" == body


def test_idempotency_token_is_filled_only_when_absent() -> None:
    """An absent or None token member gets token(); a given one is sent and token() not called."""
    op = Operation(
        "RunInstances", input=structure(member("ClientToken", STRING, idempotency_token=True))
    )
    calls: list[int] = []

    def token() -> str:
        calls.append(1)
        return "generated"

    assert b"Action=RunInstances&Version=1&ClientToken=generated" == serialize_operation(
        op, {}, version="1", token=token
    )
    assert b"Action=RunInstances&Version=1&ClientToken=generated" == serialize_operation(
        op, {"ClientToken": None}, version="1", token=token
    )
    assert b"Action=RunInstances&Version=1&ClientToken=mine" == serialize_operation(
        op, {"ClientToken": "mine"}, version="1", token=token
    )
    assert 2 == len(calls)


def test_scalars_blobs_timestamps_and_maps() -> None:
    """Each shape kind has its wire form: base64 blobs, timestamp formats, map entries."""
    when = dt.datetime(2015, 1, 25, 8, 0, 0, 500000, tzinfo=dt.UTC)
    op = Operation(
        "Op",
        input=structure(
            ("Data", BLOB),
            ("Text", BLOB),
            ("Iso", TIMESTAMP),
            ("Epoch", timestamp("unixTimestamp")),
            ("Whole", timestamp("unixTimestamp")),
            ("Mail", timestamp("rfc822")),
            ("Price", DOUBLE),
            ("Count", DOUBLE),
            ("Attrs", map_of(STRING, STRING)),
            ("Flat", map_of(STRING, INTEGER, key_name="Name", value_name="Val", flattened=True)),
        ),
    )
    params = {
        "Data": b"\x00value",
        "Text": "value",
        "Iso": when,
        "Epoch": when,
        "Whole": when.replace(microsecond=0),
        "Mail": when,
        "Price": float("nan"),
        "Count": 3,
        "Attrs": {"a": "1", "skip": None},
        "Flat": {"k": 7},
    }
    expected = (
        "Action=Op&Version=1&Data=AHZhbHVl&Text=dmFsdWU%3D&Iso=2015-01-25T08%3A00%3A00.500000Z"
        "&Epoch=1422172800.5&Whole=1422172800&Mail=Sun%2C%2025%20Jan%202015%2008%3A00%3A00%20GMT"
        "&Price=NaN&Count=3&Attrs.entry.1.key=a&Attrs.entry.1.value=1&Flat.1.Name=k&Flat.1.Val=7"
    )
    assert expected.encode() == serialize_operation(op, params, version="1", token=_token)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"Nope": 1}, "DescribeInstances: unknown parameter 'Nope'"),
        ({"MaxResults": "5"}, "MaxResults (MaxResults): expected int, not str"),
        ({"MaxResults": True}, "expected int, not bool"),
        ({"DryRun": "true"}, "DryRun (DryRun): expected bool, not str"),
        ({"InstanceIds": "i-1"}, "InstanceIds (InstanceId): expected list or tuple, not str"),
        ({"InstanceIds": ["i-1", 2]}, "InstanceIds[1] (InstanceId.2): expected str, not int"),
        ({"Filters": [{"Name": "n", "Values": [None]}]}, "Values[0] (Filter.1.Value.1)"),
        ({"Filters": ["name=x"]}, "Filters[0]: expected a mapping, not str"),
        ({"Filters": [{"Bogus": 1}]}, "unknown parameter 'Bogus' (known: Name, Values)"),
    ],
)
def test_wrong_python_types_are_refused_clearly(params: dict[str, Any], message: str) -> None:
    """A value of the wrong Python type, or an unknown name, is a TypeError saying where."""
    with pytest.raises(TypeError) as info:
        serialize_operation(DESCRIBE_INSTANCES, params, version=VERSION, token=_token)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("shape", "value", "expected"),
    [
        (DOUBLE, True, "expected float, not bool"),
        (TIMESTAMP, 1422172800, "expected datetime, not int"),
        (BLOB, 12, "expected bytes or str, not int"),
        (map_of(STRING, STRING), ["a"], "expected mapping, not list"),
        (map_of(STRING, STRING), {1: "a"}, "X key (X.entry.1.key): expected str, not int"),
    ],
)
def test_wrong_types_for_other_kinds(shape: Shape, value: object, expected: str) -> None:
    """Doubles, timestamps, blobs and maps refuse Python types that do not fit them."""
    op = Operation("Op", input=structure(("X", shape)))
    with pytest.raises(TypeError) as info:
        serialize_operation(op, {"X": value}, version="1", token=_token)
    assert expected in str(info.value)


def test_recursive_shapes_serialize() -> None:
    """A structure that contains itself (through a deferred reference) nests as Outer.Inner."""
    node: Shape = structure(("Name", STRING), ("Child", lambda: node))
    op = Operation("Tree", input=structure(("Root", node)))
    params = {"Root": {"Name": "a", "Child": {"Name": "b", "Child": {"Name": "c"}}}}
    expected = b"Action=Tree&Version=1&Root.Name=a&Root.Child.Name=b&Root.Child.Child.Name=c"
    assert expected == serialize_operation(op, params, version="1", token=_token)


# -- botocore's EC2 serializer as the oracle -------------------------------------------------

_ORACLE_SHAPES: dict[str, Any] = {
    "Input": {
        "type": "structure",
        "members": {
            "InstanceIds": {"shape": "IdList", "locationName": "InstanceId"},
            "DryRun": {"shape": "Boolean", "locationName": "dryRun"},
            "MaxResults": {"shape": "Integer"},
            "NextToken": {"shape": "String", "locationName": "nextToken"},
            "Filters": {"shape": "FilterList", "locationName": "Filter"},
            "Price": {"shape": "Double"},
            "UserData": {"shape": "Blob"},
            "Since": {"shape": "DateTime"},
            "Until": {"shape": "Epoch"},
            "Renamed": {"shape": "String", "locationName": "renamed", "queryName": "Queried"},
        },
    },
    "IdList": {"type": "list", "member": {"shape": "String", "locationName": "item"}},
    "FilterList": {"type": "list", "member": {"shape": "Filter", "locationName": "Filter"}},
    "Filter": {
        "type": "structure",
        "members": {
            "Name": {"shape": "String"},
            "Values": {"shape": "IdList", "locationName": "Value"},
        },
    },
    "String": {"type": "string"},
    "Boolean": {"type": "boolean"},
    "Integer": {"type": "integer"},
    "Double": {"type": "double"},
    "Blob": {"type": "blob"},
    "DateTime": {"type": "timestamp"},
    "Epoch": {"type": "timestamp", "timestampFormat": "unixTimestamp"},
}
_ORACLE_OPERATION = {"name": "DescribeThings", "input": {"shape": "Input"}}
_ORACLE_MODEL = ServiceModel(
    {
        "metadata": {"protocol": "ec2", "apiVersion": VERSION, "endpointPrefix": "ec2"},
        "operations": {"DescribeThings": _ORACLE_OPERATION},
        "shapes": _ORACLE_SHAPES,
    },
    "ec2",
)
_OURS = operation_from_botocore(_ORACLE_SHAPES, _ORACLE_OPERATION)

_ids = st.lists(wire_text, max_size=3)
_oracle_params = st.fixed_dictionaries(
    {},
    optional={
        "InstanceIds": _ids,
        "DryRun": st.booleans(),
        "MaxResults": st.integers(min_value=-(2**63), max_value=2**63),
        "NextToken": wire_text,
        "Filters": st.lists(
            st.fixed_dictionaries({}, optional={"Name": wire_text, "Values": _ids}), max_size=3
        ),
        "Price": st.floats(allow_nan=True, allow_infinity=True),
        "UserData": st.binary(max_size=12),
        "Since": st.datetimes(min_value=dt.datetime(1970, 1, 2), timezones=st.just(dt.UTC)),
        "Until": st.datetimes(min_value=dt.datetime(1970, 1, 2), timezones=st.just(dt.UTC)),
        "Renamed": wire_text,
    },
)


def _wire_names(params: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    """Rename Python-side members to their query names, as a Session.request user would."""
    out: dict[str, Any] = {}
    for m in shape.members:
        if m.name not in params:
            continue
        value = params[m.name]
        if m.shape.kind == "list" and value and isinstance(value[0], Mapping):
            value = [_wire_names(v, m.shape.item) for v in value]  # type: ignore[arg-type]
        elif m.shape.timestamp_format == "unixTimestamp" and isinstance(value, dt.datetime):
            # Without a shape a datetime goes out as ISO 8601; epoch members take numbers.
            value = int(value.timestamp()) if not value.microsecond else value.timestamp()
        out[m.query_name] = value
    return out


def _shape_ordered(params: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    """Reorder params (and the structures in their lists) into the shape's member order."""
    out: dict[str, Any] = {}
    for m in shape.members:
        if m.name in params:
            value = params[m.name]
            if m.shape.kind == "list" and value and isinstance(value[0], Mapping):
                value = [_shape_ordered(v, m.shape.item) for v in value]  # type: ignore[arg-type]
            out[m.name] = value
    return out


@given(_oracle_params)
def test_serializers_agree_with_botocore(params: dict[str, Any]) -> None:
    """For random EC2 params both serializers produce botocore's EC2 serializer's exact body."""
    # botocore walks the params in the caller's order; the protocol suites pin shape order.
    ordered = _shape_ordered(params, _OURS.input)
    request = EC2Serializer().serialize_to_request(
        ordered, OperationModel(_ORACLE_OPERATION, _ORACLE_MODEL)
    )
    expected = percent_encode_sequence(request["body"]).encode()
    assert expected == serialize_operation(_OURS, params, version=VERSION, token=_token)
    wire = build_body(
        "DescribeThings", serialize_params(_wire_names(params, _OURS.input)), version=VERSION
    )
    assert expected == wire
