"""FakeEC2 over HTTP: the wire format, error statuses, faults, throttling, auth, fixtures."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest

import aioec2
from aioec2.errors import (
    AuthError,
    DryRunOperation,
    EC2APIError,
    InvalidParameterError,
    NotFoundError,
    RequestTimeoutError,
    ThrottlingError,
)
from aioec2.testing import FakeEC2, VirtualClock, set_testing

CREDS = aioec2.Credentials("AKIDANYTHING", "any-secret")
FEDORA = "ami-5bb65932"


def session(fake: FakeEC2, **settings: object) -> aioec2.Session:
    """A Session against ``fake``, signing with its credentials when it has some."""
    config = aioec2.Config(**settings) if settings else None  # type: ignore[arg-type]
    return aioec2.Session(
        region="us-east-1",
        endpoint_url=fake.url,
        credentials=fake.credentials or CREDS,
        config=config,
    )


@pytest.fixture(autouse=True)
def _no_backoff() -> object:
    """Retries happen at once in these tests."""
    with set_testing(True):
        yield


async def test_answers_are_ec2_xml() -> None:
    """Answers (to POST and GET) carry EC2's namespace, requestId and items; errors the envelope."""
    async with FakeEC2(seed=1) as fake, aiohttp.ClientSession() as client:
        async with client.post(
            fake.url, data={"Action": "DescribeRegions", "Version": "2016-11-15"}
        ) as resp:
            ok = (resp.status, resp.headers["Content-Type"], await resp.text())
        async with client.get(fake.url, params={"Action": "DescribeAvailabilityZones"}) as resp:
            by_get = (resp.status, await resp.text())
        async with client.get(fake.url, params={"Action": "Nope"}) as resp:
            bad = (resp.status, await resp.text())
    assert (200, "text/xml;charset=UTF-8") == ok[:2]
    assert '<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">' in ok[2]
    assert re.search(r"<requestId>[0-9a-f-]{36}</requestId>", ok[2])
    assert "<regionInfo><item><regionName>" in ok[2]
    assert (200, True) == (by_get[0], "<zoneName>us-east-1a</zoneName>" in by_get[1])
    assert 400 == bad[0]
    assert re.fullmatch(
        r'<\?xml version="1.0" encoding="UTF-8"\?>\n<Response><Errors><Error>'
        r"<Code>InvalidAction</Code><Message>.+</Message></Error></Errors>"
        r"<RequestID>[0-9a-f-]{36}</RequestID></Response>",
        bad[1],
    )


async def test_session_sees_ec2_errors_with_codes_and_statuses() -> None:
    """NotFound, dry run and unknown actions reach the Session as EC2APIError subclasses."""
    async with FakeEC2() as fake, session(fake) as s:
        with pytest.raises(NotFoundError) as missing:
            await s.request("TerminateInstances", {"InstanceId": ["i-0123456789abcdef0"]})
        with pytest.raises(DryRunOperation) as dry:
            await s.request(
                "RunInstances", {"ImageId": FEDORA, "MinCount": 1, "MaxCount": 1, "DryRun": True}
            )
        with pytest.raises(InvalidParameterError) as invalid:
            await s.request("LaunchRockets")
    assert ("InvalidInstanceID.NotFound", 400) == (missing.value.code, missing.value.status)
    assert missing.value.request_id
    assert ("DryRunOperation", 412) == (dry.value.code, dry.value.status)
    assert "InvalidAction" == invalid.value.code


async def test_instances_boot_in_real_time(fake_ec2: FakeEC2, ec2_session: aioec2.Session) -> None:
    """With the fixture's tiny boot time an instance is running a few polls after launch."""
    ran = await ec2_session.request(
        "RunInstances", {"ImageId": FEDORA, "MinCount": 2, "MaxCount": 2}
    )
    assert {"pending"} == {i["instanceState"]["name"] for i in ran["instancesSet"]}
    ids = [i["instanceId"] for i in ran["instancesSet"]]
    for _ in range(50):
        found = await ec2_session.request("DescribeInstances", {"InstanceId": ids})
        names = {
            i["instanceState"]["name"] for r in found["reservationSet"] for i in r["instancesSet"]
        }
        if names == {"running"}:
            break
        await asyncio.sleep(0.01)
    assert {"running"} == names


@pytest.mark.fake_ec2(consistency_lag=30.0, clock=VirtualClock())
async def test_marker_configures_the_fixture(
    fake_ec2: FakeEC2, ec2_session: aioec2.Session
) -> None:
    """@pytest.mark.fake_ec2 passes its settings to the fixture's FakeEC2."""
    ran = await ec2_session.request(
        "RunInstances", {"ImageId": FEDORA, "MinCount": 1, "MaxCount": 1}
    )
    assert [] == (await ec2_session.request("DescribeInstances"))["reservationSet"]
    fake_ec2.clock.advance(30)  # type: ignore[attr-defined]
    found = await ec2_session.request("DescribeInstances")
    assert ran["reservationId"] == found["reservationSet"][0]["reservationId"]


async def test_lost_answer_is_retried_with_the_same_token() -> None:
    """After drop_after the Session retries; the ClientToken makes it one launch, not two."""
    async with FakeEC2(seed=3) as fake, session(fake) as s:
        fake.faults.add(kind="drop_after", action="RunInstances")
        ran = await s.request(
            "RunInstances", {"ImageId": FEDORA, "MinCount": 1, "MaxCount": 1, "ClientToken": "once"}
        )
        described = await s.request("DescribeInstances")
    assert [ran["reservationId"]] == [r["reservationId"] for r in described["reservationSet"]]
    assert ["ConnectionDropped", "OK"] == [
        r.code for r in fake.requests if r.action == "RunInstances"
    ]


async def test_server_errors_are_retried() -> None:
    """Scripted 500 and 503 answers are retried by the Session until a success."""
    async with FakeEC2() as fake, session(fake) as s:
        fake.faults.add(kind="internal_error", action="DescribeRegions")
        fake.faults.add(kind="unavailable", action="DescribeRegions")
        answer = await s.request("DescribeRegions")
    assert answer["regionInfo"]
    assert [(500, "InternalError"), (503, "Unavailable"), (200, "OK")] == [
        (r.status, r.code) for r in fake.requests
    ]


async def test_delay_outlasts_a_short_read_timeout() -> None:
    """A delayed answer trips the client's read timeout though the action took effect."""
    async with FakeEC2() as fake, session(fake, read_timeout=0.05, max_attempts=1) as s:
        fake.faults.add(kind="delay", action="CreateSecurityGroup", seconds=0.3)
        with pytest.raises(RequestTimeoutError):
            await s.request("CreateSecurityGroup", {"GroupName": "slow", "GroupDescription": "s"})
        groups = await s.request("DescribeSecurityGroups", {"GroupName": ["slow"]})
    assert ["slow"] == [g["groupName"] for g in groups["securityGroupInfo"]]


async def test_throttling_reaches_the_session() -> None:
    """With throttle=True an exhausted bucket answers 503 RequestLimitExceeded."""
    limits = {"DescribeRegions": (2.0, 0.001)}
    async with (
        FakeEC2(throttle=True, throttle_limits=limits) as fake,
        session(fake, max_attempts=1) as s,
    ):
        await s.request("DescribeRegions")
        await s.request("DescribeRegions")
        with pytest.raises(ThrottlingError) as caught:
            await s.request("DescribeRegions")
    assert ("RequestLimitExceeded", 503) == (caught.value.code, caught.value.status)


async def test_signed_sessions_pass_and_wrong_secrets_fail() -> None:
    """With generated credentials a SigV4 or SigV2 Session is served; a wrong secret is not."""
    async with FakeEC2(credentials=True) as fake:
        assert fake.credentials is not None
        async with session(fake) as good:
            assert (await good.request("DescribeRegions"))["regionInfo"]
        sigv2 = aioec2.Session(
            region="us-east-1",
            endpoint_url=fake.url,
            credentials=fake.credentials,
            signer=aioec2.signers.SigV2Signer(),
        )
        async with sigv2:
            assert (await sigv2.request("DescribeRegions"))["regionInfo"]
        wrong = aioec2.Credentials(fake.credentials.access_key_id, "wrong")
        async with aioec2.Session(
            region="us-east-1", endpoint_url=fake.url, credentials=wrong
        ) as bad:
            with pytest.raises(AuthError) as caught:
                await bad.request("DescribeRegions")
    assert ("SignatureDoesNotMatch", 403) == (caught.value.code, caught.value.status)


async def test_url_before_start_is_an_error() -> None:
    """Reading url before the fake serves is a clear error, and close() is idempotent."""
    fake = FakeEC2()
    with pytest.raises(RuntimeError, match="not serving"):
        _ = fake.url
    await fake.close()
    async with fake:
        assert fake.url.startswith("http://127.0.0.1:")
    await fake.close()


async def test_counters_reset() -> None:
    """calls counts requests per action; reset_counters clears it and the request log."""
    async with FakeEC2() as fake, session(fake) as s:
        await s.request("DescribeRegions")
        await s.request("DescribeAvailabilityZones")
        await s.request("DescribeRegions")
        assert {"DescribeRegions": 2, "DescribeAvailabilityZones": 1} == dict(fake.calls)
        fake.reset_counters()
        assert ({}, []) == (dict(fake.calls), fake.requests)


async def test_errors_are_ec2_api_errors() -> None:
    """Every error the fake sends parses as an EC2APIError, with EC2's code."""
    async with FakeEC2() as fake, session(fake) as s:
        with pytest.raises(EC2APIError) as caught:
            await s.request("CreateSecurityGroup", {"GroupName": "sg-bad", "GroupDescription": "x"})
    assert "InvalidParameterValue" == caught.value.code


async def test_plugin_session_waits_quickly(fake_ec2: FakeEC2, ec2_session: aioec2.Session) -> None:
    """The plugin's session polls fast enough that a wait costs a few ticks, not seconds."""
    image = (await ec2_session.describe_images(owners=["amazon"]))[0]
    reservation = await image.run()
    instance = await reservation.instances[0].wait_until("running", timeout=5)
    assert "running" == instance.state
    assert 0.02 == ec2_session.config.poll_min_interval
    assert 1 <= fake_ec2.calls["DescribeInstances"] <= 20
