"""
Security: TLS verification, secrets kept out of every output, and clock-skew correction.

* TLS: the default Session refuses a self-signed HTTPS endpoint with a CertificateError (a
  ConnectError, never retried) that says the certificate failed verification; no setting
  or environment variable turns that off; only an injected ``http_session`` whose connector
  has ``ssl=False`` does.
* Secrets: across a broad scenario (keys from the environment and from a
  ``credential_process``, expiring keys refreshed, a refresh that fails, retries, every kind
  of error, a private key handed out by CreateKeyPair) no secret key, session token or key
  material appears in any repr, log record (DEBUG included), exception (its chain and
  traceback included), warning or captured output.
* Clock skew: ``aioec2._core.skew`` decides, purely, whether an error is EC2 refusing the
  request's time and by how much the clock is off; the Session corrects its signing clock
  from the answer's ``Date`` header once and resends at once, outside the retry budget.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
import re
import shlex
import shutil
import ssl
import subprocess
import sys
import traceback
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import aiohttp
import attrs
import pytest

import aioec2
from aioec2._core.retry import RetryQuota
from aioec2._core.skew import THRESHOLD, clock_offset, is_skew_error, server_time
from aioec2.config import Config
from aioec2.errors import (
    AioEC2Error,
    AuthError,
    CertificateError,
    ConnectError,
    CredentialsError,
    EC2APIError,
    ResponseParseError,
    ServiceError,
    ThrottlingError,
)
from aioec2.testing import set_testing
from tests.servers.scripted import OK_BODY, Drop, Reply, ScriptedServer, ec2_error

UTC = dt.UTC


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """Retries happen at once; these tests count them, they do not time them."""
    with set_testing(True):
        yield


# -- TLS -----------------------------------------------------------------------------------


def self_signed(directory: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for 127.0.0.1 and its key; skip if no tool can."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    try:
        from cryptography import x509  # noqa: PLC0415 - optional, test-only
        from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
        from cryptography.x509.oid import NameOID  # noqa: PLC0415
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("neither the cryptography package nor openssl is available")
        command = (
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
            " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
        )
        subprocess.run(
            [*command.split(), "-keyout", str(key), "-out", str(cert)],
            check=True,
            capture_output=True,
        )
        return cert, key
    import ipaddress  # noqa: PLC0415

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key


class TLSServer:
    """An HTTPS server on 127.0.0.1 answering every request with a DescribeRegions answer."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.requests = 0
        self.url = ""
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> TLSServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.context)
        self.url = f"https://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
            await reader.readexactly(int(length.group(1)) if length else 0)
            self.requests += 1
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n"
                + f"Content-Length: {len(OK_BODY)}\r\n\r\n".encode()
                + OK_BODY
            )
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    return self_signed(tmp_path)


def tls_session(url: str, **kwargs: Any) -> aioec2.Session:
    """A session against a local HTTPS server, one attempt per call."""
    return aioec2.Session(
        region="us-east-1",
        endpoint_url=url,
        credentials=aioec2.Credentials("AKIDTLS", "tls-secret"),
        config=Config(max_attempts=1),
        **kwargs,
    )


# Settings people reach for to "turn TLS checks off" elsewhere; none of them may work here.
_DISABLING_ENVIRONMENT = {
    "PYTHONHTTPSVERIFY": "0",
    "AWS_CA_BUNDLE": "",
    "CURL_CA_BUNDLE": "",
    "REQUESTS_CA_BUNDLE": "",
    "AWS_VERIFY_SSL": "false",
    "AIOHTTP_NO_EXTENSIONS": "1",
}


async def test_default_session_refuses_a_self_signed_certificate(
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """TLS verification is on by default: a self-signed endpoint fails at once, not retried."""
    for name, value in _DISABLING_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    async with TLSServer(*certificate) as server, tls_session(server.url) as session:
        async with asyncio.timeout(20):
            with (
                caplog.at_level(logging.INFO, logger="aioec2"),
                pytest.raises(CertificateError) as caught,
            ):
                await session.request("DescribeRegions")
    message = str(caught.value)
    assert re.search(r"certificate verify failed", message, re.IGNORECASE), message
    assert isinstance(caught.value, ConnectError)  # what callers catching ConnectError see
    assert 0 == server.requests  # the handshake failed: no request was ever sent
    # The same certificate would fail every attempt: no retry, no back-off.
    assert [] == [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]


def test_no_setting_can_turn_verification_off() -> None:
    """Neither Config nor the Session constructor has a knob that disables TLS checks."""
    names = {field.name for field in attrs.fields(Config)} | set(
        inspect.signature(aioec2.Session).parameters
    )
    assert set() == {n for n in names if re.search(r"ssl|tls|verif|cert|insecure", n)}


async def test_only_an_injected_session_with_ssl_false_skips_verification(
    certificate: tuple[Path, Path],
) -> None:
    """An http_session whose connector has ssl=False is the explicit, only way around TLS."""
    async with (
        TLSServer(*certificate) as server,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as insecure,
        tls_session(server.url, http_session=insecure) as session,
    ):
        result = await session.request("DescribeRegions")
    assert "us-east-1" == result["regionInfo"][0]["regionName"]
    assert 1 == server.requests


async def test_a_trusted_certificate_is_accepted(certificate: tuple[Path, Path]) -> None:
    """The server is sound: a client that trusts its certificate gets the answer (control)."""
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    async with (
        TLSServer(*certificate) as server,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trusting)) as client,
        tls_session(server.url, http_session=client) as session,
    ):
        await session.request("DescribeRegions")
    assert 1 == server.requests


# -- secrets -------------------------------------------------------------------------------

SECRETS = {
    "env secret": "wJalrXUtnFEMI/K7MDENG/ENVSECRETzzzzzzzz",
    "env token": "FwoGZXIvYXdzENVTOKENzzzzzzzzzzzzzzzzzz",
    "process secret 1": "Pr0cessSecretNumberOnezzzzzzzzzzzzzzzzz",
    "process token 1": "Pr0cessTokenNumberOnezzzzzzzzzzzzzzzzzz",
    "process secret 2": "Pr0cessSecretNumberTwozzzzzzzzzzzzzzzzz",
    "process token 2": "Pr0cessTokenNumberTwozzzzzzzzzzzzzzzzzz",
    "process secret 3": "Pr0cessSecretNumberThreezzzzzzzzzzzzzzz",
    "key material": "MIIEowIBAAKCAQEAPRIVATEKEYMATERIALzzzzz",
}

# A credential_process whose answers change with each run: keys about to expire (so every
# call refreshes them), new keys, a failed run, keys that already expired, then good keys.
_PROCESS = """\
import datetime as dt, json, pathlib, sys
counter = pathlib.Path(sys.argv[1])
run = int(counter.read_text()) if counter.exists() else 0
counter.write_text(str(run + 1))
now = dt.datetime.now(dt.timezone.utc)
def emit(secret, token, minutes):
    print(json.dumps({"Version": 1, "AccessKeyId": "AKIDPROCESS", "SecretAccessKey": secret,
                      "SessionToken": token,
                      "Expiration": (now + dt.timedelta(minutes=minutes)).isoformat()}))
if run == 0:
    emit(SECRET_1, TOKEN_1, 12)
elif run == 1:
    emit(SECRET_2, TOKEN_2, 12)
elif run == 2:
    sys.stderr.write("the token service is unavailable\\n")
    sys.exit(2)
elif run == 3:
    emit(SECRET_2, TOKEN_2, -5)
else:
    emit(SECRET_3, None, 120)
"""

CREATE_KEY_PAIR = (
    '<CreateKeyPairResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
    "<requestId>r</requestId><keyName>k</keyName><keyPairId>key-1</keyPairId>"
    "<keyFingerprint>1f:51:ae</keyFingerprint>"
    f"<keyMaterial>-----BEGIN RSA PRIVATE KEY-----\n{SECRETS['key material']}\n"
    "-----END RSA PRIVATE KEY-----</keyMaterial></CreateKeyPairResponse>"
).encode()
HTML_502 = Reply(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>")
#: One answer of each kind, then one of the next, ...: success, retries, every error.
SCRIPT = [
    Reply(200, OK_BODY),
    Reply(503),
    Reply(200, OK_BODY),
    ec2_error("AuthFailure", "AWS was not able to validate the provided access credentials", 401),
    HTML_502,
    HTML_502,
    Drop(),
    Drop(),
    Reply(200, b"<!DOCTYPE x><x/>"),
    ec2_error("RequestLimitExceeded", "Request limit exceeded.", 503),
    ec2_error("RequestLimitExceeded", "Request limit exceeded.", 503),
    Reply(200, CREATE_KEY_PAIR),
    Reply(200, OK_BODY),
]


class Outputs:
    """Everything a user could see: reprs, exceptions with their chains, logs, warnings."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.errors: list[BaseException] = []

    def add(self, *objects: object) -> None:
        """Record the repr and str of each object (exceptions with their whole traceback)."""
        for item in objects:
            self.texts += [repr(item), str(item)]
            if isinstance(item, BaseException):
                self.texts.append("".join(traceback.format_exception(item)))
                self.texts += getattr(item, "__notes__", [])

    async def attempt(self, call: Any) -> None:
        """Await ``call``, recording what it returned or raised."""
        try:
            self.add(await call)
        except (AioEC2Error, ExceptionGroup) as exc:
            self.errors.append(exc)
            self.add(exc)

    def leaks(self, *extra: str) -> list[str]:
        """The names of the secrets found anywhere in the outputs (and ``extra`` texts)."""
        joined = "\n".join([*self.texts, *extra])
        return [name for name, secret in SECRETS.items() if secret in joined]


async def _scenario(session: aioec2.Session, outputs: Outputs) -> None:
    outputs.add(session, session._credentials, session._credentials.provider)
    for _ in range(7):  # success, 5xx then success, 401, 502s, drops, DOCTYPE, throttling
        await outputs.attempt(session.request("DescribeRegions", {"Note": "scan"}))
        outputs.add(session._credentials)
    await outputs.attempt(session.create_key_pair("k"))
    await outputs.attempt(session.describe_regions())
    outputs.add(await session._credentials.get(), session._credentials)


async def test_secrets_never_reach_reprs_logs_errors_or_warnings(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Keys, tokens and key material stay secret through refreshes, retries and every error."""
    caplog.set_level(logging.DEBUG)
    outputs = Outputs()
    program = tmp_path / "process.py"
    program.write_text(
        _PROCESS.replace("SECRET_1", repr(SECRETS["process secret 1"]))
        .replace("TOKEN_1", repr(SECRETS["process token 1"]))
        .replace("SECRET_2", repr(SECRETS["process secret 2"]))
        .replace("TOKEN_2", repr(SECRETS["process token 2"]))
        .replace("SECRET_3", repr(SECRETS["process secret 3"]))
    )
    command = shlex.join([sys.executable, str(program), str(tmp_path / "runs")])
    config_file = tmp_path / "config"
    config_file.write_text(f"[default]\ncredential_process = {command}\n")
    config = Config(max_attempts=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # 1. Keys from the environment, with a session token.
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENVIRONMENT")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRETS["env secret"])
        monkeypatch.setenv("AWS_SESSION_TOKEN", SECRETS["env token"])
        async with (
            ScriptedServer(SCRIPT) as server,
            aioec2.Session(region="us-east-1", endpoint_url=server.url, config=config) as s,
        ):
            await _scenario(s, outputs)
        assert SECRETS["env token"] == server.seen[0].headers["x-amz-security-token"]
        # 2. Keys from a credential_process: expiring, refreshed, a failed and an expired
        #    refresh (logged as warnings), then good keys.
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(name)
        monkeypatch.setenv("AWS_CONFIG_FILE", str(config_file))
        async with (
            ScriptedServer(SCRIPT) as server,
            aioec2.Session(region="us-east-1", endpoint_url=server.url, config=config) as s,
        ):
            await _scenario(s, outputs)
        tokens = {seen.headers.get("x-amz-security-token") for seen in server.seen}
        # 3. A credential_process that fails outright, and keys that expired.
        config_file.write_text("[default]\ncredential_process = false\n")
        async with aioec2.Session(region="us-east-1", endpoint_url=server.url) as s:
            await outputs.attempt(s.request("DescribeRegions"))
    captured = capsys.readouterr()
    records = [
        f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
    ]
    # The scenario did what it says: refreshed keys, logged a failed refresh, met every error.
    assert 5 <= int((tmp_path / "runs").read_text())
    assert {SECRETS["process token 1"], SECRETS["process token 2"], None} <= tokens
    assert any("Refreshing AWS credentials failed" in r for r in records)
    assert any(r.levelno == logging.DEBUG and r.name == "aioec2.session" for r in caplog.records)
    kinds = {type(error) for error in outputs.errors}
    assert {AuthError, ServiceError, ConnectError, ResponseParseError} <= kinds
    assert {ThrottlingError, CredentialsError} <= kinds
    assert [] == outputs.leaks(
        *records,
        *(str(w.message) for w in caught),
        captured.out,
        captured.err,
        caplog.text,
    )


# -- clock skew: the pure decision ---------------------------------------------------------

NOW = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def _date(moment: dt.datetime) -> str:
    return format_datetime(moment, usegmt=True)


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("RequestTimeTooSkewed", "", True),
        ("RequestExpired", "Request has expired.", True),
        ("RequestInTheFuture", "", True),
        ("InvalidSignatureException", "Signature expired: 20240501T110000Z is now earlier", True),
        ("SignatureDoesNotMatch", "whatever the reason", True),
        ("AuthFailure", "Signature expired: 20240501T110000Z is now earlier than ...", True),
        ("AuthFailure", "Signature not yet current: 20240501T130000Z is still later than", True),
        ("AuthFailure", "AWS was not able to validate the provided access credentials", False),
        ("UnauthorizedOperation", "You are not authorized to perform this operation.", False),
        ("ExpiredToken", "The security token included in the request is expired", False),
        ("InvalidInstanceID.NotFound", "request expired", False),
    ],
)
def test_skew_errors_are_recognised_by_code_and_message(
    code: str, message: str, expected: bool
) -> None:
    """Skew codes always count; AuthFailure only when its message speaks of time."""
    assert expected == is_skew_error(code, message)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Wed, 01 May 2024 13:00:00 GMT", dt.datetime(2024, 5, 1, 13, tzinfo=UTC)),
        ("Wednesday, 01-May-24 13:00:00 GMT", dt.datetime(2024, 5, 1, 13, tzinfo=UTC)),
        ("Wed May  1 13:00:00 2024", dt.datetime(2024, 5, 1, 13, tzinfo=UTC)),
        ("Wed, 01 May 2024 15:00:00 +0200", dt.datetime(2024, 5, 1, 13, tzinfo=UTC)),
        (None, None),
        ("", None),
        ("yesterday", None),
        ("Wed, 32 May 2024 13:00:00 GMT", None),
        ("Mon, 01 Jan 1900 00:00:00 GMT", None),
        ("Fri, 31 Dec 9999 23:59:59 GMT", None),
    ],
)
def test_server_time_reads_http_dates_and_nothing_else(
    header: str | None, expected: dt.datetime | None
) -> None:
    """IMF-fixdate, RFC 850 and asctime dates are read; garbage and absurd years are not."""
    assert expected == server_time(header)


@pytest.mark.parametrize(
    ("code", "message", "server", "expected"),
    [
        ("RequestExpired", "", NOW + dt.timedelta(hours=1), dt.timedelta(hours=1)),
        ("RequestTimeTooSkewed", "", NOW - dt.timedelta(days=3), dt.timedelta(days=-3)),
        (
            "RequestExpired",
            "",
            NOW + THRESHOLD + dt.timedelta(seconds=1),
            THRESHOLD + dt.timedelta(seconds=1),
        ),
        ("RequestExpired", "", NOW + THRESHOLD, None),
        ("RequestExpired", "", NOW - dt.timedelta(minutes=2), None),
        ("AuthFailure", "not able to validate", NOW + dt.timedelta(hours=1), None),
        ("ServiceUnavailable", "", NOW + dt.timedelta(hours=1), None),
    ],
)
def test_clock_offset_is_the_server_minus_the_signing_clock(
    code: str, message: str, server: dt.datetime, expected: dt.timedelta | None
) -> None:
    """Only a skew error with a Date more than four minutes away gives an offset."""
    assert expected == clock_offset(code, message, _date(server), local_now=NOW)


def test_clock_offset_needs_a_date_header() -> None:
    """Without a (readable) Date header there is nothing to correct by."""
    assert None is clock_offset("RequestExpired", "", None, local_now=NOW)
    assert None is clock_offset("RequestExpired", "", "soon", local_now=NOW)


# -- clock skew: through a Session ---------------------------------------------------------


def _skewed(code: str, message: str, offset: dt.timedelta, status: int = 400) -> Reply:
    reply = ec2_error(code, message, status)
    when = dt.datetime.now(UTC) + offset
    return attrs.evolve(reply, headers=(("Date", _date(when)),))


def _signed_at(seen: Any) -> dt.datetime:
    return dt.datetime.strptime(seen.headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


@asynccontextmanager
async def _skew_session(
    script: list[Reply], **config: Any
) -> AsyncIterator[tuple[ScriptedServer, aioec2.Session]]:
    async with ScriptedServer(script) as server:
        session = aioec2.Session(
            region="us-east-1",
            endpoint_url=server.url,
            credentials=aioec2.Credentials("AKIDSKEW", "skew-secret"),
            config=Config(**config),
        )
        async with session:
            yield server, session


def _close(actual: dt.timedelta, expected: dt.timedelta) -> bool:
    return abs(actual - expected) < dt.timedelta(seconds=10)


async def test_a_skewed_clock_is_corrected_once_from_the_date_header(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """RequestExpired with a Date an hour ahead: one immediate resend, signed an hour later."""
    hour = dt.timedelta(hours=1)
    script = [_skewed("RequestExpired", "Request has expired.", hour)]
    # One attempt per call and an empty retry quota: the resend cannot be a retry.
    async with _skew_session(script, max_attempts=1) as (server, session):
        session._retry.quota = RetryQuota(0)
        await session.request("DescribeRegions")
        await session.request("DescribeRegions")  # later calls keep the corrected clock
    first, resend, later = (_signed_at(seen) for seen in server.seen)
    assert _close(resend - first, hour)
    assert _close(later - dt.datetime.now(UTC), hour)
    (record,) = [r for r in caplog.records if "refused for its time" in r.getMessage()]
    assert logging.WARNING == record.levelno
    assert re.search(r"3[56]\d\d s behind EC2's", record.getMessage())


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("RequestTimeTooSkewed", "The difference between the request time and the current time"),
        ("InvalidSignatureException", "Signature expired"),
        ("SignatureDoesNotMatch", "Signature not yet current"),
        ("AuthFailure", "Signature expired: 20240501T110000Z is now earlier than 20240501T115500Z"),
    ],
)
async def test_every_skew_error_is_corrected_behind_or_ahead(code: str, message: str) -> None:
    """Each skew code (AuthFailure with a time message) corrects a clock that runs fast too."""
    offset = -dt.timedelta(minutes=30)  # our clock is half an hour fast
    async with _skew_session([_skewed(code, message, offset, 403)]) as (server, session):
        await session.request("DescribeRegions")
    first, resend = (_signed_at(seen) for seen in server.seen)
    assert _close(resend - first, offset)


async def test_a_persistent_skew_error_is_corrected_only_once() -> None:
    """If EC2 still refuses after the correction, the error is raised: two requests in all."""
    hour = dt.timedelta(hours=1)
    refusal = _skewed("RequestExpired", "Request has expired.", hour)
    async with _skew_session([refusal, refusal, refusal]) as (server, session):
        with pytest.raises(AuthError) as caught:
            await session.request("DescribeRegions")
    assert "RequestExpired" == caught.value.code
    assert 2 == len(server.seen)


@pytest.mark.parametrize(
    ("reply", "raised"),
    [
        pytest.param(
            _skewed("RequestExpired", "Request has expired.", dt.timedelta(minutes=3)),
            AuthError,
            id="skew-within-four-minutes",
        ),
        pytest.param(
            _skewed("AuthFailure", "not able to validate the credentials", dt.timedelta(hours=1)),
            AuthError,
            id="auth-failure-about-credentials",
        ),
        pytest.param(
            ec2_error("RequestExpired", "Request has expired."), AuthError, id="no-date-header"
        ),
        pytest.param(
            attrs.evolve(
                ec2_error("RequestExpired", "Request has expired."),
                headers=(("Date", "the day after tomorrow"),),
            ),
            AuthError,
            id="garbage-date-header",
        ),
    ],
)
async def test_other_refusals_are_not_taken_for_skew(
    reply: Reply, raised: type[EC2APIError]
) -> None:
    """Without a skew error and a Date over four minutes off, nothing is corrected or resent."""
    async with _skew_session([reply]) as (server, session):
        with pytest.raises(raised):
            await session.request("DescribeRegions")
        await session.request("DescribeRegions")
    first, later = (_signed_at(seen) for seen in server.seen)
    assert _close(later - first, dt.timedelta(0))


async def test_concurrent_skew_errors_correct_the_clock_once_not_cumulatively() -> None:
    """Twenty calls refused at once all resend, and the clock moves one hour, not twenty."""
    hour = dt.timedelta(hours=1)
    script = [_skewed("RequestExpired", "Request has expired.", hour) for _ in range(20)]
    async with _skew_session(script) as (server, session):
        await asyncio.gather(*(session.request("DescribeRegions") for _ in range(20)))
        await session.request("DescribeRegions")
    assert 41 == len(server.seen)
    assert _close(_signed_at(server.seen[-1]) - dt.datetime.now(UTC), hour)


async def test_a_corrected_resend_is_still_retried_by_the_normal_policy() -> None:
    """A skew resend that then meets a 5xx is retried by the normal policy afterwards."""
    hour = dt.timedelta(hours=1)
    script = [_skewed("RequestExpired", "Request has expired.", hour), Reply(503)]
    async with _skew_session(script, max_attempts=2) as (server, session):
        await session.request("DescribeRegions")
    assert 3 == len(server.seen)
    assert _close(_signed_at(server.seen[2]) - dt.datetime.now(UTC), hour)
