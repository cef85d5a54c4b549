"""
Checking request signatures, SigV4 (``Authorization`` header) and SigV2 (form fields).

What the client signed is rebuilt from the raw request (method, path, raw query string,
the headers it lists as signed, the body bytes) and signed again with aioec2's own signers'
canonical-request logic; the two signatures must agree.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

import attrs

from aioec2._core.request import HttpRequest
from aioec2._core.signing import SigV4Signer, sigv4_steps
from aioec2.credentials import Credentials
from aioec2.testing._model import FakeError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["RawRequest", "authenticate"]

_SIGV4 = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+)\s*,\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*Signature=(?P<signature>[0-9a-f]+)\s*"
)
_SIGV2_METHODS = {"HmacSHA256": hashlib.sha256, "HmacSHA1": hashlib.sha1}
_NOT_VALIDATED = "AWS was not able to validate the provided access credentials"


@attrs.frozen(kw_only=True)
class RawRequest:
    """
    A request as it arrived, before any interpretation.

    Attributes:
        method: ``"POST"`` or ``"GET"``.
        path: the path and raw query string exactly as sent (``/?Action=...``).
        headers: ``(name, value)`` pairs in the order received.
        body: the body bytes.
        params: the decoded query-string and form parameters.
    """

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    params: Mapping[str, str]

    def header(self, name: str) -> str | None:
        """Return the first value of header ``name`` (case-insensitive), or None."""
        lname = name.lower()
        return next((value for key, value in self.headers if key.lower() == lname), None)


def authenticate(
    request: RawRequest, credentials: Credentials | None, *, region: str, allow_anonymous: bool
) -> None:
    """
    Check the request's signature against ``credentials``.

    Args:
        request: the request as received.
        credentials: the only credentials accepted; None accepts every request.
        region: the region the fake serves; a SigV4 scope must name it.
        allow_anonymous: accept unsigned requests even when credentials are set.

    Raises:
        FakeError: ``AuthFailure`` (401) for unknown keys, tokens or unsigned requests,
            ``SignatureDoesNotMatch`` (403) for a wrong signature, ``IncompleteSignature``
            for a malformed one.
    """
    if credentials is None:
        return
    authorization = request.header("authorization")
    if authorization is not None:
        _check_sigv4(request, authorization, credentials, region)
    elif "AWSAccessKeyId" in request.params or "Signature" in request.params:
        _check_sigv2(request, credentials)
    elif not allow_anonymous:
        raise FakeError("AuthFailure", f"{_NOT_VALIDATED}: the request is not signed")


def _mismatch(detail: str = "") -> FakeError:
    message = (
        "The request signature we calculated does not match the signature you provided."
        " Check your AWS Secret Access Key and signing method."
    )
    return FakeError("SignatureDoesNotMatch", f"{message}{detail}")


def _check_token(given: str | None, credentials: Credentials) -> None:
    if credentials.session_token and not hmac.compare_digest(
        (given or "").encode(), credentials.session_token.encode()
    ):
        raise FakeError("AuthFailure", "The security token included in the request is invalid.")


def _check_sigv4(
    request: RawRequest, authorization: str, credentials: Credentials, region: str
) -> None:
    match = _SIGV4.fullmatch(authorization.strip())
    if match is None:
        raise FakeError(
            "IncompleteSignature",
            f"Authorization header is not AWS4-HMAC-SHA256: {authorization[:40]!r}",
        )
    parts = match["credential"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise FakeError("IncompleteSignature", f"Credential is malformed: {match['credential']!r}")
    key_id, _date, scope_region, service, _terminal = parts
    if not hmac.compare_digest(key_id.encode(), credentials.access_key_id.encode()):
        raise FakeError("AuthFailure", _NOT_VALIDATED)
    if service != "ec2":
        raise _mismatch(f" Credential should be scoped to correct service: 'ec2', not {service!r}.")
    if scope_region != region:
        raise _mismatch(f" Credential should be scoped to a valid region, not {scope_region!r}.")
    _check_token(request.header("x-amz-security-token"), credentials)
    amz_date = request.header("x-amz-date")
    try:
        now = datetime.strptime(amz_date or "", "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise FakeError(
            "IncompleteSignature", "Authorization header requires an 'X-Amz-Date' header."
        ) from None
    signed = set(match["signed"].split(";"))
    headers = tuple((name, value) for name, value in request.headers if name.lower() in signed)
    claimed_hash = request.header("x-amz-content-sha256")
    if (
        claimed_hash not in (None, "UNSIGNED-PAYLOAD")
        and claimed_hash != hashlib.sha256(request.body).hexdigest()
    ):
        raise _mismatch(" The payload hash does not match the body.")
    host = request.header("host") or ""
    unsigned = HttpRequest(
        method=request.method,
        url=f"http://{host}{request.path}",
        headers=headers,
        body=request.body,
    )
    # Sign the rebuilt request again (without a token: a signed token header is kept as sent).
    check = Credentials(credentials.access_key_id, credentials.secret_access_key)
    resigned = SigV4Signer(service="ec2").sign(unsigned, credentials=check, region=region, now=now)
    expected = (resigned.header("authorization") or "").rpartition("Signature=")[2]
    if not hmac.compare_digest(expected.encode(), match["signature"].encode()):
        steps = sigv4_steps(unsigned, region=region, service="ec2", now=now)
        raise _mismatch(
            f" The canonical string for this request should have been '{steps.canonical_request}'"
        )


def _escape(text: str) -> str:
    return quote(text.encode(), safe="-_.~")


def _check_sigv2(request: RawRequest, credentials: Credentials) -> None:
    params = request.params
    key_id = params.get("AWSAccessKeyId", "")
    if not hmac.compare_digest(key_id.encode(), credentials.access_key_id.encode()):
        raise FakeError("AuthFailure", _NOT_VALIDATED)
    if params.get("SignatureVersion") != "2":
        raise FakeError("AuthFailure", "Only SignatureVersion 2 is accepted in the form")
    digest = _SIGV2_METHODS.get(params.get("SignatureMethod", ""))
    if digest is None or "Signature" not in params:
        raise FakeError("IncompleteSignature", "SignatureMethod must be HmacSHA256 or HmacSHA1")
    _check_token(params.get("SecurityToken"), credentials)
    # https://docs.aws.amazon.com/AWSEC2/latest/devguide/query-api-signing-v2.html (legacy):
    # METHOD \n host \n path \n name=value pairs sorted by name, RFC 3986 escaped.
    query = "&".join(
        f"{_escape(name)}={_escape(value)}"
        for name, value in sorted(params.items(), key=lambda item: item[0].encode())
        if name != "Signature"
    )
    path = request.path.partition("?")[0] or "/"
    host = request.header("host") or ""
    string_to_sign = f"{request.method}\n{host}\n{path}\n{query}"
    mac = hmac.new(credentials.secret_access_key.encode(), string_to_sign.encode(), digest)
    expected = base64.b64encode(mac.digest()).decode()
    if not hmac.compare_digest(expected.encode(), params["Signature"].encode()):
        raise _mismatch()
