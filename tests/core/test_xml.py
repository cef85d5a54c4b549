"""XML responses: safe parsing, the generic and shaped forms, and error envelopes."""

from __future__ import annotations

import datetime as dt
import gc
import tracemalloc
from typing import Any
from xml.sax.saxutils import escape

import pytest
import xmltodict
from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from hypothesis import given
from hypothesis import strategies as st

from aioec2._core import xml as xml_module
from aioec2._core.service_model import operation_from_botocore
from aioec2._core.shapes import (
    BLOB,
    BOOLEAN,
    DOUBLE,
    INTEGER,
    LONG,
    STRING,
    TIMESTAMP,
    Shape,
    list_of,
    map_of,
    structure,
)
from aioec2._core.xml import parse_error, parse_generic, parse_shaped, parse_xml
from aioec2.errors import (
    DryRunOperation,
    EC2APIError,
    NotFoundError,
    ResponseParseError,
    ServiceError,
    ThrottlingError,
)

LIMIT = 1 << 20

DESCRIBE_INSTANCES = b"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
    <reservationSet>
        <item>
            <reservationId>r-1</reservationId>
            <ownerId>123456789012</ownerId>
            <groupSet/>
            <instancesSet>
                <item>
                    <instanceId>i-1</instanceId>
                    <imageId>ami-1</imageId>
                    <instanceState><code>16</code><name>running</name></instanceState>
                    <reason/>
                    <amiLaunchIndex>0</amiLaunchIndex>
                    <productCodes/>
                    <launchTime>2016-11-15T21:24:34.000Z</launchTime>
                    <placement><availabilityZone>us-east-1b</availabilityZone></placement>
                    <sourceDestCheck>true</sourceDestCheck>
                    <groupSet>
                        <item><groupId>sg-1</groupId><groupName>web</groupName></item>
                    </groupSet>
                    <blockDeviceMapping>
                        <item>
                            <deviceName>/dev/xvda</deviceName>
                            <ebs>
                                <volumeId>vol-1</volumeId>
                                <attachTime>2016-11-15T21:24:35Z</attachTime>
                                <deleteOnTermination>true</deleteOnTermination>
                            </ebs>
                        </item>
                    </blockDeviceMapping>
                    <tagSet><item><key>Name</key><value>web &amp; co</value></item></tagSet>
                    <cpuOptions><coreCount>1</coreCount><threadsPerCore>2</threadsPerCore></cpuOptions>
                    <somethingNewerThanTheModel>ignored</somethingNewerThanTheModel>
                </item>
            </instancesSet>
        </item>
        <item>
            <reservationId>r-2</reservationId>
            <ownerId>123456789012</ownerId>
            <groupSet/>
            <instancesSet>
                <item>
                    <instanceId>i-2</instanceId>
                    <instanceState><code>80</code><name>stopped</name></instanceState>
                    <tagSet/>
                    <ebsOptimized>false</ebsOptimized>
                </item>
                <item>
                    <instanceId>i-3</instanceId>
                    <tagSet>
                        <item><key>a</key><value/></item>
                        <item><key>b</key><value>2</value></item>
                    </tagSet>
                </item>
            </instancesSet>
        </item>
    </reservationSet>
</DescribeInstancesResponse>
"""


@pytest.fixture(scope="module")
def ec2_model() -> dict[str, Any]:
    """botocore's EC2 service model (2016-11-15), the test oracle's view of EC2."""
    return dict(Loader().load_service_model("ec2", "service-2"))


# -- parse_generic ---------------------------------------------------------------------------


def test_generic_strips_root_and_keeps_request_id() -> None:
    """The root element and its xmlns go; requestId stays; leaves are strings."""
    body = b'<RunResponse xmlns="urn:x"><requestId>r</requestId><n>5</n></RunResponse>'
    assert {"requestId": "r", "n": "5"} == parse_generic(body, max_bytes=LIMIT)


def test_generic_describe_instances() -> None:
    """Sets become lists (one item too, none too), nested ones included; names stay as sent."""
    parsed = parse_generic(DESCRIBE_INSTANCES, max_bytes=LIMIT)
    first, second = parsed["reservationSet"]
    (instance,) = first["instancesSet"]
    assert [] == first["groupSet"]
    assert {"code": "16", "name": "running"} == instance["instanceState"]
    assert "" == instance["reason"]
    assert "" == instance["productCodes"]  # not a "…Set": without a shape it cannot be known
    assert [{"key": "Name", "value": "web & co"}] == instance["tagSet"]
    assert [{"groupId": "sg-1", "groupName": "web"}] == instance["groupSet"]
    assert "/dev/xvda" == instance["blockDeviceMapping"][0]["deviceName"]
    assert ["i-2", "i-3"] == [i["instanceId"] for i in second["instancesSet"]]
    assert [] == second["instancesSet"][0]["tagSet"]
    assert [{"key": "a", "value": ""}, {"key": "b", "value": "2"}] == second["instancesSet"][1][
        "tagSet"
    ]


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        ("<tagSet/>", {"tagSet": []}),
        ("<tagSet></tagSet>", {"tagSet": []}),
        ("<tagSet>\n   </tagSet>", {"tagSet": []}),
        ("<tagSet><item>x</item></tagSet>", {"tagSet": ["x"]}),
        ("<tagSet><item/></tagSet>", {"tagSet": [""]}),
        ("<valueSet><item><item>a</item></item></valueSet>", {"valueSet": [["a"]]}),
        (
            "<valueSet><item><item>a</item><item>b</item></item></valueSet>",
            {"valueSet": [["a", "b"]]},
        ),
        ("<list><item><x>1</x></item><item/></list>", {"list": [{"x": "1"}, ""]}),
        ("<a>1</a><a>2</a>", {"a": ["1", "2"]}),
        ("<a><b/></a><a><c>1</c></a>", {"a": [{"b": ""}, {"c": "1"}]}),
        ('<a attr="dropped">t</a>', {"a": "t"}),
        ("", {}),
    ],
)
def test_generic_lists_and_leaves(inner: str, expected: dict[str, Any]) -> None:
    """Each element form maps to the documented plain value."""
    body = f"<XResponse>{inner}</XResponse>".encode()
    assert expected == parse_generic(body, max_bytes=LIMIT)


def test_generic_refuses_a_text_root() -> None:
    """A root holding only text is not an EC2 response."""
    with pytest.raises(ResponseParseError, match="holds text"):
        parse_generic(b"<XResponse>just text</XResponse>", max_bytes=LIMIT)


def test_generic_refuses_absurd_nesting() -> None:
    """XML nested far deeper than any EC2 response fails cleanly, not with RecursionError."""
    body = b"<XResponse>" + b"<a>" * 50_000 + b"x" + b"</a>" * 50_000 + b"</XResponse>"
    with pytest.raises(ResponseParseError, match="nested too deeply"):
        parse_generic(body, max_bytes=LIMIT)


# Hypothesis: plain trees -> EC2-style XML -> parse_generic -> the same tree.

_names = st.from_regex(r"[a-z][A-Za-z0-9]{0,8}", fullmatch=True).filter(
    lambda n: n != "item" and not n.endswith("Set")
)
_texts = st.one_of(
    st.just(""),
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn")),
        min_size=1,
        max_size=12,
    ).filter(lambda t: t == t.strip()),
)


def _structures(values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Non-empty dicts whose list-valued members are named "…Set", as EC2 names them."""
    return st.dictionaries(_names, values, min_size=1, max_size=4).map(
        lambda d: {(k + "Set" if isinstance(v, list) else k): v for k, v in d.items()}
    )


_trees = st.recursive(
    _texts,
    lambda inner: st.one_of(
        _structures(inner),
        st.lists(inner.filter(lambda v: not isinstance(v, list)), max_size=3),
    ),
    max_leaves=15,
)


def _to_xml(name: str, value: Any, indent: str) -> str:
    """Write one element the way EC2 does: lists as <item> children, empty lists self-closed."""
    if isinstance(value, str):
        return f"{indent}<{name}>{escape(value)}</{name}>"
    children = [("item", v) for v in value] if isinstance(value, list) else list(value.items())
    if not children:
        return f"{indent}<{name}/>"
    inner = indent + "  " if indent else ""
    body = "".join(_to_xml(k, v, inner) for k, v in children)
    return f"{indent}<{name}>{body}{indent}</{name}>"


@given(_structures(_trees), st.booleans())
def test_generic_round_trip(tree: dict[str, Any], pretty: bool) -> None:
    """Random dict trees written as EC2-style XML parse back to themselves."""
    expected = {"requestId": "req-1", **tree}
    indent = "\n  " if pretty else ""
    body = "".join(_to_xml(k, v, indent) for k, v in expected.items())
    xml = f'<?xml version="1.0"?><FooResponse xmlns="urn:x">{body}</FooResponse>'
    assert expected == parse_generic(xml.encode(), max_bytes=LIMIT)


# -- parse_shaped ----------------------------------------------------------------------------


def test_shaped_describe_instances_matches_botocore(ec2_model: dict[str, Any]) -> None:
    """With EC2's real output shape, parse_shaped gives exactly what botocore's parser gives."""
    given_op = ec2_model["operations"]["DescribeInstances"]
    op = operation_from_botocore(ec2_model["shapes"], given_op)
    output_shape = ServiceModel(ec2_model, "ec2").operation_model("DescribeInstances").output_shape
    response = {"body": DESCRIBE_INSTANCES, "headers": {}, "status_code": 200}
    expected = create_parser("ec2").parse(response, output_shape)
    del expected["ResponseMetadata"]
    actual = parse_shaped(DESCRIBE_INSTANCES, op.output, max_bytes=LIMIT)
    assert expected == actual
    instance = actual["Reservations"][0]["Instances"][0]
    assert dt.datetime(2016, 11, 15, 21, 24, 34, tzinfo=dt.UTC) == instance["LaunchTime"]
    assert [] == actual["Reservations"][0]["Groups"]


def test_shaped_large_answer_fed_in_slices_matches_botocore(ec2_model: dict[str, Any]) -> None:
    """An answer past the slice size (fed to the parser piecewise) still parses as botocore's."""
    reservation = DESCRIBE_INSTANCES.split(b"<reservationSet>")[1].split(b"</reservationSet>")[0]
    copies = 400_000 // len(reservation) + 1
    body = DESCRIBE_INSTANCES.replace(reservation, reservation * copies)
    assert len(body) > xml_module._FEED_BYTES
    op = operation_from_botocore(ec2_model["shapes"], ec2_model["operations"]["DescribeInstances"])
    output_shape = ServiceModel(ec2_model, "ec2").operation_model("DescribeInstances").output_shape
    response = {"body": body, "headers": {}, "status_code": 200}
    expected = create_parser("ec2").parse(response, output_shape)
    del expected["ResponseMetadata"]
    actual = parse_shaped(body, op.output, max_bytes=LIMIT)
    assert 2 * copies == len(actual["Reservations"])
    assert expected == actual


def _big_answer() -> bytes:
    reservation = DESCRIBE_INSTANCES.split(b"<reservationSet>")[1].split(b"</reservationSet>")[0]
    body = DESCRIBE_INSTANCES.replace(reservation, reservation * 400)
    assert len(body) > xml_module._FEED_BYTES
    return body


@pytest.mark.parametrize("enabled", [True, False])
def test_a_large_answer_parses_without_garbage_collections(
    ec2_model: dict[str, Any], *, enabled: bool
) -> None:
    """No collection runs while a large answer's tree is alive; the collector's state is kept."""
    op = operation_from_botocore(ec2_model["shapes"], ec2_model["operations"]["DescribeInstances"])
    body = _big_answer()
    collections: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    was = gc.isenabled()
    gc.callbacks.append(record)
    (gc.enable if enabled else gc.disable)()
    try:
        parsed = parse_shaped(body, op.output, max_bytes=LIMIT)
        state = gc.isenabled()
        with pytest.raises(ResponseParseError):  # a failing parse puts it back too
            parse_shaped(
                body.replace(b"<code>16</code>", b"<code>x</code>"), op.output, max_bytes=LIMIT
            )
        after_error = gc.isenabled()
    finally:
        gc.callbacks.remove(record)
        (gc.enable if was else gc.disable)()
    assert 800 == len(parsed["Reservations"])
    # Without the pause, the tree's allocations set off ~60 collections per parse, some of
    # them of older generations. Once the collector is back on, the first allocation may
    # run one young collection for what the paused parse allocated: at most one per parse.
    assert all(generation == 0 for generation in collections), collections
    assert len(collections) <= 2, collections
    assert (enabled, enabled) == (state, after_error)


def test_a_small_answer_leaves_the_collector_alone() -> None:
    """Small answers (parsed on the event loop) never touch the collector."""
    calls: list[str] = []
    real = gc.disable
    try:
        gc.disable = lambda: calls.append("disable")  # type: ignore[assignment]
        parse_shaped(b"<R><S>x</S></R>", SCALARS, max_bytes=LIMIT)
    finally:
        gc.disable = real  # type: ignore[assignment]
    assert [] == calls


@pytest.mark.parametrize(
    "body",
    [
        b"<R><S>x</S><I>1</I></R>",
        b'<R xmlns="urn:ec2"><S>x</S><I>1</I></R>',
        b'<e:R xmlns:e="urn:ec2"><e:S>x</e:S><e:I>1</e:I></e:R>',
        b'<R xmlns="urn:ec2"><S xmlns="urn:other">x</S><I>1</I></R>',
    ],
)
def test_shaped_members_match_by_local_name(body: bytes) -> None:
    """Members are found whatever namespace or prefix their elements carry."""
    assert {"S": "x", "I": 1} == parse_shaped(body, SCALARS, max_bytes=LIMIT)


def test_shaped_many_unknown_element_names_still_parse() -> None:
    """Thousands of distinct unknown names (past the readers' tag cache) change nothing."""
    unknown = b"".join(b"<u%d>x</u%d>" % (n, n) for n in range(3000))
    body = b"<R>" + unknown + b"<S>kept</S>" + unknown + b"<I>2</I></R>"
    assert {"S": "kept", "I": 2} == parse_shaped(body, SCALARS, max_bytes=LIMIT)
    assert {"S": "x"} == parse_shaped(b"<R><S>x</S></R>", SCALARS, max_bytes=LIMIT)


TAG = structure(("Key", STRING, "key"), ("Value", STRING, "value"))
TAGS = structure(("Tags", list_of(TAG), "tagSet"))


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        (
            "<tagSet><item><key>k</key><value>v</value></item></tagSet>",
            [{"Key": "k", "Value": "v"}],
        ),
        ("<tagSet/>", []),
        ("<tagSet>  </tagSet>", []),
        ("<tagSet><item/></tagSet>", [{}]),
        ("<tagSet><member><key>k</key></member></tagSet>", [{"Key": "k"}]),
        (
            "<tagSet><item><key>a</key></item><member><key>b</key></member></tagSet>",
            [{"Key": "a"}, {"Key": "b"}],
        ),
        (
            "<tagSet><item><key>a</key></item></tagSet><tagSet><item/><item/></tagSet>",
            [{"Key": "a"}],
        ),
    ],
)
def test_shaped_lists(inner: str, expected: list[Any]) -> None:
    """A list shape is a list with one item, with none, and whatever its items are named."""
    body = f"<XResponse>{inner}<requestId>r</requestId></XResponse>".encode()
    assert {"Tags": expected} == parse_shaped(body, TAGS, max_bytes=LIMIT)


SCALARS = structure(
    ("S", STRING),
    ("I", INTEGER),
    ("L", LONG),
    ("B", BOOLEAN),
    ("D", DOUBLE),
    ("T", TIMESTAMP),
    ("Blob", BLOB),
    ("Nested", structure(("Inner", INTEGER, "inner")), "nested"),
)


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        ("<S>x</S><I>-3</I><L>9007199254740993</L>", {"S": "x", "I": -3, "L": 9007199254740993}),
        ("<B>true</B><D>1.5</D>", {"B": True, "D": 1.5}),
        ("<B>false</B><D>-Infinity</D>", {"B": False, "D": float("-inf")}),
        ("<S/><Blob/><I/><B/><T/><D/>", {"S": "", "Blob": b""}),
        ("<Blob>AHZhbHVl</Blob>", {"Blob": b"\x00value"}),
        ("<S>a<x/>b</S>", {"S": "ab"}),
        ("<S><x/></S>", {"S": ""}),
        ("<S>first</S><S>second</S>", {"S": "first"}),
        ("<nested><inner>7</inner></nested>", {"Nested": {"Inner": 7}}),
        ("<nested/>", {"Nested": {}}),
        ("<nested>text</nested>", {"Nested": {}}),
        (
            "<nested><inner>1</inner></nested><nested><inner>2</inner></nested>",
            {"Nested": {"Inner": 1}},
        ),
    ],
)
def test_shaped_scalars(inner: str, expected: dict[str, Any]) -> None:
    """Scalars convert by kind; empty numbers are left out; odd element forms are tolerated."""
    body = f"<XResponse>{inner}</XResponse>".encode()
    assert expected == parse_shaped(body, SCALARS, max_bytes=LIMIT)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-11-15T21:24:34.000Z", dt.datetime(2016, 11, 15, 21, 24, 34, tzinfo=dt.UTC)),
        ("2016-11-15T21:24:34Z", dt.datetime(2016, 11, 15, 21, 24, 34, tzinfo=dt.UTC)),
        ("2000-01-02T20:34:56.123Z", dt.datetime(2000, 1, 2, 20, 34, 56, 123000, tzinfo=dt.UTC)),
        ("2019-12-16T22:48:18-01:00", dt.datetime(2019, 12, 16, 23, 48, 18, tzinfo=dt.UTC)),
        ("2016-11-15T21:24:34", dt.datetime(2016, 11, 15, 21, 24, 34, tzinfo=dt.UTC)),
        ("1398796238", dt.datetime(2014, 4, 29, 18, 30, 38, tzinfo=dt.UTC)),
        ("1398796238.5", dt.datetime(2014, 4, 29, 18, 30, 38, 500000, tzinfo=dt.UTC)),
        ("Tue, 29 Apr 2014 18:30:38 GMT", dt.datetime(2014, 4, 29, 18, 30, 38, tzinfo=dt.UTC)),
    ],
)
def test_shaped_timestamps(text: str, expected: dt.datetime) -> None:
    """Timestamps become aware UTC datetimes from ISO 8601, epoch seconds or RFC 822."""
    parsed = parse_shaped(
        f"<XResponse><T>{text}</T></XResponse>".encode(), SCALARS, max_bytes=LIMIT
    )
    assert (expected, dt.UTC) == (parsed["T"], parsed["T"].tzinfo)


@pytest.mark.parametrize(
    ("inner", "where"),
    [
        ("<I>abc</I>", "<I>"),
        ("<B>yes</B>", "<B>"),
        ("<D>one</D>", "<D>"),
        ("<T>yesterday</T>", "<T>"),
        ("<T>99999999999999999999</T>", "<T>"),
        ("<Blob>!!not base64!!</Blob>", "<Blob>"),
        ("<nested><inner>x</inner></nested>", "<nested/inner>"),
    ],
)
def test_shaped_bad_values_name_their_path(inner: str, where: str) -> None:
    """A value that does not fit its shape is a ResponseParseError naming the element path."""
    with pytest.raises(ResponseParseError) as info:
        parse_shaped(f"<XResponse>{inner}</XResponse>".encode(), SCALARS, max_bytes=LIMIT)
    assert f"cannot parse {where}" in str(info.value)


def test_shaped_maps() -> None:
    """Maps read <entry><key/><value/> pairs, flattened and renamed ones too."""
    shape = structure(
        ("Plain", map_of(STRING, INTEGER)),
        ("Flat", map_of(STRING, STRING, key_name="k", value_name="v", flattened=True)),
        ("Odd", map_of(STRING, INTEGER)),
    )
    body = (
        b"<XResponse>"
        b"<Plain><entry><key>a</key><value>1</value></entry><entry><key>b</key><value/></entry>"
        b"</Plain><Flat><k>x</k><v>y</v></Flat><Flat><k>z</k><v/></Flat>"
        b"<Odd><entry>junk</entry></Odd>"
        b"</XResponse>"
    )
    expected = {"Plain": {"a": 1}, "Flat": {"x": "y", "z": ""}, "Odd": {}}
    assert expected == parse_shaped(body, shape, max_bytes=LIMIT)


def test_shaped_flattened_list_single_and_repeated() -> None:
    """A flattened list repeats the member element; one occurrence is still a list."""
    shape = structure(("Names", list_of(STRING, flattened=True), "name"))
    one = parse_shaped(b"<R><name>a</name></R>", shape, max_bytes=LIMIT)
    two = parse_shaped(b"<R><name>a</name><name>b</name></R>", shape, max_bytes=LIMIT)
    assert ({"Names": ["a"]}, {"Names": ["a", "b"]}) == (one, two)


def test_shaped_recursive_shape_and_absurd_depth() -> None:
    """Recursive shapes parse through deferred references; absurd depth fails cleanly."""
    node: Shape = structure(("Name", STRING, "name"), ("Child", lambda: node, "child"))
    body = b"<R><name>a</name><child><name>b</name><child><name>c</name></child></child></R>"
    expected = {"Name": "a", "Child": {"Name": "b", "Child": {"Name": "c"}}}
    assert expected == parse_shaped(body, node, max_bytes=LIMIT)
    deep = b"<R>" + b"<child>" * 50_000 + b"</child>" * 50_000 + b"</R>"
    with pytest.raises(ResponseParseError, match="nested too deeply"):
        parse_shaped(deep, node, max_bytes=LIMIT)


def test_shaped_empty_root_is_empty() -> None:
    """A self-closed root (an output with no members) parses to {}."""
    assert {} == parse_shaped(b"<DeleteTagsResponse/>", TAGS, max_bytes=LIMIT)


# -- parse_xml: hostile and broken bodies ----------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""
QUADRATIC_BLOWUP = (
    b'<?xml version="1.0"?><!DOCTYPE kaboom [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]><kaboom>'
    + b"&a;" * 50_000
    + b"</kaboom>"
)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(BILLION_LAUGHS, id="billion-laughs"),
        pytest.param(QUADRATIC_BLOWUP, id="quadratic-blowup"),
        pytest.param(b'<!DOCTYPE r SYSTEM "file:///etc/passwd"><r>&x;</r>', id="external-dtd"),
        pytest.param(b"<!DOCTYPE r><r/>", id="bare-doctype"),
        pytest.param(b'<r><!ENTITY x "y"></r>', id="stray-entity"),
    ],
)
def test_entity_declarations_are_refused_in_bounded_memory(body: bytes) -> None:
    """DOCTYPE and ENTITY bodies fail before expansion, allocating next to nothing."""
    tracemalloc.start()
    try:
        with pytest.raises(ResponseParseError, match="DOCTYPE or ENTITY"):
            parse_xml(body, max_bytes=LIMIT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024


def test_expat_refuses_a_doctype_even_past_the_byte_check() -> None:
    """The hardened expat stops at a DOCTYPE on its own (defence in depth)."""
    with pytest.raises(ValueError, match="DOCTYPE declaration is refused"):
        xmltodict.parse(b"<!DOCTYPE r><r/>", expat=xml_module._SafeExpat)


def test_utf16_documents_cannot_smuggle_markup() -> None:
    """A UTF-16 body, which would hide "<!DOCTYPE" from a byte scan, is read as UTF-8: refused."""
    body = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r><r/>'.encode("utf-16")
    with pytest.raises(ResponseParseError, match="not valid UTF-8"):
        parse_xml(body, max_bytes=LIMIT)


def test_oversize_bodies_are_refused_before_parsing() -> None:
    """A body over the limit is refused for its size, even a hostile one, unread."""
    message = f"{len(BILLION_LAUGHS)} bytes is over the 100-byte limit; not parsed"
    with pytest.raises(ResponseParseError, match=message):
        parse_xml(BILLION_LAUGHS, max_bytes=100)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b" \r\n\t", "empty"),
        (DESCRIBE_INSTANCES[: len(DESCRIBE_INSTANCES) // 2], "not usable XML"),
        (b"<DescribeInstancesResponse><requestId>r</requ", "not usable XML"),
        (b"<a>\xff\xfe</a>", r"not valid UTF-8 \(byte 0xff at offset 3\)"),
        (b"<a>&undefined;</a>", "not usable XML"),
        (b"<html><body><h1>502 Bad Gateway</h1><br></body></html>", "502 Bad Gateway"),
        (b"Service Unavailable", "not usable XML"),
        (b"<a/><b/>", "not usable XML"),
    ],
)
def test_broken_bodies_are_parse_errors(body: bytes, message: str) -> None:
    """Truncated, non-UTF-8, non-XML and HTML bodies raise ResponseParseError, nothing else."""
    with pytest.raises(ResponseParseError, match=message):
        parse_generic(body, max_bytes=LIMIT)


def test_error_excerpts_are_short_and_printable() -> None:
    """The excerpt in a message is bounded and free of control characters, whatever the body."""
    body = b"\x00\x01garbage\x1b[31m" + bytes(range(128, 256)) * 4000
    with pytest.raises(ResponseParseError) as info:
        parse_xml(body, max_bytes=LIMIT)
    message = str(info.value)
    assert len(message) < 300
    assert all(c.isprintable() for c in message)


# -- parse_error -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b"<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>bad</Message>"
            b"</Error></Errors><RequestID>req-1</RequestID></Response>",
            ("InvalidParameterValue", "bad", "req-1"),
        ),
        (
            b'<ErrorResponse xmlns="urn:x"><Error><Type>Sender</Type><Code>Oops</Code>'
            b"<Message>m</Message></Error><RequestId>req-2</RequestId></ErrorResponse>",
            ("Oops", "m", "req-2"),
        ),
        (
            b"<Error><Code>Oops</Code><Message>m</Message><RequestId>req-3</RequestId></Error>",
            ("Oops", "m", "req-3"),
        ),
        (
            b"<Response><Errors><Error><Code>A</Code><Message>first</Message></Error>"
            b"<Error><Code>B</Code></Error></Errors><requestId>req-4</requestId></Response>",
            ("A", "first", "req-4"),
        ),
        (
            b"<Response><Errors><Error><Code>NoMessage</Code></Error></Errors></Response>",
            ("NoMessage", "", ""),
        ),
    ],
)
def test_error_envelope_variants(body: bytes, expected: tuple[str, str, str]) -> None:
    """EC2's envelope and its relatives give code, message and request id."""
    error = parse_error(body, status=400, max_bytes=LIMIT)
    assert expected == (error.code, error.message, error.request_id)
    assert 400 == error.status


@pytest.mark.parametrize(
    ("code", "status", "cls", "retry_safe"),
    [
        ("SomethingBrandNew", 400, EC2APIError, False),
        ("InvalidInstanceID.NotFound", 400, NotFoundError, False),
        ("InvalidAMIID.NotFound", 400, NotFoundError, False),
        ("RequestLimitExceeded", 503, ThrottlingError, True),
        ("DryRunOperation", 412, DryRunOperation, False),
        ("InternalError", 500, ServiceError, True),
    ],
)
def test_error_classes(code: str, status: int, cls: type[EC2APIError], retry_safe: bool) -> None:
    """The code picks the class; unknown codes stay plain EC2APIError with .code set."""
    body = f"<Response><Errors><Error><Code>{code}</Code><Message>m</Message></Error></Errors>"
    error = parse_error(
        f"{body}<RequestID>r</RequestID></Response>".encode(), status=status, max_bytes=LIMIT
    )
    assert (cls, code, retry_safe) == (type(error), error.code, error.is_retry_safe)


@pytest.mark.parametrize(
    ("body", "status", "cls", "fragment"),
    [
        (
            b"<html><body><h1>503 Service Unavailable</h1></body></html>",
            503,
            ServiceError,
            "503 Service",
        ),
        (b"upstream connect error", 503, ServiceError, "upstream connect error"),
        (b"", 500, ServiceError, "empty"),
        (b"<Response><Errors><Error><Code>Trunc", 502, ServiceError, "not usable XML"),
        (BILLION_LAUGHS, 503, ServiceError, "DOCTYPE or ENTITY"),
        (b"<Response><Errors/></Response>", 400, EC2APIError, "without an error code"),
        (b"<Response>oops</Response>", 400, EC2APIError, "without an error code"),
        (
            b"<Response><Errors><Error><Message>m</Message></Error></Errors></Response>",
            403,
            EC2APIError,
            "without",
        ),
        (b"x" * (LIMIT + 1), 504, ServiceError, "limit"),
    ],
)
def test_unusable_error_bodies_fall_back_to_the_status(
    body: bytes, status: int, cls: type[EC2APIError], fragment: str
) -> None:
    """Without a usable envelope the code is HTTP<status>; 5xx stays a retry-safe ServiceError."""
    error = parse_error(body, status=status, max_bytes=LIMIT)
    assert (cls, f"HTTP{status}", status, status >= 500) == (
        type(error),
        error.code,
        error.status,
        error.is_retry_safe,
    )
    assert fragment in error.message
