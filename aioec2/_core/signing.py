"""
Request signing: the :class:`Signer` protocol and the SigV4, SigV2 and anonymous signers.

Every signer is pure: a request, credentials, a region and the time go in; a new request comes
out carrying every header it signed, so the transport can send it verbatim. The byte-level
rules are botocore's ``SigV4Auth`` and ``SigV2Auth`` (the tests compare both on generated
requests) and those of the AWS Signature Version 4 test suite.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable
from urllib.parse import quote, unquote_to_bytes, urlsplit

import attrs

from aioec2._core.request import HttpRequest
from aioec2.errors import ConfigurationError, CredentialsError

if TYPE_CHECKING:
    from aioec2.credentials import Credentials

__all__ = [
    "AnonymousSigner",
    "KeyCacheInfo",
    "SigV2Signer",
    "SigV4Signer",
    "SigV4Steps",
    "Signer",
    "sigv4_steps",
]

_SIGV4_ALGORITHM = "AWS4-HMAC-SHA256"
# botocore's SIGNED_HEADERS_BLACKLIST: hop-by-hop headers and ones that proxies, HTTP clients
# or tracers may rewrite after signing are left out of the signature.
_UNSIGNED_HEADERS = frozenset(
    {"baggage", "connection", "expect", "keep-alive", "proxy-authenticate", "te", "trailer"}
    | {"proxy-authorization", "traceparent", "tracestate", "transfer-encoding", "upgrade"}
    | {"user-agent", "x-amzn-trace-id"}
)
# Headers of an earlier attempt that signing replaces (the token one only when it adds one).
_REPLACED = frozenset({"authorization", "x-amz-date"})
_REPLACED_WITH_TOKEN = _REPLACED | {"x-amz-security-token"}
# RFC 3986 unreserved characters stay bare in the canonical query; all else is %XX-escaped.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
_UNRESERVED = "-_.~"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_KEY_CACHE_SIZE = 8
_SIGV2_AUTH_PARAMS = frozenset(
    b"AWSAccessKeyId SignatureVersion SignatureMethod Timestamp SecurityToken Signature".split()
)


@runtime_checkable
class Signer(Protocol):
    """
    Anything that can authenticate an EC2 request; the Session calls only this.

    ``sign`` returns a new request (the input is never changed) that carries every header it
    signed. When ``requires_credentials`` is False the Session never resolves credentials
    and passes ``credentials=None``.

    .. versionadded:: 0.1
    """

    @property
    def requires_credentials(self) -> bool:
        """Whether :meth:`sign` needs credentials."""
        ...

    def sign(
        self, request: HttpRequest, *, credentials: Credentials | None, region: str, now: datetime
    ) -> HttpRequest:
        """
        Return a signed copy of ``request``.

        Args:
            request: the unsigned request, a form-encoded EC2 query POST.
            credentials: the credentials to sign with; None when none are required.
            region: the region the request goes to, e.g. ``"us-east-1"``.
            now: the signing time, an aware datetime.

        Returns:
            A new request with the authentication headers or parameters added.
        """
        ...


class KeyCacheInfo(NamedTuple):
    """Statistics of :class:`SigV4Signer`'s derived-key cache, named as ``functools`` names them."""

    hits: int
    misses: int
    maxsize: int
    currsize: int


class SigV4Steps(NamedTuple):
    """
    The intermediate values of a SigV4 signature.

    AWS's ``SignatureDoesNotMatch`` message quotes the canonical request and string to sign it
    expected: compare them with these to see what differs.
    """

    headers: tuple[tuple[str, str], ...]
    canonical_request: str
    string_to_sign: str
    credential_scope: str
    signed_headers: str


class _Target(NamedTuple):
    host: str
    netloc: str
    path: str
    canonical_uri: str
    canonical_query: str


@lru_cache(maxsize=64)
def _target(url: str) -> _Target:
    # The Session sends every call to one endpoint URL: parse it once, not once per request.
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # urlsplit drops the brackets of an IPv6 literal
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return _Target(
        host,
        parts.netloc,
        parts.path or "/",
        _canonical_uri(parts.path),
        _canonical_query(parts.query),
    )


def _canonical_uri(path: str) -> str:
    # Except for S3, the path is normalized (RFC 3986 dot segments removed, repeated slashes
    # collapsed) and then URI-encoded, so an already escaped path is escaped a second time.
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
    if not path:
        return "/"
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    lead = "/" if path[0] == "/" else ""
    trail = "/" if path[-1] == "/" and segments else ""
    return quote(lead + "/".join(segments) + trail, safe="/~")


def _canonical_query(query: str) -> str:
    # Names and values are decoded, then escaped the canonical way, so the result does not
    # depend on how the URL happens to be escaped; pairs sort by name, then value.
    if not query:
        return ""
    pairs = sorted(
        (_escape(unquote_to_bytes(name)), _escape(unquote_to_bytes(value)))
        for name, _, value in (pair.partition("=") for pair in query.split("&"))
    )
    return "&".join(f"{name}={value}" for name, value in pairs)


def _escape(raw: bytes) -> str:
    return quote(raw, safe=_UNRESERVED)


def _as_utc(now: datetime) -> datetime:
    if now.tzinfo is UTC:
        return now
    if now.utcoffset() is None:
        raise ConfigurationError(f"signing time must be an aware datetime, got naive {now!r}")
    return now.astimezone(UTC)


def _require(credentials: Credentials | None, signer: object) -> Credentials:
    if credentials is None:
        raise CredentialsError(
            f"{type(signer).__name__} needs AWS credentials and none were given; pass"
            " credentials to the Session or use AnonymousSigner for unsigned requests"
        )
    return credentials


class _StaticHeaders(NamedTuple):
    """What signing makes of a request's own headers: the same for every request of a Session."""

    headers: tuple[tuple[str, str], ...]  # sent as they are (Host added), but the replaced ones
    before: str  # canonical lines of the signed headers sorting before x-amz-date
    between: str  # ... between x-amz-date and x-amz-security-token
    after: str  # ... after x-amz-security-token
    signed_headers: str  # the SignedHeaders list, x-amz-date (and the token) included
    payload_hash: str | None  # an x-amz-content-sha256 header's value, used as given


# A Session sends the same few headers on every request: canonicalize them once. (The
# Session's own requests carry no credentials in their headers, so none are kept here.)
@lru_cache(maxsize=64)
def _static_headers(
    request_headers: tuple[tuple[str, str], ...], host: str, with_token: bool
) -> _StaticHeaders:
    # As in botocore, the date, token and Authorization headers of an earlier attempt are
    # replaced; unlike botocore, a missing Host header is added so that it is sent as signed.
    replaced = _REPLACED_WITH_TOKEN if with_token else _REPLACED
    headers = [(name, value) for name, value in request_headers if name.lower() not in replaced]
    if not any(name.lower() == "host" for name, _ in headers):
        headers.append(("Host", host))
    # Canonical headers: lower-case names in sorted order; each value trimmed, inner runs of
    # white space folded to one space, and repeated headers joined by commas in sent order.
    grouped: dict[str, list[str]] = {}
    payload_hash = None
    for name, value in headers:
        lname = name.lower()
        if lname == "x-amz-content-sha256" and payload_hash is None:
            payload_hash = value  # e.g. UNSIGNED-PAYLOAD: used as given, as botocore does
        if lname not in _UNSIGNED_HEADERS:
            grouped.setdefault(lname, []).append(" ".join(value.split()))
    lines = {name: f"{name}:{','.join(values)}\n" for name, values in grouped.items()}
    names = sorted([*lines, "x-amz-date", *(("x-amz-security-token",) if with_token else ())])
    token_at = "x-amz-security-token" if with_token else "x-amz-date"
    return _StaticHeaders(
        tuple(headers),
        "".join(lines[n] for n in sorted(lines) if n < "x-amz-date"),
        "".join(lines[n] for n in sorted(lines) if "x-amz-date" < n < token_at),
        "".join(lines[n] for n in sorted(lines) if n > token_at),
        ";".join(names),
        payload_hash,
    )


def sigv4_steps(
    request: HttpRequest,
    *,
    region: str,
    service: str,
    now: datetime,
    session_token: str | None = None,
) -> SigV4Steps:
    """
    Compute the headers, canonical request and string to sign of a SigV4 signature.

    Args:
        request: the request to sign.
        region: the region of the credential scope.
        service: the service of the credential scope, e.g. ``"ec2"``.
        now: the signing time, an aware datetime.
        session_token: sent and signed as ``X-Amz-Security-Token`` when given.

    Returns:
        The steps; their ``headers`` are those the request is sent with, but Authorization.
    """
    t = _as_utc(now)
    # What strftime("%Y%m%dT%H%M%SZ") gives, in less than half its time.
    amz_date = "%04d%02d%02dT%02d%02d%02dZ" % (t.year, t.month, t.day, t.hour, t.minute, t.second)  # noqa: UP031
    target = _target(request.url)
    try:
        static = _static_headers(request.headers, target.host, bool(session_token))
    except TypeError:  # headers given as lists: fine to sign, but not to cache
        static = _static_headers.__wrapped__(request.headers, target.host, bool(session_token))
    # The date and token headers are the only ones that change from request to request.
    canonical_headers = f"{static.before}x-amz-date:{amz_date}\n{static.between}"
    if session_token:
        headers = (
            *static.headers,
            ("X-Amz-Date", amz_date),
            ("X-Amz-Security-Token", session_token),
        )
        canonical_headers += f"x-amz-security-token:{' '.join(session_token.split())}\n"
    else:
        headers = (*static.headers, ("X-Amz-Date", amz_date))
    canonical_headers += static.after
    signed_headers = static.signed_headers
    payload_hash = static.payload_hash
    if payload_hash is None:
        payload_hash = hashlib.sha256(request.body).hexdigest()
    canonical_request = (
        f"{request.method.upper()}\n{target.canonical_uri}\n{target.canonical_query}\n"
        f"{canonical_headers}\n{signed_headers}\n{payload_hash}"
    )
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    digest = hashlib.sha256(canonical_request.encode()).hexdigest()
    string_to_sign = f"{_SIGV4_ALGORITHM}\n{amz_date}\n{scope}\n{digest}"
    return SigV4Steps(headers, canonical_request, string_to_sign, scope, signed_headers)


class SigV4Signer:
    """
    AWS Signature Version 4 (``AWS4-HMAC-SHA256``) in the ``Authorization`` header.

    The derived signing key of the last few (secret, date, region, service) combinations is
    cached, so a day of requests costs one key derivation. The cache is keyed by a SHA-256
    digest of the secret, not the secret itself, and no repr shows it.

    Args:
        service: the service name of the credential scope.

    .. versionadded:: 0.1
    """

    __slots__ = ("_hits", "_keys", "_lock", "_misses", "_service")

    requires_credentials: bool = True

    def __init__(self, *, service: str = "ec2") -> None:
        self._service = service
        self._keys: dict[tuple[bytes, str, str], bytes] = {}
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def __repr__(self) -> str:
        return f"SigV4Signer(service={self._service!r})"

    @property
    def service(self) -> str:
        """The service name of the credential scope."""
        return self._service

    def cache_info(self) -> KeyCacheInfo:
        """
        Report how often a derived signing key was reused or had to be computed.

        Returns:
            Hits, misses (that is, derivations), the cache's bound and its current size.
        """
        return KeyCacheInfo(self._hits, self._misses, _KEY_CACHE_SIZE, len(self._keys))

    def sign(
        self, request: HttpRequest, *, credentials: Credentials | None, region: str, now: datetime
    ) -> HttpRequest:
        """
        Return a copy of ``request`` signed with SigV4.

        Args:
            request: the request to sign; a ``Host`` header it carries is signed as given.
            credentials: the access key pair and optional session token.
            region: the region of the credential scope.
            now: the signing time, an aware datetime; it replaces any ``X-Amz-Date``.

        Returns:
            A new request with ``Host``, ``X-Amz-Date``, ``X-Amz-Security-Token`` (given a
            session token) and ``Authorization`` headers.

        Raises:
            CredentialsError: ``credentials`` is None.
        """
        creds = _require(credentials, self)
        steps = sigv4_steps(
            request,
            region=region,
            service=self._service,
            now=now,
            session_token=creds.session_token,
        )
        key = self._signing_key(creds.secret_access_key, steps.credential_scope[:8], region)
        signature = hmac.new(key, steps.string_to_sign.encode(), hashlib.sha256).hexdigest()
        authorization = (
            f"{_SIGV4_ALGORITHM} Credential={creds.access_key_id}/{steps.credential_scope},"
            f" SignedHeaders={steps.signed_headers}, Signature={signature}"
        )
        headers = (*steps.headers, ("Authorization", authorization))
        if type(request) is HttpRequest:  # evolve() is slow; a subclass may have more fields
            return HttpRequest(
                method=request.method, url=request.url, headers=headers, body=request.body
            )
        return attrs.evolve(request, headers=headers)

    def _signing_key(self, secret: str, date: str, region: str) -> bytes:
        cache_key = (hashlib.sha256(secret.encode()).digest(), date, region)
        key = self._keys.get(cache_key)
        if key is not None:
            self._hits += 1
            return key
        # kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
        key = f"AWS4{secret}".encode()
        for part in (date, region, self._service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        with self._lock:  # lookups need no lock, but evicting must not race another insert
            self._misses += 1
            if len(self._keys) >= _KEY_CACHE_SIZE:
                del self._keys[next(iter(self._keys))]  # the oldest derivation goes first
            self._keys[cache_key] = key
        return key


class SigV2Signer:
    """
    AWS Signature Version 2 (``HmacSHA256``) in the form body, for EC2-compatible clouds.

    ``AWSAccessKeyId``, ``SignatureVersion``, ``SignatureMethod``, ``Timestamp``,
    ``SecurityToken`` (given a session token) and ``Signature`` are appended to the body; the
    string to sign is ``METHOD\\nhost\\npath\\nsorted-query``, escaped as botocore escapes it.

    .. versionadded:: 0.1
    """

    __slots__ = ()

    requires_credentials: bool = True

    def __repr__(self) -> str:
        return "SigV2Signer()"

    def sign(
        self, request: HttpRequest, *, credentials: Credentials | None, region: str, now: datetime
    ) -> HttpRequest:
        """
        Return a copy of ``request`` with the SigV2 parameters added to its form body.

        Args:
            request: the request to sign; a ``Host`` header it carries is the host signed.
            credentials: the access key pair and optional session token.
            region: unused, as SigV2 has no credential scope.
            now: the signing time, an aware datetime.

        Returns:
            A new request whose body ends with the auth parameters, with a ``Host`` header
            (added when missing, so the host sent is the host signed).

        Raises:
            CredentialsError: ``credentials`` is None.
        """
        creds = _require(credentials, self)
        target = _target(request.url)
        # Parameters of an earlier attempt are replaced, as botocore overwrites them.
        segments: list[bytes] = []
        params: list[tuple[bytes, bytes]] = []
        for segment in request.body.split(b"&"):
            raw_name, _, raw_value = segment.replace(b"+", b" ").partition(b"=")
            name = unquote_to_bytes(raw_name)
            if segment and name not in _SIGV2_AUTH_PARAMS:
                segments.append(segment)
                params.append((name, unquote_to_bytes(raw_value)))
        auth = [
            ("AWSAccessKeyId", creds.access_key_id),
            ("SignatureVersion", "2"),
            ("SignatureMethod", "HmacSHA256"),
            ("Timestamp", _as_utc(now).strftime("%Y-%m-%dT%H:%M:%SZ")),
        ]
        if creds.session_token:
            auth.append(("SecurityToken", creds.session_token))
        params.extend((name.encode(), value.encode()) for name, value in auth)
        # Sorted by name as botocore sorts them (UTF-8 byte order is code point order); it
        # escapes all but the RFC 3986 unreserved characters, which quote() never escapes.
        query = "&".join(
            f"{_escape(name)}={_escape(value)}" for name, value in sorted(params, key=itemgetter(0))
        )
        host = request.header("host")
        headers = request.headers
        if host is None:
            host = target.netloc  # botocore signs the netloc as written, port and all
            headers = (*headers, ("Host", host))
        string_to_sign = f"{request.method}\n{host}\n{target.path}\n{query}"
        secret = creds.secret_access_key.encode()
        digest = hmac.new(secret, string_to_sign.encode(), hashlib.sha256).digest()
        auth.append(("Signature", base64.b64encode(digest).decode()))
        segments.extend(f"{_escape(n.encode())}={_escape(v.encode())}".encode() for n, v in auth)
        body = b"&".join(segments)
        headers = tuple(
            (name, str(len(body)) if name.lower() == "content-length" else value)
            for name, value in headers
        )
        return attrs.evolve(request, headers=headers, body=body)


class AnonymousSigner:
    """
    Send requests unsigned; the Session then never looks for credentials.

    .. versionadded:: 0.1
    """

    __slots__ = ()

    requires_credentials: bool = False

    def __repr__(self) -> str:
        return "AnonymousSigner()"

    def sign(
        self, request: HttpRequest, *, credentials: Credentials | None, region: str, now: datetime
    ) -> HttpRequest:
        """
        Return ``request`` itself, ignoring the other arguments.

        Returns:
            ``request``, unchanged: it is immutable, so no copy is needed.
        """
        return request
