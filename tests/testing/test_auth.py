"""Signature checks: SigV4 and SigV2 requests signed by aioec2's signers, good and bad."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import attrs
import pytest

from aioec2 import Credentials
from aioec2._core.query import build_body
from aioec2._core.request import HttpRequest
from aioec2.signers import SigV2Signer, SigV4Signer
from aioec2.testing import EC2State, Faults
from aioec2.testing._auth import RawRequest
from aioec2.testing._service import Outcome, Service

GOOD = Credentials("AKIDFAKEEC2TEST", "the-right-secret")
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def unsigned(url: str = "http://127.0.0.1:8080/") -> HttpRequest:
    """A DescribeRegions POST as the Session sends it, before signing."""
    body = build_body("DescribeRegions", [], version="2016-11-15")
    headers = (("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),)
    return HttpRequest(method="POST", url=url, headers=headers, body=body)


def received(request: HttpRequest) -> RawRequest:
    """The request as the fake's front hands it over."""
    parts = urlsplit(request.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    params.update(parse_qsl(request.body.decode(), keep_blank_values=True))
    headers = request.headers
    if request.header("host") is None:
        headers = (*headers, ("Host", parts.netloc))
    return RawRequest(
        method=request.method, path=path, headers=headers, body=request.body, params=params
    )


def sigv4(
    credentials: Credentials, request: HttpRequest | None = None, region: str = "us-east-1"
) -> HttpRequest:
    """``request`` signed with SigV4."""
    return SigV4Signer().sign(
        request or unsigned(), credentials=credentials, region=region, now=NOW
    )


def sigv2(credentials: Credentials) -> HttpRequest:
    """The DescribeRegions request signed with SigV2."""
    return SigV2Signer().sign(unsigned(), credentials=credentials, region="us-east-1", now=NOW)


@pytest.fixture
def serve(state: EC2State) -> Callable[..., Outcome]:
    """Serve one request through a service that demands GOOD credentials."""

    def handle(request: HttpRequest, **settings: object) -> Outcome:
        options = {"credentials": GOOD, **settings}
        service = Service(state, faults=Faults(), **options)  # type: ignore[arg-type]
        return service.handle(received(request))

    return handle


def test_good_sigv4_is_accepted(serve: Callable[..., Outcome]) -> None:
    """A request SigV4-signed with the right secret is served."""
    outcome = serve(sigv4(GOOD))
    assert (200, "OK") == (outcome.status, outcome.code)


def test_sigv4_with_a_query_string_is_accepted(serve: Callable[..., Outcome]) -> None:
    """The raw query string takes part in the signature and is rebuilt correctly."""
    request = unsigned("http://127.0.0.1:8080/?Extra=a%20b&Z=1")
    assert "OK" == serve(sigv4(GOOD, request)).code


def test_wrong_secret_does_not_match(serve: Callable[..., Outcome]) -> None:
    """A SigV4 signature made with another secret answers 403 SignatureDoesNotMatch."""
    outcome = serve(sigv4(Credentials(GOOD.access_key_id, "a-wrong-secret")))
    assert (403, "SignatureDoesNotMatch") == (outcome.status, outcome.code)
    assert b"canonical string" in outcome.body


def test_tampered_body_does_not_match(serve: Callable[..., Outcome]) -> None:
    """A body changed after signing answers SignatureDoesNotMatch."""
    signed = sigv4(GOOD)
    tampered = attrs.evolve(signed, body=signed.body.replace(b"DescribeRegions", b"DescribeImages"))
    assert "SignatureDoesNotMatch" == serve(tampered).code


def test_unknown_access_key_is_an_auth_failure(serve: Callable[..., Outcome]) -> None:
    """Another access key id answers 401 AuthFailure, as EC2 does."""
    outcome = serve(sigv4(Credentials("AKIDSOMEONEELSE", GOOD.secret_access_key)))
    assert (401, "AuthFailure") == (outcome.status, outcome.code)


def test_scope_must_name_the_fakes_region(serve: Callable[..., Outcome]) -> None:
    """A signature scoped to another region answers SignatureDoesNotMatch."""
    assert "SignatureDoesNotMatch" == serve(sigv4(GOOD, region="eu-west-1")).code


def test_anonymous_is_refused_unless_allowed(serve: Callable[..., Outcome]) -> None:
    """An unsigned request answers AuthFailure, unless allow_anonymous is set."""
    refused = serve(unsigned())
    assert (401, "AuthFailure") == (refused.status, refused.code)
    assert "OK" == serve(unsigned(), allow_anonymous=True).code


def test_without_credentials_anything_goes(serve: Callable[..., Outcome]) -> None:
    """With no credentials configured, even a wrongly signed request is served."""
    assert "OK" == serve(sigv4(Credentials("x", "y")), credentials=None).code


def test_good_sigv2_is_accepted(serve: Callable[..., Outcome]) -> None:
    """A request SigV2-signed in the form with the right secret is served."""
    assert "OK" == serve(sigv2(GOOD)).code


def test_bad_sigv2_does_not_match(serve: Callable[..., Outcome]) -> None:
    """A SigV2 signature made with another secret answers SignatureDoesNotMatch."""
    assert "SignatureDoesNotMatch" == serve(sigv2(Credentials(GOOD.access_key_id, "nope"))).code


def test_session_token_must_match(state: EC2State) -> None:
    """With a session token configured, the request must carry (and sign) the same one."""
    with_token = Credentials(GOOD.access_key_id, GOOD.secret_access_key, "token-1")
    service = Service(state, faults=Faults(), credentials=with_token)
    assert "OK" == service.handle(received(sigv4(with_token))).code
    other = Credentials(GOOD.access_key_id, GOOD.secret_access_key, "token-2")
    assert "AuthFailure" == service.handle(received(sigv4(other))).code
