"""
The public surface refuses bad arguments at the call site, naming them, before sending anything.

Every public coroutine method of :class:`aioec2.Session` and of the models (and the async
iterators ``iter_instances``/``iter_reservations``/``paginate``) is found by introspection.
For each of its parameters Hypothesis draws values of the wrong type or out of range for
that parameter (ints where strings belong, a lone string where a list of ids belongs,
negative counts, None where a value is required, bytes, floats, bools, surrogates, ...) and
calls the method with that one value wrong and every other argument valid. The call must
raise ``TypeError`` or ``ValueError`` (``ArgumentError`` is one) whose message names the
parameter, and the scripted server behind the session must have seen no request at all.

A control test calls every method with only the valid arguments and checks that it *does*
reach the server, so a refusal above is the wrong value's doing, not the baseline's.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aioec2
from aioec2._core.waiters import STATES
from aioec2.errors import ConfigurationError
from aioec2.models import Image, Instance, IpPermission, KeyPair, Reservation, SecurityGroup
from tests.servers.scripted import ScriptedServer

SURFACE = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
RULE = IpPermission.build("tcp", 80, 80, cidr_ip="0.0.0.0/0")
OWNERS: dict[str, type[Any]] = {
    "Session": aioec2.Session,
    "Image": Image,
    "Instance": Instance,
    "Reservation": Reservation,
    "SecurityGroup": SecurityGroup,
    "KeyPair": KeyPair,
}
#: Public methods that take no part: lifecycle, not calls.
SKIPPED = {("Session", "close")}

# -- what is valid ---------------------------------------------------------------------------

#: A valid value for each required parameter, by name.
REQUIRED: dict[str, Any] = {
    "image_id": "ami-1",
    "instance_id": "i-1",
    "instance_ids": ["i-1"],
    "name": "web",
    "description": "the web tier",
    "resource_ids": ["i-1"],
    "tags": {"env": "prod"},
    "public_key": "ssh-ed25519 AAAA",
    "state": "running",
    "instances_or_ids": ["i-1"],
    "specs": [{"image_id": "ami-1"}],
    "action": "DescribeRegions",
    "ip_permissions": [RULE],
    "body": b"Action=DescribeRegions&Version=2016-11-15",
}
#: Valid arguments a method needs besides its required ones, to be worth sending.
BASELINE: dict[tuple[str, str], dict[str, Any]] = {
    ("Session", "authorize_security_group_ingress"): {"group_id": "sg-1"},
    ("Session", "revoke_security_group_ingress"): {"group_id": "sg-1"},
    ("Session", "delete_security_group"): {"group_id": "sg-1"},
    ("Session", "modify_image_attribute"): {"operation_type": "add", "user_ids": ["123456789012"]},
    ("Image", "set_launch_permissions"): {"user_ids": ["123456789012"]},
    ("Image", "remove_launch_permissions"): {"user_ids": ["123456789012"]},
    ("SecurityGroup", "authorize"): {
        "ip_protocol": "tcp",
        "from_port": 80,
        "to_port": 80,
        "cidr_ip": "0.0.0.0/0",
    },
    ("SecurityGroup", "revoke"): {
        "ip_protocol": "tcp",
        "from_port": 80,
        "to_port": 80,
        "cidr_ip": "0.0.0.0/0",
    },
}
#: Changes to the baseline while one parameter is under test (it must be the one in charge).
WHILE_TESTING: dict[tuple[str, str, str], dict[str, Any]] = {
    ("Session", "delete_security_group", "group_name"): {"group_id": None},
    ("Session", "authorize_security_group_ingress", "group_name"): {"group_id": None},
    ("Session", "revoke_security_group_ingress", "group_name"): {"group_id": None},
    ("Session", "modify_image_attribute", "description"): {"operation_type": None, "user_ids": ()},
    ("Session", "modify_image_attribute", "launch_permission"): {
        "operation_type": None,
        "user_ids": (),
    },
}

# -- what is wrong ---------------------------------------------------------------------------

_junk = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.booleans(),
    st.binary(min_size=1, max_size=6),
    st.just(object()),
    st.just(1j),
)
_text = st.text(min_size=1, max_size=8).filter(str.strip)
_surrogate = st.just("i-\ud800")  # has no UTF-8 form: refused at the call, not on the wire
_blank = st.sampled_from(["", "   ", "\t\n"])


def _bad_list(item: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Lists with one bad item among good ones."""
    return st.tuples(st.lists(st.just("x-1"), max_size=2), item).map(lambda t: [*t[0], t[1]])


_ids = st.one_of(
    _text,  # a lone string: would iterate by character
    _junk,
    st.none(),
    st.just({"i-1": "i-2"}),  # a mapping: its keys are not obviously the ids
    _bad_list(st.one_of(_junk, st.none(), _blank, _surrogate, st.lists(_text, min_size=1))),
)
_tags = st.one_of(
    _text,
    _junk,
    st.lists(st.tuples(_text, _text), min_size=1, max_size=2),
    st.dictionaries(st.integers(), _text, min_size=1, max_size=2),
    st.dictionaries(_text, st.one_of(_junk, st.none(), st.lists(_text)), min_size=1, max_size=2),
    st.just({"": "empty key"}),
    st.just({"k" * 129: "key too long"}),
    st.just({"k": "v" * 257}),
    st.sampled_from([{"k": "\ud800"}, {"\udc00": "v"}]),
)
_filters = st.one_of(
    _text,
    _junk,
    st.lists(_text, min_size=1, max_size=2),
    st.dictionaries(st.integers(), _text, min_size=1, max_size=2),
    st.dictionaries(_text, st.one_of(_junk, st.none()), min_size=1, max_size=2),
    st.sampled_from(
        [
            {"name": []},
            {"name": [1]},
            {"name": b"x"},
            {"": "x"},
            {"name": {"a": "b"}},
            {"n": "\ud800"},
        ]
    ),
)
_progress = st.one_of(st.integers(), _text, st.lists(st.integers(), max_size=2), st.just(b"x"))

WRONG: dict[str, st.SearchStrategy[Any]] = {
    "text": st.one_of(_junk, st.none(), _blank, _surrogate, st.lists(_text, min_size=1)),
    "optional_text": st.one_of(_junk, _blank, _surrogate, st.lists(_text, min_size=1)),
    "ids": _ids,
    "optional_ids": _ids.filter(lambda v: v is not None),
    "count": st.one_of(
        st.integers(max_value=0), st.floats(), st.booleans(), st.none(), st.just("2")
    ),
    "page_size": st.one_of(
        st.integers(max_value=4), st.integers(min_value=1001), st.booleans(), st.floats(), _text
    ),
    "port": st.one_of(
        st.integers(max_value=-2),
        st.integers(min_value=65536),
        st.booleans(),
        st.floats(),
        st.just("80"),
        st.none(),  # tcp needs both ports
    ),
    "flag": st.one_of(st.integers(), _text, st.none(), st.floats(), st.just([True])),
    "optional_flag": st.one_of(st.integers(), _text, st.floats(), st.just([True])),
    "tags": _tags,
    "required_tags": st.one_of(_tags, st.none(), st.just({})),
    "tag_keys": st.one_of(
        _text,
        _junk,
        st.none(),
        st.just([]),
        st.just({}),
        _bad_list(st.one_of(_junk, _blank, _surrogate)),
    ),
    "filters": _filters,
    "timeout": st.one_of(
        st.floats(max_value=-0.001),
        st.just(float("nan")),
        st.booleans(),
        _text,
        st.lists(st.integers(), min_size=1),
    ),
    "progress": _progress,
    "rules": st.one_of(
        st.just(RULE),  # a lone rule
        st.just([]),
        st.none(),
        _text,
        st.lists(st.one_of(_junk, st.just({"IpProtocol": "tcp"})), min_size=1, max_size=2),
    ),
    "specs": st.one_of(
        st.just({"image_id": "ami-1"}),  # a lone spec
        _text,
        _junk,
        st.none(),
        st.lists(_junk, min_size=1, max_size=2),
        st.sampled_from(
            [
                [{}],
                [{"image_id": 1}],
                [{"image_id": "ami-1", "bogus": 1}],
                [{"image_id": "ami-1", "min_count": 0}],
                [{"image_id": "ami-1", "key_name": 5}],
                [{"image_id": "ami-1", "user_data": 5}],
                [{"image_id": "ami-1", "tags": ["a"]}],
                [{"image_id": "ami-1", "security_groups": "web"}],
                [{"image_id": "ami-1", "client_token": "x" * 65}],
            ]
        ),
    ),
    "concurrency": st.one_of(
        st.integers(max_value=0), st.booleans(), st.floats(), _text, st.none()
    ),
    "public_key": st.one_of(
        st.none(), st.integers(), st.lists(_text, min_size=1), _blank, st.just(b"  "), _surrogate
    ),
    "user_data": st.one_of(
        st.integers(),
        st.floats(),
        st.lists(_text, min_size=1),
        st.just("x" * (16 * 1024 + 1)),
        _surrogate,
    ),
    "client_token": st.one_of(
        st.integers(), st.just(""), st.just("x" * 65), st.just("jeton-é"), st.binary(min_size=1)
    ),
    "key_type": st.one_of(
        _text.filter(lambda t: t not in ("rsa", "ed25519")),
        st.integers(),
        st.lists(_text, min_size=1),
        st.just(b"rsa"),
    ),
    "operation_type": st.one_of(
        _text.filter(lambda t: t not in ("add", "remove")),
        st.integers(),
        st.lists(_text, min_size=1),
        st.just(b"add"),
    ),
    "launch_permission": st.one_of(
        _text,
        st.integers(),
        st.lists(_text, min_size=1),
        st.sampled_from(
            [
                {"Add": 5},
                {"Add": "123456789012"},
                {"Add": [5]},
                {"Add": [{"UserId": 5}]},
                {"Add": [{"Nobody": "x"}]},
                {"Bogus": [{"UserId": "123456789012"}]},
                {5: []},
            ]
        ),
    ),
    "protocol": st.one_of(
        st.just("bogus"),
        st.integers(max_value=-2),
        st.integers(min_value=256),
        st.floats(),
        st.booleans(),
        st.binary(min_size=1),
        st.lists(_text, min_size=1),
        st.none(),  # without a source group alone, a protocol is required
    ),
    "cidr4": st.one_of(
        st.sampled_from(["10.0.0.1", "10.0.0.1/8", "::/0", "300.0.0.0/8", "10.0.0.0/33", ""]),
        _junk,
    ),
    "cidr6": st.one_of(
        st.sampled_from(["2001:db8::1", "2001:db8::1/32", "10.0.0.0/8", "2001:zz::/32", ""]),
        _junk,
    ),
    "src_group": st.one_of(
        st.integers(), st.just("web"), st.just(""), st.lists(_text, min_size=1), st.just(b"sg-1")
    ),
    "group_id": st.one_of(st.just("web"), _junk, _blank, st.lists(_text, min_size=1)),
    "instances": st.one_of(
        _text,
        st.just(Instance(id="i-1")),  # a lone instance
        st.none(),
        _junk,
        _bad_list(st.one_of(_junk, st.none(), st.just("x-1"), _blank)),
    ),
    "instance_id": st.one_of(st.just("x-1"), _junk, st.none(), _blank, st.lists(_text)),
    "state": st.one_of(
        _text.filter(lambda t: t not in STATES), _junk, st.none(), st.lists(_text, min_size=1)
    ),
    "action": st.one_of(
        st.sampled_from(["Describe Regions", "", "../x", "DescribeRegions\n"]), _junk, st.none()
    ),
    "operation_name": st.one_of(
        st.sampled_from(["NoSuchAction", "describe_regions", ""]), _junk, st.none()
    ),
    "params": st.one_of(
        _text,
        st.integers(),
        st.lists(st.tuples(_text, _text), min_size=1, max_size=2),
        st.sampled_from(
            [{1: "x"}, {"A": object()}, {"A": [None]}, {"A": 1j}, {"A": "\ud800"}, {"A": {2: "x"}}]
        ),
    ),
    "call_params": st.one_of(
        _text,
        st.integers(),
        st.lists(_text, min_size=1),
        st.sampled_from([{"Bogus": 1}, {"RegionNames": "us-east-1"}, {"AllRegions": "yes"}]),
    ),
    "body": st.one_of(_text, st.integers(), st.none(), st.lists(st.binary(), min_size=1)),
    # send()'s action only labels logs and errors (the body carries Action=...).
    "label": st.one_of(_junk, st.none(), st.just(""), st.lists(_text, min_size=1)),
}

#: The kind of wrong value each annotation calls for (the module's annotations are strings).
BY_ANNOTATION = {
    "str": "text",
    "str | None": "optional_text",
    "Iterable[str]": "ids",
    "Iterable[str] | None": "optional_ids",
    "int": "count",
    "int | None": "port",
    "bool": "flag",
    "bool | None": "optional_flag",
    "Mapping[str, str] | None": "tags",
    "Mapping[str, str]": "required_tags",
    "Mapping[str, str | None] | Iterable[str]": "tag_keys",
    "Mapping[str, Any] | None": "filters",
    "Mapping[str, str | Iterable[str]] | None": "filters",
    "Filters | None": "filters",
    "float | None": "timeout",
    "Progress | None": "progress",
    "Sequence[IpPermission]": "rules",
    "Iterable[Mapping[str, Any]]": "specs",
    "str | bytes": "public_key",
    "str | bytes | None": "user_data",
    "str | int | None": "protocol",
    "SecurityGroup | UserIdGroupPair | str | None": "src_group",
    "Iterable[Instance | str]": "instances",
    "bytes": "body",
}
#: Parameters whose name says more than their annotation.
BY_NAME = {
    "state": "state",
    "page_size": "page_size",
    "concurrency": "concurrency",
    "client_token": "client_token",
    "key_type": "key_type",
    "operation_type": "operation_type",
    "launch_permission": "launch_permission",
    "cidr_ip": "cidr4",
    "cidr_ipv6": "cidr6",
    "params": "params",
    "group_id": "group_id",
}
BY_METHOD = {
    ("Session", "request", "action"): "action",
    ("Session", "call", "action"): "operation_name",
    ("Session", "paginate", "action"): "operation_name",
    ("Session", "call", "params"): "call_params",
    ("Session", "paginate", "params"): "call_params",
    ("Session", "wait_until_instance", "instance_id"): "instance_id",
    ("Session", "send", "action"): "label",
}


def names(message: str, name: str, value: object) -> bool:
    """
    Whether an error message names the parameter ``name`` that was given ``value``.

    A ``params`` mapping is reported by the member at fault, which is what its user wrote.
    """
    if name in message:
        return True
    if name == "params" and isinstance(value, dict):
        return "param" in message or any(str(key) in message for key in value)
    return False


def _is_call(owner: str, name: str, value: object) -> bool:
    if name.startswith("_") or (owner, name) in SKIPPED:
        return False
    function = inspect.unwrap(value) if callable(value) else None
    return bool(
        inspect.iscoroutinefunction(function)
        or inspect.isasyncgenfunction(function)
        or name.startswith("iter_")
    )


def public_calls() -> Iterator[tuple[str, str, inspect.Parameter]]:
    """Every (owner, method, parameter) of the public async surface, found by introspection."""
    for owner, cls in OWNERS.items():
        for name, value in inspect.getmembers(cls):
            if not _is_call(owner, name, value):
                continue
            for parameter in list(inspect.signature(value).parameters.values())[1:]:
                if parameter.kind is not inspect.Parameter.VAR_KEYWORD:
                    yield owner, name, parameter


def kind_of(owner: str, method: str, parameter: inspect.Parameter) -> str:
    """The WRONG strategy for one parameter."""
    kind = BY_METHOD.get((owner, method, parameter.name)) or BY_NAME.get(parameter.name)
    return kind or BY_ANNOTATION[str(parameter.annotation)]


CASES = sorted({(o, m, p.name): kind_of(o, m, p) for o, m, p in public_calls()}.items())


def valid_arguments(owner: str, method: str, tested: str | None = None) -> dict[str, Any]:
    """Valid arguments for a call (the tested parameter's own value is left to the caller)."""
    function = getattr(OWNERS[owner], method)
    arguments = {
        p.name: REQUIRED[p.name]
        for p in list(inspect.signature(function).parameters.values())[1:]
        if p.default is inspect.Parameter.empty and p.kind is not inspect.Parameter.VAR_KEYWORD
    }
    arguments.update(BASELINE.get((owner, method), {}))
    if tested is not None:
        arguments.update(WHILE_TESTING.get((owner, method, tested), {}))
    return arguments


def target(owner: str, session: aioec2.Session) -> Any:
    """The object whose method is called: the session, or a model bound to it."""
    instance = Instance(id="i-1", session=session)
    return {
        "Session": session,
        "Image": Image(id="ami-1", session=session),
        "Instance": instance,
        "Reservation": Reservation(id="r-1", instances=(instance,), session=session),
        "SecurityGroup": SecurityGroup(id="sg-1", name="web", session=session),
        "KeyPair": KeyPair(name="k", session=session),
    }[owner]


async def invoke(function: Callable[..., Any], arguments: dict[str, Any]) -> None:
    """Call, await (or start iterating) the result; at most two seconds."""
    async with asyncio.timeout(2):
        result = function(**arguments)
        if inspect.isawaitable(result):
            await result
        elif hasattr(result, "__anext__"):
            await anext(result)


class Surface:
    """A ScriptedServer and a Session on it, run on one event loop for many examples."""

    def __init__(self, runner: asyncio.Runner) -> None:
        self.runner = runner
        self.server = ScriptedServer()
        runner.run(self.server.__aenter__())
        self.session = aioec2.Session(
            region="us-east-1",
            endpoint_url=self.server.url,
            credentials=aioec2.Credentials("AKIDSURFACE", "surface-secret"),
            config=aioec2.Config(max_attempts=1, wait_timeout=0.5, poll_min_interval=0.01),
        )
        runner.run(self.session.__aenter__())

    def close(self) -> None:
        """Close the session and the server."""
        self.runner.run(self.session.close())
        self.runner.run(self.server.__aexit__(None, None, None))

    def refusal(self, owner: str, method: str, arguments: dict[str, Any]) -> BaseException | None:
        """Call the method; return what it raised (None if it did not raise)."""
        self.server.seen.clear()
        function = getattr(target(owner, self.session), method)
        try:
            self.runner.run(invoke(function, arguments))
        except Exception as exc:  # the caller judges what was raised
            return exc
        return None


@pytest.fixture
def surface() -> Iterator[Surface]:
    """A scripted server with an open session in front of it, for sync Hypothesis tests."""
    with asyncio.Runner() as runner:
        surface = Surface(runner)
        try:
            yield surface
        finally:
            surface.close()


@pytest.mark.parametrize(("case", "kind"), CASES, ids=["{}.{}.{}".format(*c) for c, _ in CASES])
def test_wrong_values_are_refused_by_name_before_sending(
    surface: Surface, case: tuple[str, str, str], kind: str
) -> None:
    """A wrong value for one parameter raises TypeError/ValueError naming it; nothing is sent."""
    owner, method, name = case

    @SURFACE
    @given(value=WRONG[kind])
    def check(value: Any) -> None:
        arguments = {**valid_arguments(owner, method, name), name: value}
        error = surface.refusal(owner, method, arguments)
        assert [] == surface.server.seen, f"{method}({name}={value!r}) sent a request"
        assert error is not None, f"{method}({name}={value!r}) was accepted"
        assert type(error) in (TypeError, ValueError) or isinstance(error, ConfigurationError), (
            f"{method}({name}={value!r}) raised {type(error).__name__}: {error}"
        )
        assert names(str(error), name, value), (
            f"{method}({name}={value!r}): the message does not name {name!r}: {error}"
        )

    check()


@pytest.mark.parametrize(
    ("owner", "method"),
    sorted({(o, m) for o, m, _ in public_calls()}),
)
def test_valid_arguments_do_reach_the_server(surface: Surface, owner: str, method: str) -> None:
    """With only valid arguments every method sends (so a refusal is the wrong value's doing)."""
    surface.refusal(owner, method, valid_arguments(owner, method))  # whatever EC2 then says
    assert surface.server.seen, f"{owner}.{method} sent nothing with valid arguments"


def test_every_public_call_has_a_wrong_value_strategy() -> None:
    """The introspected surface is fully covered: no method or parameter is left out."""
    found = {(o, m) for o, m, _ in public_calls()}
    assert ("Session", "run_instances") in found
    assert ("Session", "iter_instances") in found
    assert ("SecurityGroup", "authorize") in found
    assert len(CASES) == len({(o, m, p.name) for o, m, p in public_calls()})
    assert all(kind in WRONG for _, kind in CASES)


# -- the constructor -----------------------------------------------------------------------

CONSTRUCTOR_WRONG: dict[str, st.SearchStrategy[Any]] = {
    "region": st.one_of(_junk, _blank, st.just("us east 1"), st.lists(_text, min_size=1)),
    "credentials": st.one_of(_junk, _text, st.tuples(_text, _text), st.just({"a": "b"})),
    "profile": st.one_of(_junk, st.just(""), st.lists(_text, min_size=1)),
    "endpoint_url": st.one_of(
        _junk, st.sampled_from(["ec2", "ftp://x", "http://", "http://h:0x/"])
    ),
    "signer": st.one_of(_junk, _text, st.just(object())),
    "config": st.one_of(_junk, _text, st.just({"max_connections": 1})),
    "http_session": st.one_of(_junk, _text, st.just(object())),
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTOR_WRONG))
def test_session_constructor_refuses_wrong_values_by_name(name: str) -> None:
    """Session(...) with one wrong argument raises ConfigurationError naming it."""
    parameters = inspect.signature(aioec2.Session).parameters
    assert set(CONSTRUCTOR_WRONG) == set(parameters)

    @SURFACE
    @given(value=CONSTRUCTOR_WRONG[name])
    def check(value: Any) -> None:
        arguments: dict[str, Any] = {
            "region": "us-east-1",
            "credentials": aioec2.Credentials("AKIDSURFACE", "surface-secret"),
            name: value,
        }
        with pytest.raises(ConfigurationError) as caught:
            aioec2.Session(**arguments)
        assert name.replace("_", "") in str(caught.value).replace("_", "").replace(" ", "").lower()

    check()
