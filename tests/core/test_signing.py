"""Signers: the AWS SigV4 test suite, botocore as an oracle, the key cache and the protocol."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from unittest import mock
from urllib.parse import parse_qsl, quote

import attrs
import botocore.auth
import botocore.credentials
import pytest
from botocore.awsrequest import AWSRequest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioec2._core.request import HttpRequest
from aioec2._core.signing import sigv4_steps
from aioec2.credentials import Credentials
from aioec2.errors import ConfigurationError, CredentialsError
from aioec2.signers import AnonymousSigner, Signer, SigV2Signer, SigV4Signer
from tests.strategies import FORM_CONTENT_TYPE, credentials, ec2_requests, form_body, regions
from tests.vectors import VECTORS_DIR

if TYPE_CHECKING:
    from collections.abc import Iterator

# The fixed inputs of the AWS SigV4 test suite (botocore's tests/unit/auth/test_sigv4.py).
SUITE_DIR = VECTORS_DIR / "sigv4-testsuite"
SUITE_ACCESS_KEY = "AKIDEXAMPLE"
SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_TIME = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
SUITE_REGION = "us-east-1"
SUITE_SERVICE = "service"

# botocore's runner skips normalize-path/get-space and the three repeated-query-key cases;
# our signer passes them, so every case of the suite runs here.

ORACLE_SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None)

signing_times = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2099, 12, 31),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
)


def _suite_cases() -> list[Any]:
    if not SUITE_DIR.is_dir():
        reason = f"SigV4 test suite not found at {SUITE_DIR} (it lives in ../shared/vectors)"
        return [pytest.param("", marks=pytest.mark.skip(reason=reason), id="suite-missing")]
    names = sorted(
        path.parent.relative_to(SUITE_DIR).as_posix() for path in SUITE_DIR.rglob("*.req")
    )
    return [pytest.param(name, id=name) for name in names]


def _parse_raw_request(text: str) -> HttpRequest:
    """Turn a suite ``.req`` file into an HttpRequest: folded and repeated headers kept as sent."""
    head, _, body = text.partition("\n\n")
    request_line, *header_lines = head.rstrip("\n").split("\n")
    method, *target_parts, _version = request_line.split(" ")
    headers: list[tuple[str, str]] = []
    for line in header_lines:
        if line[:1] in (" ", "\t"):  # obsolete line folding continues the previous value
            name, value = headers.pop()
            headers.append((name, f"{value}\n{line}"))
        else:
            name, _, value = line.partition(":")
            headers.append((name, value))
    host = next(value for name, value in headers if name.lower() == "host")
    return HttpRequest(
        method=method,
        url=f"https://{host.strip()}{' '.join(target_parts)}",
        headers=tuple(headers),
        body=body.encode(),
    )


def _header_set(headers: tuple[tuple[str, str], ...], left_out: set[str]) -> list[tuple[str, str]]:
    return sorted(
        (name.lower(), " ".join(value.split()))
        for name, value in headers
        if name.lower() not in left_out
    )


def _botocore_credentials(creds: Credentials) -> botocore.credentials.Credentials:
    return botocore.credentials.Credentials(
        creds.access_key_id, creds.secret_access_key, creds.session_token
    )


@contextmanager
def _botocore_clock(now: datetime) -> Iterator[None]:
    """Freeze the clock of botocore's signers (the oracle only) at ``now``."""
    utc = now.astimezone(UTC)
    frozen_time = SimpleNamespace(strftime=time.strftime, gmtime=utc.utctimetuple)
    with (
        mock.patch("botocore.auth.get_current_datetime", return_value=utc.replace(tzinfo=None)),
        mock.patch("botocore.auth.time", frozen_time),
    ):
        yield


def _sample_request(**changes: Any) -> HttpRequest:
    sample = HttpRequest(
        method="POST",
        url="https://ec2.us-east-1.amazonaws.com/",
        headers=(("Content-Type", FORM_CONTENT_TYPE),),
        body=b"Action=DescribeRegions&Version=2016-11-15",
    )
    return attrs.evolve(sample, **changes)


class _HeaderSigner:
    """A user-written signer: it only stamps a static header."""

    requires_credentials = False

    def sign(
        self, request: HttpRequest, *, credentials: Credentials | None, region: str, now: datetime
    ) -> HttpRequest:
        return request.with_headers(("X-Api-Key", "static"))


# mypy checks here that a plain class attribute satisfies the protocol's read-only property.
_USER_SIGNER: Signer = _HeaderSigner()


# --- the AWS SigV4 test suite ------------------------------------------------------------


@pytest.mark.parametrize("case", _suite_cases())
def test_sigv4_testsuite(case: str) -> None:
    """SigV4Signer reproduces the suite's canonical request, string to sign and Authorization."""
    stem = SUITE_DIR / case / case.rsplit("/", 1)[-1]
    expected = {
        ext: stem.with_suffix(ext).read_text("utf-8").replace("\r", "")
        for ext in (".creq", ".sts", ".authz", ".sreq")
    }
    request = _parse_raw_request(stem.with_suffix(".req").read_text("utf-8"))
    # As botocore's runner does: a token is signed exactly when the canonical request holds
    # one. post-sts-header-after adds its token after signing, so it is signed without one.
    match = re.search(r"^x-amz-security-token:(.*)$", expected[".creq"], re.MULTILINE)
    token = match.group(1) if match else None

    steps = sigv4_steps(
        request, region=SUITE_REGION, service=SUITE_SERVICE, now=SUITE_TIME, session_token=token
    )
    signed = SigV4Signer(service=SUITE_SERVICE).sign(
        request,
        credentials=Credentials(SUITE_ACCESS_KEY, SUITE_SECRET, token),
        region=SUITE_REGION,
        now=SUITE_TIME,
    )

    assert expected[".creq"] == steps.canonical_request
    assert expected[".sts"] == steps.string_to_sign
    assert expected[".authz"] == signed.header("Authorization")
    # The other headers of .sreq are sent too. Authorization was checked against .authz just
    # above (get-vanilla-with-session-token's .sreq quotes a garbled signature); the token of
    # post-sts-header-after is added after signing, which is not the signer's doing.
    left_out = {"authorization"} if token else {"authorization", "x-amz-security-token"}
    sreq = _parse_raw_request(expected[".sreq"]).headers
    assert _header_set(sreq, left_out) == _header_set(signed.headers, left_out)


def test_sigv4_documented_example() -> None:
    """The IAM ListUsers example of the AWS SigV4 documentation signs to its published value."""
    request = HttpRequest(
        method="GET",
        url="https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
        headers=(("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),),
    )

    signed = SigV4Signer(service="iam").sign(
        request,
        credentials=Credentials(SUITE_ACCESS_KEY, SUITE_SECRET),
        region="us-east-1",
        now=SUITE_TIME,
    )

    assert (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request,"
        " SignedHeaders=content-type;host;x-amz-date,"
        " Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    ) == signed.header("Authorization")


# --- botocore as the oracle ----------------------------------------------------------------


@ORACLE_SETTINGS
@given(drawn=ec2_requests(), creds=credentials, region=regions, now=signing_times)
def test_sigv4_matches_botocore(
    drawn: tuple[str, list[tuple[str, str]], dict[str, str]],
    creds: Credentials,
    region: str,
    now: datetime,
) -> None:
    """SigV4Signer signs a generated EC2 request exactly as botocore's SigV4Auth does."""
    url, headers, params = drawn
    body = form_body(params)
    oracle = AWSRequest(method="POST", url=url, data=body)
    for name, value in headers:
        oracle.headers[name] = value
    with _botocore_clock(now):
        botocore.auth.SigV4Auth(_botocore_credentials(creds), "ec2", region).add_auth(oracle)

    signed = SigV4Signer().sign(
        HttpRequest(method="POST", url=url, headers=tuple(headers), body=body),
        credentials=creds,
        region=region,
        now=now,
    )

    assert oracle.headers["Authorization"] == signed.header("Authorization")
    assert oracle.headers["X-Amz-Date"] == signed.header("X-Amz-Date")
    assert oracle.headers["X-Amz-Security-Token"] == signed.header("X-Amz-Security-Token")
    assert (oracle.headers["Host"] or botocore.auth._host_from_url(url)) == signed.header("Host")
    assert body == signed.body


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param((("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"),), id="payload-hash-header"),
        pytest.param(
            (
                ("X-Amz-Date", "19991231T235959Z"),
                ("X-Amz-Security-Token", "stale-token"),
                ("Authorization", "AWS4-HMAC-SHA256 Credential=stale"),
            ),
            id="resign-earlier-attempt",
        ),
    ],
)
def test_sigv4_special_headers_match_botocore(extra: tuple[tuple[str, str], ...]) -> None:
    """X-Amz-Content-SHA256 and the headers of an earlier attempt are handled as botocore does."""
    request = _sample_request().with_headers(*extra)
    creds = Credentials("AKIDEXAMPLE", SUITE_SECRET, "fresh-token")
    oracle = AWSRequest(method="POST", url=request.url, data=request.body)
    for name, value in request.headers:
        oracle.headers[name] = value
    with _botocore_clock(SUITE_TIME):
        botocore.auth.SigV4Auth(_botocore_credentials(creds), "ec2", "us-east-1").add_auth(oracle)

    signed = SigV4Signer().sign(request, credentials=creds, region="us-east-1", now=SUITE_TIME)

    assert sorted((n.lower(), v) for n, v in oracle.headers.items()) == sorted(
        (n.lower(), v) for n, v in signed.headers if n.lower() != "host"
    )


@ORACLE_SETTINGS
@given(drawn=ec2_requests(), creds=credentials, now=signing_times)
def test_sigv2_matches_botocore(
    drawn: tuple[str, list[tuple[str, str]], dict[str, str]], creds: Credentials, now: datetime
) -> None:
    """SigV2Signer adds the same auth parameters and signature as botocore's SigV2Auth."""
    url, headers, params = drawn
    # botocore signs the URL's netloc and ignores a Host header; ours signs a Host header when
    # one is given (see test_sigv2_signs_the_host_header_it_sends), so none is given here.
    headers = [(name, value) for name, value in headers if name.lower() != "host"]
    oracle = AWSRequest(method="POST", url=url, data=dict(params))
    with _botocore_clock(now):
        botocore.auth.SigV2Auth(_botocore_credentials(creds)).add_auth(oracle)

    signed = SigV2Signer().sign(
        HttpRequest(method="POST", url=url, headers=tuple(headers), body=form_body(params)),
        credentials=creds,
        region="us-east-1",
        now=now,
    )

    assert oracle.data == dict(parse_qsl(signed.body.decode(), keep_blank_values=True))


def test_sigv2_known_answer() -> None:
    """SigV2Signer's signature is the HMAC-SHA256 of the string to sign written out by hand."""
    request = _sample_request(
        url="https://ec2.amazonaws.com/",
        body=b"Action=DescribeRegions&Version=2016-11-15&RegionName.1=eu%20west~1",
    )
    # METHOD, host, path, then the parameters sorted by name, values escaped except "-_.~".
    string_to_sign = (
        "POST\nec2.amazonaws.com\n/\n"
        "AWSAccessKeyId=AKIDEXAMPLE&Action=DescribeRegions&RegionName.1=eu%20west~1"
        "&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2011-10-03T15%3A19%3A30Z"
        "&Version=2016-11-15"
    )
    mac = hmac.new(b"secret/key+", string_to_sign.encode(), hashlib.sha256).digest()
    signature = quote(base64.b64encode(mac).decode(), safe="")

    signed = SigV2Signer().sign(
        request,
        credentials=Credentials("AKIDEXAMPLE", "secret/key+"),
        region="us-east-1",
        now=datetime(2011, 10, 3, 15, 19, 30, 999, tzinfo=UTC),
    )

    assert (
        b"Action=DescribeRegions&Version=2016-11-15&RegionName.1=eu%20west~1"
        b"&AWSAccessKeyId=AKIDEXAMPLE&SignatureVersion=2&SignatureMethod=HmacSHA256"
        b"&Timestamp=2011-10-03T15%3A19%3A30Z&Signature=" + signature.encode()
    ) == signed.body
    assert "ec2.amazonaws.com" == signed.header("Host")


def test_sigv2_resigning_replaces_earlier_auth_parameters() -> None:
    """Signing a SigV2-signed request again equals signing the original at the new time."""
    signer = SigV2Signer()
    creds = Credentials("AKIDEXAMPLE", SUITE_SECRET, "token")
    request = _sample_request(headers=(("Content-Length", "41"),))
    later = SUITE_TIME + timedelta(minutes=5)

    first = signer.sign(request, credentials=creds, region="us-east-1", now=SUITE_TIME)
    again = signer.sign(first, credentials=creds, region="us-east-1", now=later)

    assert signer.sign(request, credentials=creds, region="us-east-1", now=later) == again
    assert str(len(again.body)) == again.header("Content-Length")


def test_sigv2_signs_the_host_header_it_sends() -> None:
    """A Host header given with the request is the host SigV2 signs, so what is sent matches."""
    creds = Credentials("AKIDEXAMPLE", SUITE_SECRET)
    via_url = SigV2Signer().sign(
        _sample_request(url="http://ec2.internal:8773/"),
        credentials=creds,
        region="us-east-1",
        now=SUITE_TIME,
    )
    via_header = SigV2Signer().sign(
        _sample_request(url="http://10.0.0.1:8773/").with_headers(("Host", "ec2.internal:8773")),
        credentials=creds,
        region="us-east-1",
        now=SUITE_TIME,
    )

    assert via_url.body == via_header.body


# --- the derived-key cache -----------------------------------------------------------------


def test_signing_key_is_derived_once_per_day_region_and_service() -> None:
    """Repeated signs reuse the derived key; a new date, region or secret derives a new one."""
    signer = SigV4Signer()
    creds = Credentials("AKIDEXAMPLE", SUITE_SECRET)
    request = _sample_request()

    for minute in range(5):
        signer.sign(
            request, credentials=creds, region="us-east-1", now=SUITE_TIME.replace(minute=minute)
        )
    after_one_day = signer.cache_info()
    signer.sign(request, credentials=creds, region="us-east-1", now=SUITE_TIME + timedelta(days=1))
    signer.sign(request, credentials=creds, region="eu-west-1", now=SUITE_TIME)
    signer.sign(
        request, credentials=Credentials("AKID2", "other"), region="us-east-1", now=SUITE_TIME
    )

    assert (4, 1) == (after_one_day.hits, after_one_day.misses)
    assert (4, 4, 4) == (*signer.cache_info()[:2], signer.cache_info().currsize)


def test_signing_key_cache_is_bounded_and_stays_correct() -> None:
    """The cache keeps at most maxsize keys, and a cached key signs as a freshly derived one."""
    signer = SigV4Signer()
    creds = Credentials("AKIDEXAMPLE", SUITE_SECRET)
    request = _sample_request()
    for day in range(20):
        signer.sign(
            request, credentials=creds, region="us-east-1", now=SUITE_TIME + timedelta(days=day)
        )

    cached = signer.sign(
        request, credentials=creds, region="us-east-1", now=SUITE_TIME + timedelta(days=19)
    )
    fresh = SigV4Signer().sign(
        request, credentials=creds, region="us-east-1", now=SUITE_TIME + timedelta(days=19)
    )

    assert signer.cache_info().maxsize == signer.cache_info().currsize
    assert (1, 20) == (signer.cache_info().hits, signer.cache_info().misses)
    assert fresh == cached


# --- the protocol, credentials and secrets -------------------------------------------------


@pytest.mark.parametrize("signer", [SigV4Signer(), SigV2Signer(), AnonymousSigner(), _USER_SIGNER])
def test_signers_satisfy_the_protocol(signer: object) -> None:
    """The shipped signers and a user-written class all pass isinstance(x, Signer)."""
    assert isinstance(signer, Signer)


def test_anonymous_signer_adds_nothing() -> None:
    """AnonymousSigner needs no credentials and returns the request without Authorization."""
    request = _sample_request()

    signed = AnonymousSigner().sign(request, credentials=None, region="us-east-1", now=SUITE_TIME)

    assert (False, request, None) == (
        AnonymousSigner.requires_credentials,
        signed,
        signed.header("Authorization"),
    )


@pytest.mark.parametrize("signer", [SigV4Signer(), SigV2Signer()])
def test_missing_credentials_raise_credentials_error(signer: Signer) -> None:
    """A signer that needs credentials raises CredentialsError, naming itself, when given none."""
    assert signer.requires_credentials
    with pytest.raises(CredentialsError, match=type(signer).__name__):
        signer.sign(_sample_request(), credentials=None, region="us-east-1", now=SUITE_TIME)


@pytest.mark.parametrize("signer", [SigV4Signer(), SigV2Signer()])
def test_naive_time_is_rejected(signer: Signer) -> None:
    """A naive datetime is a ConfigurationError, not a silently wrong timestamp."""
    with pytest.raises(ConfigurationError, match="aware"):
        signer.sign(
            _sample_request(),
            credentials=Credentials("AKIDEXAMPLE", SUITE_SECRET),
            region="us-east-1",
            now=datetime(2015, 8, 30, 12, 36),
        )


def test_reprs_show_no_secret() -> None:
    """After signing, the signers' reprs and cache statistics show neither secret nor token."""
    creds = Credentials("AKIDEXAMPLE", SUITE_SECRET, "session-token-value")
    sigv4 = SigV4Signer()
    signers: list[Signer] = [sigv4, SigV2Signer(), AnonymousSigner()]
    for signer in signers:
        signer.sign(_sample_request(), credentials=creds, region="us-east-1", now=SUITE_TIME)

    assert ["SigV4Signer(service='ec2')", "SigV2Signer()", "AnonymousSigner()"] == [
        repr(signer) for signer in signers
    ]
    assert "KeyCacheInfo(hits=0, misses=1, maxsize=8, currsize=1)" == repr(sigv4.cache_info())


@pytest.mark.parametrize("signer", [SigV4Signer(), SigV2Signer()])
def test_error_messages_show_no_secret(signer: Signer) -> None:
    """Neither the missing-credentials nor the naive-time error message quotes a secret."""
    creds = Credentials("AKIDEXAMPLE", SUITE_SECRET, "session-token-value")
    naive = datetime(2015, 8, 30, 12, 36)
    messages = []
    for credentials_given, now in ((None, SUITE_TIME), (creds, naive)):
        with pytest.raises((CredentialsError, ConfigurationError)) as info:
            signer.sign(_sample_request(), credentials=credentials_given, region="r", now=now)
        messages.append(str(info.value))

    assert [] == [m for m in messages if SUITE_SECRET in m or "session-token-value" in m]


# --- purity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("signer", [SigV4Signer(), SigV2Signer(), AnonymousSigner()])
def test_signing_leaves_the_input_unchanged(signer: Signer) -> None:
    """Signing returns a new request and the input stays equal to what it was."""
    request = _sample_request(headers=(("Content-Type", FORM_CONTENT_TYPE), ("X-Amz-Date", "x")))
    snapshot = HttpRequest(
        method=request.method, url=request.url, headers=request.headers, body=request.body
    )

    signer.sign(
        request,
        credentials=Credentials("AKIDEXAMPLE", SUITE_SECRET, "token"),
        region="us-east-1",
        now=SUITE_TIME,
    )

    assert snapshot == request
