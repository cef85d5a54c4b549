"""The Session as the I/O edge: lifecycle, wire format, pooling, retries, errors, secrets."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl

import aiohttp
import pytest

import aioec2
from aioec2._core.request import HttpRequest
from aioec2.errors import (
    ConfigurationError,
    ConnectError,
    DryRunOperation,
    EC2APIError,
    InvalidParameterError,
    NotFoundError,
    RequestTimeoutError,
    ResponseParseError,
    ServiceError,
    SessionClosedError,
    ThrottlingError,
    WrongEventLoopError,
)
from aioec2.signers import AnonymousSigner, Signer
from aioec2.testing import set_testing
from tests.servers.scripted import OK_BODY, Drop, Reply, ScriptedServer, Stall, ec2_error

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzzSECRETzz"
TOKEN = "FQoGZXIvYXdzEXAMPLESESSIONTOKENzz"
CREDS = aioec2.Credentials("AKIDEXAMPLE", SECRET, TOKEN)


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """Retries happen at once in these tests; core tests check the delays themselves."""
    with set_testing(True):
        yield


def session(url: str, **kwargs: object) -> aioec2.Session:
    """A session against a local test server."""
    return aioec2.Session(region="us-east-1", endpoint_url=url, credentials=CREDS, **kwargs)  # type: ignore[arg-type]


async def test_request_posts_the_form_body_and_parses_the_answer() -> None:
    """request() sends Action, Version and flattened params as a signed POST form."""
    async with ScriptedServer() as srv, session(srv.url) as s:
        result = await s.request(
            "DescribeInstances",
            {
                "InstanceId": ["i-1"],
                "Filter": [{"Name": "instance-state-name", "Value": ["running"]}],
            },
        )
    (seen,) = srv.seen
    assert "POST" == seen.method
    assert "/" == seen.path
    assert (
        b"Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-1"
        b"&Filter.1.Name=instance-state-name&Filter.1.Value.1=running"
    ) == seen.body
    assert seen.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert seen.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/ec2/aws4_request" in seen.headers["authorization"]
    assert TOKEN == seen.headers["x-amz-security-token"]
    assert [{"regionName": "us-east-1", "regionEndpoint": "ec2.us-east-1.amazonaws.com"}] == (
        result["regionInfo"]
    )


async def test_anonymous_signer_sends_no_authorization_and_needs_no_credentials() -> None:
    """With AnonymousSigner no credential source is consulted and nothing is signed."""
    async with (
        ScriptedServer() as srv,
        aioec2.Session(region="us-east-1", endpoint_url=srv.url, signer=AnonymousSigner()) as s,
    ):
        await s.request("DescribeRegions")
    assert "authorization" not in srv.seen[0].headers


async def test_connection_pool_respects_max_connections() -> None:
    """Twenty concurrent calls through a pool of two never open more than two connections."""
    async with (
        ScriptedServer(default=Stall(0.02, Reply(200, OK_BODY))) as srv,
        session(srv.url, config=aioec2.Config(max_connections=2)) as s,
    ):
        await asyncio.gather(*(s.request("DescribeRegions") for _ in range(20)))
    assert 20 == len(srv.seen)
    assert 2 == srv.max_open_connections
    assert 2 == srv.connections  # keep-alive: the two connections are reused


async def test_injected_http_session_is_used_and_not_closed() -> None:
    """A caller's aiohttp.ClientSession is used for requests and left open on exit."""
    async with ScriptedServer() as srv, aiohttp.ClientSession() as http:
        async with session(srv.url, http_session=http) as s:
            await s.request("DescribeRegions")
        assert not http.closed
    assert 1 == len(srv.seen)


async def test_own_http_session_is_closed_on_exit() -> None:
    """Leaving the context closes the session; using it afterwards is a clear error."""
    async with ScriptedServer() as srv:
        s = session(srv.url)
        async with s:
            await s.request("DescribeRegions")
        assert s.closed
        with pytest.raises(SessionClosedError, match="closed"):
            await s.request("DescribeRegions")


async def test_unopened_session_says_how_to_open_it() -> None:
    """Calling a session that was never entered explains 'async with'."""
    s = aioec2.Session(region="us-east-1", credentials=CREDS)
    with pytest.raises(SessionClosedError, match="async with"):
        await s.request("DescribeRegions")


async def test_use_from_another_event_loop_fails_fast() -> None:
    """A call from a different loop raises WrongEventLoopError instead of hanging."""
    async with ScriptedServer() as srv, session(srv.url) as s:
        caught: list[BaseException] = []

        def other_thread() -> None:
            try:
                asyncio.run(s.request("DescribeRegions"))
            except BaseException as exc:
                caught.append(exc)

        thread = threading.Thread(target=other_thread)
        thread.start()
        await asyncio.to_thread(thread.join, 10)
        assert [WrongEventLoopError] == [type(e) for e in caught]
        assert "another event loop" in str(caught[0])
    assert [] == srv.seen


@pytest.mark.parametrize(
    ("script", "attempts"),
    [
        ([Reply(503, b"busy"), Reply(503, b"busy")], 3),
        ([ec2_error("RequestLimitExceeded", "slow down", 503)], 2),
        ([ec2_error("InternalError", "oops", 500)], 2),
        ([Reply(502, b"<html>bad gateway</html>")], 2),
        ([Drop(), Drop()], 3),
    ],
    ids=["503-twice", "throttled", "internal-error", "proxy-502", "dropped-twice"],
)
async def test_transient_failures_are_retried_until_success(
    script: list[Reply | Drop], attempts: int
) -> None:
    """Throttling, 5xx and dropped connections are retried; the call then succeeds."""
    async with ScriptedServer(script) as srv, session(srv.url) as s:
        result = await s.request("DescribeRegions")
    assert "req-ok" == result["requestId"]
    assert attempts == len(srv.seen)
    assert 1 == len({seen.body for seen in srv.seen})  # the same request every time


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (ec2_error("InvalidParameterValue", "bad value"), InvalidParameterError),
        (ec2_error("InvalidInstanceID.NotFound", "no such id"), NotFoundError),
        (ec2_error("DryRunOperation", "would have succeeded", 412), DryRunOperation),
        (ec2_error("SomethingNew", "unknown code"), EC2APIError),
    ],
    ids=["invalid-parameter", "not-found", "dry-run", "unknown-code"],
)
async def test_client_errors_are_not_retried(reply: Reply, error: type[EC2APIError]) -> None:
    """4xx answers raise their typed error after exactly one request."""
    async with ScriptedServer([reply]) as srv, session(srv.url) as s:
        with pytest.raises(error) as caught:
            await s.request("DescribeRegions")
    assert 1 == len(srv.seen)
    assert "req-0001" == caught.value.request_id
    assert reply.status == caught.value.status
    assert reply.body.decode().split("<Code>")[1].split("<")[0] == caught.value.code


async def test_retries_stop_after_max_attempts() -> None:
    """A server that keeps failing costs exactly max_attempts requests, then raises."""
    async with (
        ScriptedServer(default=ec2_error("Unavailable", "down", 503)) as srv,
        session(srv.url, config=aioec2.Config(max_attempts=4)) as s,
    ):
        with pytest.raises(ServiceError, match="Unavailable"):
            await s.request("DescribeRegions")
    assert 4 == len(srv.seen)


async def test_dropped_connections_become_connect_error() -> None:
    """A server that always drops the connection ends in ConnectError, not an aiohttp error."""
    async with ScriptedServer(default=Drop()) as srv, session(srv.url) as s:
        with pytest.raises(ConnectError) as caught:
            await s.request("DescribeRegions")
    assert 3 == len(srv.seen)
    assert not isinstance(caught.value, aiohttp.ClientError)
    assert isinstance(caught.value.__cause__, aiohttp.ClientError)


async def test_read_timeout_becomes_request_timeout_error() -> None:
    """A server slower than read_timeout ends in RequestTimeoutError (also a TimeoutError)."""
    config = aioec2.Config(read_timeout=0.05, max_attempts=2)
    async with (
        ScriptedServer(default=Stall(1.0)) as srv,
        session(srv.url, config=config) as s,
    ):
        with pytest.raises(RequestTimeoutError) as caught:
            await s.request("DescribeRegions")
    assert isinstance(caught.value, TimeoutError)
    assert 2 == len(srv.seen)


async def test_retry_quota_runs_dry_under_a_persistent_outage() -> None:
    """The session-wide quota (500, 5 per retry) stops retrying after 100 paid retries."""
    async with (
        ScriptedServer(default=Reply(503, b"down")) as srv,
        session(srv.url) as s,
    ):
        for _ in range(60):
            with pytest.raises(ServiceError):
                await s.request("DescribeRegions")
    # 50 calls x (1 + 2 retries) drain 500 tokens; the other 10 calls get no retry.
    assert 50 * 3 + 10 * 1 == len(srv.seen)


async def test_oversized_response_is_refused() -> None:
    """A body above max_response_bytes is a ResponseParseError, not a memory spike."""
    config = aioec2.Config(max_response_bytes=1000)
    async with (
        ScriptedServer([Reply(200, b"<x>" + b"a" * 5000 + b"</x>")]) as srv,
        session(srv.url, config=config) as s,
    ):
        with pytest.raises(ResponseParseError, match="max_response_bytes"):
            await s.request("DescribeRegions")
    assert 1 == len(srv.seen)


async def test_secret_never_reaches_logs_reprs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    """The secret key and token are absent from DEBUG logs, reprs and error texts."""
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    async with (
        ScriptedServer([Reply(503), ec2_error("AuthFailure", "denied", 403)]) as srv,
        session(srv.url) as s,
    ):
        texts += [repr(s), str(s), repr(CREDS), str(CREDS)]
        with pytest.raises(EC2APIError) as caught:
            await s.request("DescribeRegions", {"Note": "hello"})
        texts += [str(caught.value), repr(caught.value)]
    texts.append(caplog.text)
    joined = "\n".join(texts)
    assert "DescribeRegions" in caplog.text  # the log did record the call
    assert SECRET not in joined
    assert TOKEN not in joined


def test_missing_region_is_a_clear_configuration_error() -> None:
    """With no region anywhere, Session() says where a region can come from."""
    with pytest.raises(ConfigurationError, match="AWS_REGION"):
        aioec2.Session(credentials=CREDS)


@pytest.mark.parametrize(
    "url",
    ["ec2.example.com", "ftp://ec2.example.com", "http://", "http://host:99999/", "http://h/?a=1"],
)
def test_malformed_endpoint_is_a_clear_configuration_error(url: str) -> None:
    """A malformed endpoint_url is refused before anything is sent, naming the URL."""
    with pytest.raises(ConfigurationError, match="malformed endpoint URL"):
        aioec2.Session(region="us-east-1", endpoint_url=url, credentials=CREDS)


def test_region_and_endpoint_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_REGION and AWS_ENDPOINT_URL_EC2 are honoured when no argument is given."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_REGION", "cn-north-1")
    s = aioec2.Session(credentials=CREDS)
    assert ("cn-north-1", "https://ec2.cn-north-1.amazonaws.com.cn/") == (s.region, s.endpoint_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://generic.local:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", "http://ec2.local:4566")
    assert "http://ec2.local:4566/" == aioec2.Session(credentials=CREDS).endpoint_url


def test_region_from_named_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A profile's region in the config file is used when no argument or variable names one."""
    config = tmp_path / "config"
    config.write_text("[default]\nregion = us-west-2\n[profile ops]\nregion = ap-south-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    assert "us-west-2" == aioec2.Session(credentials=CREDS).region
    assert "ap-south-1" == aioec2.Session(profile="ops", credentials=CREDS).region
    monkeypatch.setenv("AWS_PROFILE", "ops")
    assert "ap-south-1" == aioec2.Session(credentials=CREDS).region


def test_wrong_argument_types_are_refused() -> None:
    """Non-Config config, a non-signer signer and odd credentials are ConfigurationErrors."""
    with pytest.raises(ConfigurationError, match="config"):
        aioec2.Session(region="us-east-1", config={"max_connections": 1})  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="signer"):
        aioec2.Session(region="us-east-1", signer="sigv4")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="credentials"):
        aioec2.Session(region="us-east-1", credentials=("AKID", "secret"))  # type: ignore[arg-type]


async def test_request_rejects_bad_action_and_params_before_sending() -> None:
    """A malformed action name or non-mapping params fail before any request is sent."""
    async with ScriptedServer() as srv, session(srv.url) as s:
        with pytest.raises(ValueError, match="action"):
            await s.request("Describe Regions")
        with pytest.raises(TypeError, match="params"):
            await s.request("DescribeRegions", [("a", "b")])  # type: ignore[arg-type]
    assert [] == srv.seen


async def test_credentials_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no credentials argument the environment variables sign the request."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    async with (
        ScriptedServer() as srv,
        aioec2.Session(region="us-east-1", endpoint_url=srv.url) as s,
    ):
        await s.request("DescribeRegions")
    assert "Credential=AKIDFROMENV/" in srv.seen[0].headers["authorization"]


async def test_throttling_error_is_typed_when_retries_run_out() -> None:
    """Persistent throttling surfaces as ThrottlingError with EC2's code."""
    async with (
        ScriptedServer(default=ec2_error("RequestLimitExceeded", "slow", 503)) as srv,
        session(srv.url) as s,
    ):
        with pytest.raises(ThrottlingError) as caught:
            await s.request("DescribeRegions")
    assert "RequestLimitExceeded" == caught.value.code
    assert dict(parse_qsl(srv.seen[0].body.decode()))["Action"] == "DescribeRegions"


class HeaderSigner:
    """A user-written signer: adds a shared-secret header instead of a signature."""

    requires_credentials = False

    def __init__(self) -> None:
        self.calls: list[str] = []

    def sign(
        self,
        request: HttpRequest,
        *,
        credentials: aioec2.Credentials | None,
        region: str,
        now: datetime,
    ) -> HttpRequest:
        """Record the call and add the header."""
        self.calls.append(f"{region}@{now.tzinfo is not None}")
        return request.with_headers(("X-Gateway-Key", "k-123"))


async def test_user_written_signer_plugs_in() -> None:
    """A class with requires_credentials and sign() signs every request of the Session."""
    signer = HeaderSigner()
    assert isinstance(signer, Signer)
    async with (
        ScriptedServer([Reply(503)]) as srv,
        aioec2.Session(region="eu-west-1", endpoint_url=srv.url, signer=signer) as s,
    ):
        await s.request("DescribeRegions")
    assert ["k-123", "k-123"] == [seen.headers["x-gateway-key"] for seen in srv.seen]
    assert ["eu-west-1@True", "eu-west-1@True"] == signer.calls  # re-signed for the retry


async def test_adaptive_mode_retries_throttling_and_enables_the_rate_limiter() -> None:
    """With retry_mode='adaptive' a throttle switches the session-wide limiter on."""
    config = aioec2.Config(retry_mode="adaptive")
    async with (
        ScriptedServer([ec2_error("RequestLimitExceeded", "slow", 503)]) as srv,
        session(srv.url, config=config) as s,
    ):
        assert s._retry.rate_limiter is None  # created lazily by the first timed call
        await s.request("DescribeRegions")
        limiter = s._retry.rate_limiter
        assert limiter is not None
        assert limiter.enabled
        await asyncio.gather(*(s.request("DescribeRegions") for _ in range(5)))
    assert 7 == len(srv.seen)
