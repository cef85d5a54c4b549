"""Tests for aioec2.credentials: every source, the chain and the refreshing cache."""

from __future__ import annotations

import asyncio
import json
import logging
import shlex
import socket
import sys
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web

from aioec2.credentials import (
    ChainProvider,
    ContainerProvider,
    Credentials,
    CredentialsProvider,
    EnvironmentProvider,
    Fetch,
    FetchResponse,
    IMDSProvider,
    ProcessProvider,
    RefreshingCredentials,
    SharedFilesProvider,
    StaticProvider,
    default_provider_chain,
)
from aioec2.errors import ConfigurationError, ConnectError, CredentialsError, RequestTimeoutError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"
AUTH_TOKEN = "Bearer CONTAINERAUTHTOKEN"
SECRETS = (SECRET, TOKEN, AUTH_TOKEN)
EXPIRATION = "2030-01-02T03:04:05Z"
EXPIRES = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
DOCUMENT = {
    "AccessKeyId": KEY_ID,
    "SecretAccessKey": SECRET,
    "Token": TOKEN,
    "Expiration": EXPIRATION,
}


# -- helpers -------------------------------------------------------------------------------


def texts_of(thing: object) -> list[str]:
    """Everything a user could see of a value or exception: str, repr, formatted traceback."""
    texts = [str(thing), repr(thing)]
    if isinstance(thing, BaseException):
        texts.append("".join(traceback.format_exception(thing)))
    return texts


def assert_no_secrets(*things: object) -> None:
    """Assert that no secret appears in the str, repr or traceback of any of ``things``."""
    for thing in things:
        for text in texts_of(thing):
            for secret in SECRETS:
                assert secret not in text


@pytest.fixture(autouse=True)
def _no_secrets_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Capture aioec2's logs at DEBUG in every test and check no secret was logged."""
    caplog.set_level(logging.DEBUG, logger="aioec2")
    yield
    assert_no_secrets(caplog.text, *(record.getMessage() for record in caplog.records))


async def raise_on_load(provider: CredentialsProvider) -> BaseException:
    """Run ``provider.load()``, which must fail, check the error for secrets and return it."""
    with pytest.raises(Exception) as info:  # callers check the type
        await provider.load()
    assert_no_secrets(info.value)
    return info.value


def expected() -> Credentials:
    """Return the credentials every fake source in this module hands out."""
    return Credentials(KEY_ID, SECRET, TOKEN, expiration=EXPIRES)


def make_fetch(client: aiohttp.ClientSession) -> Fetch:
    """A minimal aiohttp fetch for these tests (the real one lives in session.py)."""

    async def fetch(
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        timeout: float,
    ) -> FetchResponse:
        try:
            async with client.request(
                method, url, headers=dict(headers), timeout=aiohttp.ClientTimeout(total=timeout)
            ) as response:
                return FetchResponse(response.status, await response.read())
        except TimeoutError as exc:
            raise RequestTimeoutError(f"{method} {url} timed out") from exc
        except aiohttp.ClientError as exc:
            raise ConnectError(f"{method} {url}: {exc}") from exc

    return fetch


def forbidden_fetch() -> Fetch:
    """A fetch that fails the test if any provider tries to use the network."""

    async def fetch(
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        timeout: float,
    ) -> FetchResponse:
        pytest.fail(f"unexpected request {method} {url}")

    return fetch


@pytest.fixture
async def fetch() -> AsyncIterator[Fetch]:
    """An aiohttp-backed fetch, closed after the test."""
    async with aiohttp.ClientSession() as client:
        yield make_fetch(client)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[web.Application], Awaitable[str]]]:
    """Start aiohttp.web apps on 127.0.0.1, port 0; return their base URLs; stop them after."""
    runners: list[web.AppRunner] = []

    async def start(app: web.Application) -> str:
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL on which nothing listens (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class RecordingSleep:
    """An injected sleep that returns at once and remembers what it was asked for."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


# -- Credentials and StaticProvider ---------------------------------------------------------


def test_credentials_repr_hides_secret_and_token() -> None:
    """The repr shows a masked key id and the expiry, never the secret or the token."""
    creds = expected()
    assert "Credentials(access_key_id='AKIA…', secret_access_key=***, session_token=***, " + (
        "expiration=2030-01-02T03:04:05+00:00)"
    ) == repr(creds)
    assert_no_secrets(creds, StaticProvider(creds))


async def test_static_provider_returns_its_credentials() -> None:
    """StaticProvider.load gives back exactly the credentials it was built with."""
    assert expected() == await StaticProvider(expected()).load()


def test_fetch_response_repr_hides_body() -> None:
    """A FetchResponse's repr leaves out the body, which may be a credentials document."""
    response = FetchResponse(200, json.dumps(DOCUMENT).encode())
    assert "FetchResponse(status=200)" == repr(response)


# -- EnvironmentProvider --------------------------------------------------------------------


async def test_env_provider_full() -> None:
    """Key id, secret, session token and expiry are read from the environment."""
    environ = {
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_SESSION_TOKEN": TOKEN,
        "AWS_CREDENTIAL_EXPIRATION": EXPIRATION,
    }
    creds = await EnvironmentProvider(environ).load()
    assert expected() == creds
    assert_no_secrets(creds)


async def test_env_provider_without_token() -> None:
    """Without a session token the credentials have none and no expiry."""
    environ = {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET}
    assert Credentials(KEY_ID, SECRET) == await EnvironmentProvider(environ).load()


async def test_env_provider_security_token_fallback() -> None:
    """AWS_SECURITY_TOKEN is used when AWS_SESSION_TOKEN is unset."""
    environ = {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET}
    creds = await EnvironmentProvider({**environ, "AWS_SECURITY_TOKEN": TOKEN}).load()
    assert TOKEN == (creds and creds.session_token)


async def test_env_provider_nothing_set() -> None:
    """With neither variable the source has nothing and says so with None."""
    assert None is await EnvironmentProvider({"HOME": "/x"}).load()


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"AWS_ACCESS_KEY_ID": KEY_ID},
            "AWS_ACCESS_KEY_ID is set in the environment but AWS_SECRET_ACCESS_KEY is not",
        ),
        (
            {"AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": TOKEN},
            "AWS_SECRET_ACCESS_KEY is set in the environment but AWS_ACCESS_KEY_ID is not",
        ),
    ],
)
async def test_env_provider_partial_is_error(environ: dict[str, str], message: str) -> None:
    """Half a key pair is a CredentialsError naming the missing variable, not a value."""
    error = await raise_on_load(EnvironmentProvider(environ))
    assert CredentialsError is type(error)
    assert message == str(error)


async def test_env_provider_bad_expiration() -> None:
    """An unparseable AWS_CREDENTIAL_EXPIRATION is a CredentialsError."""
    environ = {
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_CREDENTIAL_EXPIRATION": "soon",
    }
    error = await raise_on_load(EnvironmentProvider(environ))
    assert "AWS_CREDENTIAL_EXPIRATION: cannot parse Expiration 'soon'" == str(error)


# -- SharedFilesProvider --------------------------------------------------------------------


def write_aws_files(home: Path, credentials: str = "", config: str = "") -> dict[str, str]:
    """Write ~/.aws/credentials and ~/.aws/config under ``home``; return an environ for it."""
    aws = home / ".aws"
    aws.mkdir(parents=True, exist_ok=True)
    (aws / "credentials").write_text(credentials)
    (aws / "config").write_text(config)
    return {"HOME": str(home)}


SHARED_CREDENTIALS = f"""\
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = {SECRET}

[dev]
aws_access_key_id = AKIADEV
aws_secret_access_key = {SECRET}
aws_session_token = {TOKEN}
"""


async def test_shared_files_default_profile(tmp_path: Path) -> None:
    """Without a profile the [default] section of the credentials file is used."""
    environ = write_aws_files(tmp_path, SHARED_CREDENTIALS)
    creds = await SharedFilesProvider(None, environ).load()
    assert Credentials("AKIADEFAULT", SECRET) == creds
    assert_no_secrets(creds)


async def test_shared_files_named_profile(tmp_path: Path) -> None:
    """A profile argument selects that section, session token included."""
    environ = write_aws_files(tmp_path, SHARED_CREDENTIALS)
    assert Credentials("AKIADEV", SECRET, TOKEN) == await SharedFilesProvider("dev", environ).load()


async def test_shared_files_aws_profile_variable(tmp_path: Path) -> None:
    """AWS_PROFILE selects the profile when no argument is given."""
    environ = {**write_aws_files(tmp_path, SHARED_CREDENTIALS), "AWS_PROFILE": "dev"}
    assert Credentials("AKIADEV", SECRET, TOKEN) == await SharedFilesProvider(None, environ).load()


async def test_shared_files_custom_paths(tmp_path: Path) -> None:
    """AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE (with ~) point at other files."""
    (tmp_path / "creds.ini").write_text(
        f"[x]\naws_access_key_id = AKIAX\naws_secret_access_key = {SECRET}\n"
    )
    environ = {
        "HOME": str(tmp_path),
        "AWS_SHARED_CREDENTIALS_FILE": "~/creds.ini",
        "AWS_CONFIG_FILE": "~/missing-config",
    }
    assert Credentials("AKIAX", SECRET) == await SharedFilesProvider("x", environ).load()


async def test_shared_files_config_file_credentials(tmp_path: Path) -> None:
    """Keys in the config file's [profile NAME] are used when the credentials file has none."""
    config = f"[profile cfg]\naws_access_key_id = AKIACFG\naws_secret_access_key = {SECRET}\n"
    environ = write_aws_files(tmp_path, SHARED_CREDENTIALS, config)
    assert Credentials("AKIACFG", SECRET) == await SharedFilesProvider("cfg", environ).load()


async def test_shared_files_credentials_file_wins(tmp_path: Path) -> None:
    """When both files hold keys for a profile, the credentials file's are used."""
    config = f"[profile dev]\naws_access_key_id = AKIACFG\naws_secret_access_key = {SECRET}\n"
    environ = write_aws_files(tmp_path, SHARED_CREDENTIALS, config)
    assert Credentials("AKIADEV", SECRET, TOKEN) == await SharedFilesProvider("dev", environ).load()


async def test_shared_files_profile_without_credentials(tmp_path: Path) -> None:
    """A profile with settings but no keys gives None, so the chain moves on."""
    environ = write_aws_files(tmp_path, "", "[profile r]\nregion = eu-west-1\n")
    assert None is await SharedFilesProvider("r", environ).load()
    assert None is await SharedFilesProvider(None, {"HOME": str(tmp_path / "empty")}).load()


async def test_shared_files_missing_profile_is_error(tmp_path: Path) -> None:
    """A named profile in neither file is a ConfigurationError naming it."""
    environ = write_aws_files(tmp_path, SHARED_CREDENTIALS)
    error = await raise_on_load(SharedFilesProvider("nosuch", environ))
    assert ConfigurationError is type(error)
    assert "'nosuch'" in str(error)
    error = await raise_on_load(SharedFilesProvider(None, {**environ, "AWS_PROFILE": "gone"}))
    assert "'gone'" in str(error)


async def test_shared_files_explicit_default_must_exist(tmp_path: Path) -> None:
    """An explicitly requested "default" profile must exist, as in botocore."""
    error = await raise_on_load(SharedFilesProvider("default", {"HOME": str(tmp_path)}))
    assert ConfigurationError is type(error)


async def test_shared_files_partial_is_error(tmp_path: Path) -> None:
    """A secret without a key id is a CredentialsError naming the key, not the value."""
    environ = write_aws_files(tmp_path, f"[default]\naws_secret_access_key = {SECRET}\n")
    error = await raise_on_load(SharedFilesProvider(None, environ))
    assert CredentialsError is type(error)
    assert "has no aws_access_key_id" in str(error)


async def test_shared_files_unsupported_source_is_error(tmp_path: Path) -> None:
    """A profile that assumes a role is refused rather than answered with another identity."""
    config = "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\n"
    environ = write_aws_files(tmp_path, SHARED_CREDENTIALS, config)
    error = await raise_on_load(SharedFilesProvider("admin", environ))
    assert CredentialsError is type(error)
    assert "role_arn" in str(error)


async def test_shared_files_parse_error_hides_secret(tmp_path: Path) -> None:
    """A malformed credentials file is a ConfigurationError that does not quote the bad line."""
    environ = write_aws_files(tmp_path, f"[default]\naws_access_key_id = A\n{SECRET}\n")
    error = await raise_on_load(SharedFilesProvider(None, environ))
    assert ConfigurationError is type(error)


# -- ProcessProvider (credential_process) ---------------------------------------------------


def process_command(tmp_path: Path, body: str) -> str:
    """Write a tiny Python program to tmp_path and return a command line that runs it."""
    script = tmp_path / "cred process.py"  # a space, to prove the command is quoted right
    script.write_text(body)
    return shlex.join([sys.executable, str(script)])


def printing(document: dict[str, Any], *, status: int = 0, stderr: str = "") -> str:
    """Return a program that prints ``document`` as JSON, writes ``stderr`` and exits ``status``."""
    return (
        "import json, sys\n"
        f"print(json.dumps({document!r}))\n"
        f"sys.stderr.write({stderr!r})\n"
        f"sys.exit({status})\n"
    )


PROCESS_DOCUMENT = {
    "Version": 1,
    "AccessKeyId": KEY_ID,
    "SecretAccessKey": SECRET,
    "SessionToken": TOKEN,
    "Expiration": EXPIRATION,
}


async def test_process_success_with_expiration(tmp_path: Path) -> None:
    """The program's JSON becomes credentials with a session token and an aware expiry."""
    creds = await ProcessProvider(process_command(tmp_path, printing(PROCESS_DOCUMENT))).load()
    assert expected() == creds
    assert_no_secrets(creds)


async def test_process_without_expiration(tmp_path: Path) -> None:
    """SessionToken and Expiration are optional."""
    document = {"Version": 1, "AccessKeyId": KEY_ID, "SecretAccessKey": SECRET}
    creds = await ProcessProvider(process_command(tmp_path, printing(document))).load()
    assert Credentials(KEY_ID, SECRET) == creds


async def test_process_from_profile_gets_environ(tmp_path: Path) -> None:
    """A profile's credential_process runs with the provider's environment."""
    body = (
        "import json, os\n"
        "print(json.dumps({'Version': 1, 'AccessKeyId': os.environ['KEY_FOR_TEST'],"
        f" 'SecretAccessKey': {SECRET!r}}}))\n"
    )
    command = process_command(tmp_path, body)
    environ = {
        **write_aws_files(tmp_path, "", f"[profile proc]\ncredential_process = {command}\n"),
        "KEY_FOR_TEST": "AKIAFROMENV",
    }
    assert Credentials("AKIAFROMENV", SECRET) == await SharedFilesProvider("proc", environ).load()


async def test_process_nonzero_exit(tmp_path: Path) -> None:
    """A failing program is a CredentialsError with its status and stderr but not its stdout."""
    body = printing(PROCESS_DOCUMENT, status=3, stderr="  token expired, run `login`\n")
    error = await raise_on_load(ProcessProvider(process_command(tmp_path, body)))
    assert CredentialsError is type(error)
    assert "credential_process (python3) exited with status 3: token expired, run `login`" == (
        str(error).replace(Path(sys.executable).name, "python3")
    )


async def test_process_stderr_is_trimmed(tmp_path: Path) -> None:
    """Only the last part of a long stderr makes it into the message."""
    body = "import sys\nsys.stderr.write('x' * 5000 + 'END')\nsys.exit(1)\n"
    error = await raise_on_load(ProcessProvider(process_command(tmp_path, body)))
    assert str(error).endswith("x" * 997 + "END")
    assert len(str(error)) < 1100


@pytest.mark.parametrize(
    "stderr",
    [
        json.dumps(PROCESS_DOCUMENT),
        f"aws_secret_access_key = {SECRET}",
        f"export AWS_SESSION_TOKEN={TOKEN}",
    ],
)
async def test_process_stderr_naming_a_secret_is_not_quoted(tmp_path: Path, stderr: str) -> None:
    """A helper that printed its credentials to stderr and failed: nothing of it is quoted."""
    body = f"import sys\nsys.stderr.write({stderr!r})\nsys.exit(2)\n"
    error = await raise_on_load(ProcessProvider(process_command(tmp_path, body)))
    assert CredentialsError is type(error)
    assert "exited with status 2: (its stderr is not quoted" in str(error)
    assert SECRET not in str(error)
    assert TOKEN not in str(error)


async def test_process_bad_json(tmp_path: Path) -> None:
    """Output that is not JSON is an error that does not echo the output."""
    body = f'print(\'{{"Version": 1, "SecretAccessKey": "{SECRET}", oops\')\n'
    error = await raise_on_load(ProcessProvider(process_command(tmp_path, body)))
    assert CredentialsError is type(error)
    assert str(error).endswith(": the response is not valid JSON")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({**PROCESS_DOCUMENT, "Version": 2}, "unsupported Version 2 (only 1 is supported)"),
        (
            {"Version": 1, "AccessKeyId": KEY_ID, "Token": TOKEN},
            "the response has no SecretAccessKey",
        ),
        ({**PROCESS_DOCUMENT, "Expiration": "tomorrow"}, "cannot parse Expiration 'tomorrow'"),
        ([SECRET], "the response is not a JSON object"),
    ],
)
async def test_process_bad_document(tmp_path: Path, document: Any, message: str) -> None:
    """A JSON document of the wrong shape is a CredentialsError saying what is wrong."""
    body = f"import json\nprint(json.dumps({document!r}))\n"
    error = await raise_on_load(ProcessProvider(process_command(tmp_path, body)))
    assert str(error).endswith(message)


async def test_process_program_not_found(tmp_path: Path) -> None:
    """A program that does not exist is a CredentialsError, not an OSError."""
    error = await raise_on_load(
        ProcessProvider(str(tmp_path / "no-such-program") + " --password x")
    )
    assert CredentialsError is type(error)
    assert str(error).startswith("credential_process (no-such-program): cannot start the program")
    assert "--password" not in str(error)


async def test_process_unbalanced_quotes() -> None:
    """A command that shlex cannot split is a CredentialsError."""
    error = await raise_on_load(ProcessProvider("tool 'unterminated"))
    assert CredentialsError is type(error)


# -- ContainerProvider ----------------------------------------------------------------------


class ContainerEndpoint:
    """A fake ECS/EKS credentials endpoint that checks the Authorization header."""

    def __init__(self, authorization: str | None = None) -> None:
        self.authorization = authorization
        self.fail_with: list[int] = []  # statuses to answer before succeeding
        self.body: bytes | None = None
        self.requests: list[tuple[str, str | None]] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer with the next queued failure, a 401 for a wrong token, or the document."""
        self.requests.append((request.path_qs, request.headers.get("Authorization")))
        if self.fail_with:
            return web.Response(status=self.fail_with.pop(0), text="try again later")
        if request.headers.get("Authorization") != self.authorization:
            return web.Response(status=401, text="wrong authorization token")
        if self.body is not None:
            return web.Response(body=self.body, content_type="application/json")
        return web.json_response(DOCUMENT)

    def app(self) -> web.Application:
        """Return an app serving every path with :meth:`handle`."""
        app = web.Application()
        app.router.add_get("/{tail:.*}", self.handle)
        return app


async def test_container_relative_uri(serve: Any, fetch: Fetch) -> None:
    """A relative URI is fetched from the (overridden) link-local host."""
    endpoint = ContainerEndpoint()
    base = await serve(endpoint.app())
    environ = {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc?x=1"}
    provider = ContainerProvider(fetch, environ, relative_uri_base=base)
    creds = await provider.load()
    assert expected() == creds
    assert [("/v2/credentials/abc?x=1", None)] == endpoint.requests
    assert_no_secrets(creds)


async def test_container_full_uri_with_token(serve: Any, fetch: Fetch) -> None:
    """A loopback full URI is allowed and AWS_CONTAINER_AUTHORIZATION_TOKEN is sent."""
    endpoint = ContainerEndpoint(authorization=AUTH_TOKEN)
    base = await serve(endpoint.app())
    environ = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": base + "/creds",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": AUTH_TOKEN,
    }
    assert expected() == await ContainerProvider(fetch, environ).load()
    assert [("/creds", AUTH_TOKEN)] == endpoint.requests


async def test_container_token_file_read_per_request(
    serve: Any, fetch: Fetch, tmp_path: Path
) -> None:
    """The token file wins over the variable and is read again for every request."""
    endpoint = ContainerEndpoint(authorization=AUTH_TOKEN)
    base = await serve(endpoint.app())
    token_file = tmp_path / "token"
    token_file.write_text(AUTH_TOKEN + "\n")
    environ = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": base + "/creds",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file),
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer stale",
    }
    provider = ContainerProvider(fetch, environ, sleep=RecordingSleep())
    assert expected() == await provider.load()
    endpoint.authorization = AUTH_TOKEN + "-rotated"
    token_file.write_text(AUTH_TOKEN + "-rotated")
    assert expected() == await provider.load()
    assert [AUTH_TOKEN, AUTH_TOKEN + "-rotated"] == [auth for _, auth in endpoint.requests]


async def test_container_wrong_token_is_not_retried(serve: Any, fetch: Fetch) -> None:
    """A 401 is a CredentialsError at once, without retries and without the token in it."""
    endpoint = ContainerEndpoint(authorization="Bearer other")
    base = await serve(endpoint.app())
    environ = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": base + "/creds",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": AUTH_TOKEN,
    }
    sleep = RecordingSleep()
    error = await raise_on_load(ContainerProvider(fetch, environ, sleep=sleep))
    assert f"container credentials endpoint {base}/creds failed: HTTP 401" == str(error)
    assert 1 == len(endpoint.requests)
    assert [] == sleep.calls


async def test_container_retries_transient_failures(serve: Any, fetch: Fetch) -> None:
    """5xx answers are retried (three tries, a second apart) before giving up or succeeding."""
    endpoint = ContainerEndpoint()
    endpoint.fail_with = [500, 503]
    base = await serve(endpoint.app())
    environ = {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/c"}
    sleep = RecordingSleep()
    provider = ContainerProvider(fetch, environ, relative_uri_base=base, sleep=sleep)
    assert expected() == await provider.load()
    assert [1.0, 1.0] == sleep.calls
    endpoint.fail_with = [500, 500, 500]
    error = await raise_on_load(provider)
    assert str(error).endswith("failed: HTTP 500")
    assert 6 == len(endpoint.requests)


async def test_container_connection_refused(fetch: Fetch, closed_port_url: str) -> None:
    """An endpoint that refuses connections is retried, then a CredentialsError."""
    environ = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": closed_port_url + "/creds"}
    sleep = RecordingSleep()
    error = await raise_on_load(ContainerProvider(fetch, environ, sleep=sleep))
    assert CredentialsError is type(error)
    assert "ConnectError" in str(error)
    assert 2 == len(sleep.calls)


@pytest.mark.parametrize(
    "uri",
    [
        "http://192.0.2.10/creds",
        "http://169.254.169.254/latest/meta-data/",
        "http://example.com/creds",
        "ftp://127.0.0.1/creds",
    ],
)
async def test_container_full_uri_host_refused(uri: str) -> None:
    """Over http only loopback and the ECS/EKS hosts are allowed; nothing is sent elsewhere."""
    environ = {
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",  # set but empty: the full URI is used
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": uri,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": AUTH_TOKEN,
    }
    error = await raise_on_load(ContainerProvider(forbidden_fetch(), environ))
    assert CredentialsError is type(error)
    assert "AWS_CONTAINER_CREDENTIALS_FULL_URI" in str(error)


@pytest.mark.parametrize(
    "uri",
    [
        "https://creds.example.com/v1",
        "http://169.254.170.23/v1/credentials",
        "http://[fd00:ec2::23]/v1/credentials",
        "http://localhost:8080/creds",
        "http://[::1]/creds",
    ],
)
async def test_container_full_uri_host_allowed(uri: str) -> None:
    """https anywhere, and http to the allowed hosts, is fetched as given."""
    seen: list[str] = []

    async def fake_fetch(
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        timeout: float,
    ) -> FetchResponse:
        seen.append(url)
        return FetchResponse(200, json.dumps(DOCUMENT).encode())

    assert (
        expected()
        == await ContainerProvider(fake_fetch, {"AWS_CONTAINER_CREDENTIALS_FULL_URI": uri}).load()
    )
    assert [uri] == seen


async def test_container_unset_is_none() -> None:
    """Without either URI variable the source has nothing."""
    assert None is await ContainerProvider(forbidden_fetch(), {}).load()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b'{"AccessKeyId": "AKIA", "SecretAccessKey": "' + SECRET.encode() + b'", ',
            "not valid JSON",
        ),
        (json.dumps({"AccessKeyId": KEY_ID, "Token": TOKEN}).encode(), "has no SecretAccessKey"),
    ],
)
async def test_container_bad_document(serve: Any, fetch: Fetch, body: bytes, message: str) -> None:
    """A 200 answer that is not a credentials document is an error that does not quote it."""
    endpoint = ContainerEndpoint()
    endpoint.body = body
    base = await serve(endpoint.app())
    environ = {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/c"}
    error = await raise_on_load(ContainerProvider(fetch, environ, relative_uri_base=base))
    assert CredentialsError is type(error)
    assert message in str(error)


async def test_container_token_with_newline_refused(tmp_path: Path) -> None:
    """A token with a line break inside is refused before anything is sent."""
    environ = {
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/c",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": AUTH_TOKEN + "\r\nX-Evil: 1",
    }
    error = await raise_on_load(ContainerProvider(forbidden_fetch(), environ))
    assert "the container authorization token contains a line break" == str(error)


# -- IMDSProvider ---------------------------------------------------------------------------

IMDS_TOKEN = "AQAEAIMDSSESSIONTOKEN=="


class FakeIMDS:
    """An IMDSv2-only metadata service: GETs without a valid token are refused."""

    def __init__(self, role: str | None = "web-role") -> None:
        self.role = role
        self.token_statuses: list[int] = []  # statuses to answer the PUT with first
        self.document: dict[str, Any] = {"Code": "Success", "Type": "AWS-HMAC", **DOCUMENT}
        self.requests: list[tuple[str, str, str | None]] = []
        self.delay = 0.0

    async def token(self, request: web.Request) -> web.Response:
        """Issue a session token to a PUT carrying the TTL header."""
        ttl = request.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        self.requests.append(("PUT", request.path, ttl))
        await asyncio.sleep(self.delay)
        if self.token_statuses:
            return web.Response(status=self.token_statuses.pop(0))
        if ttl is None:
            return web.Response(status=400)
        return web.Response(text=IMDS_TOKEN)

    async def metadata(self, request: web.Request) -> web.Response:
        """Serve the role list and the role's credentials to token holders only."""
        token = request.headers.get("X-aws-ec2-metadata-token")
        self.requests.append(("GET", request.path, token))
        if token != IMDS_TOKEN:
            return web.Response(status=401)
        name = request.match_info["name"]
        if self.role is None or name not in ("", self.role):
            return web.Response(status=404)
        if name == "":
            return web.Response(text=self.role)
        return web.json_response(self.document)

    def app(self) -> web.Application:
        """Return the metadata service app."""
        app = web.Application()
        app.router.add_put("/latest/api/token", self.token)
        app.router.add_get("/latest/meta-data/iam/security-credentials/{name:.*}", self.metadata)
        return app


async def test_imds_v2_flow(serve: Any, fetch: Fetch) -> None:
    """PUT for a token, GET the role, GET its credentials, both GETs carrying the token."""
    imds = FakeIMDS()
    environ = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": await serve(imds.app())}
    creds = await IMDSProvider(fetch, environ).load()
    assert expected() == creds
    assert [
        ("PUT", "/latest/api/token", "21600"),
        ("GET", "/latest/meta-data/iam/security-credentials/", IMDS_TOKEN),
        ("GET", "/latest/meta-data/iam/security-credentials/web-role", IMDS_TOKEN),
    ] == imds.requests
    assert_no_secrets(creds)


async def test_imds_refuses_get_without_token(serve: Any, fetch: Fetch) -> None:
    """The fake service really is IMDSv2-only: a bare GET is refused."""
    base = await serve(FakeIMDS().app())
    url = base + "/latest/meta-data/iam/security-credentials/"
    assert 401 == (await fetch("GET", url, headers={}, timeout=1)).status


async def test_imds_no_role_is_none(serve: Any, fetch: Fetch) -> None:
    """An instance without a role (404 on the listing) has no credentials here."""
    imds = FakeIMDS(role=None)
    environ = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": await serve(imds.app())}
    assert None is await IMDSProvider(fetch, environ).load()
    assert 2 == len(imds.requests)


@pytest.mark.parametrize("status", [403, 404, 405])
async def test_imds_token_refused_is_none(serve: Any, fetch: Fetch, status: int) -> None:
    """No token (IMDSv2 off, or not IMDS at all) means no credentials and no further requests."""
    imds = FakeIMDS()
    imds.token_statuses = [status]
    environ = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": await serve(imds.app())}
    assert None is await IMDSProvider(fetch, environ).load()
    assert 1 == len(imds.requests)


async def test_imds_token_retried_on_5xx(serve: Any, fetch: Fetch) -> None:
    """With two attempts a 500 on the token PUT is retried."""
    imds = FakeIMDS()
    imds.token_statuses = [500]
    environ = {
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": await serve(imds.app()),
        "AWS_METADATA_SERVICE_NUM_ATTEMPTS": "2",
    }
    assert expected() == await IMDSProvider(fetch, environ).load()
    assert 4 == len(imds.requests)


async def test_imds_unreachable_is_none(fetch: Fetch, closed_port_url: str) -> None:
    """A refused connection means no IMDS here."""
    environ = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": closed_port_url}
    assert None is await IMDSProvider(fetch, environ).load()


async def test_imds_timeout_is_none_and_quick(serve: Any, fetch: Fetch) -> None:
    """A silent service is given up on after the short timeout, not retried."""
    imds = FakeIMDS()
    imds.delay = 2.0
    base = await serve(imds.app())
    provider = IMDSProvider(fetch, {}, endpoint=base, timeout=0.1, attempts=3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert None is await provider.load()
    assert loop.time() - started < 1.0
    assert 1 == len(imds.requests)


async def test_imds_disabled(serve: Any, fetch: Fetch) -> None:
    """AWS_EC2_METADATA_DISABLED=true turns the source off without a request."""
    imds = FakeIMDS()
    environ = {
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": await serve(imds.app()),
        "AWS_EC2_METADATA_DISABLED": "True",
    }
    assert None is await IMDSProvider(fetch, environ).load()
    assert [] == imds.requests


async def test_imds_error_code_is_error(serve: Any, fetch: Fetch) -> None:
    """A credentials answer with an error Code is a CredentialsError quoting the code."""
    imds = FakeIMDS()
    imds.document = {"Code": "AssumeRoleUnauthorizedAccess", "Message": "EC2 cannot assume"}
    environ = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": await serve(imds.app())}
    error = await raise_on_load(IMDSProvider(fetch, environ))
    assert (
        "EC2 instance metadata, role 'web-role': AssumeRoleUnauthorizedAccess: EC2 cannot assume"
        == str(error)
    )


@pytest.mark.parametrize(
    ("environ", "name"),
    [
        ({"AWS_EC2_METADATA_SERVICE_ENDPOINT": "169.254.169.254"}, "endpoint"),
        ({"AWS_METADATA_SERVICE_TIMEOUT": "soon"}, "AWS_METADATA_SERVICE_TIMEOUT"),
        ({"AWS_METADATA_SERVICE_NUM_ATTEMPTS": "0"}, "AWS_METADATA_SERVICE_NUM_ATTEMPTS"),
    ],
)
def test_imds_bad_settings(environ: dict[str, str], name: str) -> None:
    """Malformed IMDS settings are a ConfigurationError when the provider is built."""
    with pytest.raises(ConfigurationError, match=name):
        IMDSProvider(forbidden_fetch(), environ)


# -- ChainProvider and the default chain ----------------------------------------------------


class FakeProvider:
    """A provider that records its calls and returns (or raises) what it is told."""

    def __init__(self, name: str, calls: list[str], result: Credentials | Exception | None) -> None:
        self.source = name
        self.calls = calls
        self.result = result

    async def load(self) -> Credentials | None:
        """Record the call and hand out the result."""
        self.calls.append(self.source)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


async def test_chain_first_with_credentials_wins() -> None:
    """Providers are asked in order until one has credentials; later ones are not asked."""
    calls: list[str] = []
    chain = ChainProvider(
        [
            FakeProvider("a", calls, None),
            FakeProvider("b", calls, expected()),
            FakeProvider("c", calls, Credentials("AKIAC", "other")),
        ]
    )
    assert expected() == await chain.load()
    assert ["a", "b"] == calls


async def test_chain_error_stops_the_chain() -> None:
    """A broken source raises instead of letting a later source answer."""
    calls: list[str] = []
    chain = ChainProvider(
        [
            FakeProvider("a", calls, CredentialsError("a is broken")),
            FakeProvider("b", calls, expected()),
        ]
    )
    with pytest.raises(CredentialsError, match="a is broken"):
        await chain.load()
    assert ["a"] == calls


async def test_chain_empty_is_none() -> None:
    """When no provider has credentials the chain has none either."""
    assert None is await ChainProvider([FakeProvider("a", [], None)]).load()


def test_default_chain_order() -> None:
    """Environment, shared files, container, IMDS; an explicit profile drops the environment."""
    chain = default_provider_chain(profile=None, environ={}, fetch=forbidden_fetch())
    assert [EnvironmentProvider, SharedFilesProvider, ContainerProvider, IMDSProvider] == [
        type(p) for p in chain.providers
    ]
    chain = default_provider_chain(profile="dev", environ={}, fetch=forbidden_fetch())
    assert [SharedFilesProvider, ContainerProvider, IMDSProvider] == [
        type(p) for p in chain.providers
    ]


async def test_default_chain_environment_beats_files(tmp_path: Path) -> None:
    """Environment keys win over the shared files unless a profile is named explicitly."""
    environ = {
        **write_aws_files(tmp_path, SHARED_CREDENTIALS),
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    implicit = default_provider_chain(profile=None, environ=environ, fetch=forbidden_fetch())
    assert Credentials(KEY_ID, SECRET) == await implicit.load()
    explicit = default_provider_chain(profile="dev", environ=environ, fetch=forbidden_fetch())
    assert Credentials("AKIADEV", SECRET, TOKEN) == await explicit.load()


async def test_default_chain_files_beat_container(tmp_path: Path) -> None:
    """Shared files are asked before the container endpoint, which is then never contacted."""
    environ = {
        **write_aws_files(tmp_path, SHARED_CREDENTIALS),
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/c",
    }
    chain = default_provider_chain(profile=None, environ=environ, fetch=forbidden_fetch())
    assert Credentials("AKIADEFAULT", SECRET) == await chain.load()


async def test_default_chain_container_beats_imds(serve: Any, fetch: Fetch, tmp_path: Path) -> None:
    """The container endpoint is asked before IMDS."""
    endpoint, imds = ContainerEndpoint(), FakeIMDS()
    environ = {
        "HOME": str(tmp_path),
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": await serve(endpoint.app()) + "/c",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": await serve(imds.app()),
    }
    chain = default_provider_chain(profile=None, environ=environ, fetch=fetch)
    assert expected() == await chain.load()
    assert 1 == len(endpoint.requests)
    assert [] == imds.requests
    del environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    chain = default_provider_chain(profile=None, environ=environ, fetch=fetch)
    assert expected() == await chain.load()
    assert 3 == len(imds.requests)


async def test_no_credentials_anywhere_lists_places(tmp_path: Path) -> None:
    """With nothing anywhere, the error lists every place that was searched."""
    environ = {"HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true"}
    refreshing = RefreshingCredentials(
        default_provider_chain(profile=None, environ=environ, fetch=forbidden_fetch())
    )
    with pytest.raises(CredentialsError) as info:
        await refreshing.get()
    message = str(info.value)
    for place in (
        "environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)",
        f"profile 'default' in {tmp_path}/.aws/credentials and {tmp_path}/.aws/config",
        "container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/_FULL_URI unset)",
        "EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)",
    ):
        assert place in message


# -- RefreshingCredentials ------------------------------------------------------------------

START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A settable clock for RefreshingCredentials."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move time forward."""
        self.now += timedelta(**delta)


class CountingProvider:
    """Hands out credentials valid for an hour from the clock's now, counting loads."""

    source = "the counting provider"

    def __init__(self, clock: Clock, *, lifetime: timedelta | None = timedelta(hours=1)) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.loads = 0
        self.fail: Exception | None = None

    async def load(self) -> Credentials | None:
        """Yield to the loop (so concurrent callers pile up), then count and answer."""
        await asyncio.sleep(0.01)
        self.loads += 1
        if self.fail is not None:
            raise self.fail
        expiration = None if self.lifetime is None else self.clock.now + self.lifetime
        return Credentials(f"AKIA{self.loads:04d}", SECRET, TOKEN, expiration=expiration)


async def test_concurrent_first_get_loads_once() -> None:
    """A hundred concurrent get() calls with nothing cached cause exactly one load."""
    clock = Clock()
    provider = CountingProvider(clock)
    refreshing = RefreshingCredentials(provider, clock=clock)
    results = await asyncio.gather(*(refreshing.get() for _ in range(100)))
    assert 1 == provider.loads
    assert {"AKIA0001"} == {creds.access_key_id for creds in results}
    assert_no_secrets(refreshing, *results)


async def test_concurrent_mandatory_refresh_loads_once() -> None:
    """A hundred concurrent get() calls inside the mandatory window cause exactly one refresh."""
    clock = Clock()
    provider = CountingProvider(clock)
    refreshing = RefreshingCredentials(provider, clock=clock)
    await refreshing.get()
    clock.advance(minutes=55)
    results = await asyncio.gather(*(refreshing.get() for _ in range(100)))
    assert 2 == provider.loads
    assert {"AKIA0002"} == {creds.access_key_id for creds in results}


async def test_concurrent_advisory_refresh_loads_once_without_waiting() -> None:
    """In the advisory window one caller refreshes and the others keep the current credentials."""
    clock = Clock()
    provider = CountingProvider(clock)
    refreshing = RefreshingCredentials(provider, clock=clock)
    await refreshing.get()
    clock.advance(minutes=47)
    results = await asyncio.gather(*(refreshing.get() for _ in range(100)))
    assert 2 == provider.loads
    assert "AKIA0002" == results[0].access_key_id
    assert {"AKIA0001"} == {creds.access_key_id for creds in results[1:]}
    assert "AKIA0002" == (await refreshing.get()).access_key_id


async def test_refresh_happens_ahead_of_expiry() -> None:
    """Credentials are reused until 15 minutes before expiry and then refreshed."""
    clock = Clock()
    provider = CountingProvider(clock)
    refreshing = RefreshingCredentials(provider, clock=clock)
    first = await refreshing.get()
    clock.advance(minutes=44)
    assert first is await refreshing.get()
    assert 1 == provider.loads
    clock.advance(minutes=2)
    second = await refreshing.get()
    assert "AKIA0002" == second.access_key_id
    assert START + timedelta(minutes=46, hours=1) == second.expiration


async def test_custom_refresh_windows() -> None:
    """The advisory and mandatory windows are configurable."""
    clock = Clock()
    provider = CountingProvider(clock)
    refreshing = RefreshingCredentials(
        provider,
        clock=clock,
        advisory_refresh=timedelta(minutes=2),
        mandatory_refresh=timedelta(minutes=1),
    )
    await refreshing.get()
    clock.advance(minutes=57)
    await refreshing.get()
    assert 1 == provider.loads
    clock.advance(minutes=2)
    await refreshing.get()
    assert 2 == provider.loads


async def test_advisory_failure_keeps_old_credentials(caplog: pytest.LogCaptureFixture) -> None:
    """A failed refresh in the advisory window logs a warning and keeps the current credentials."""
    clock = Clock()
    provider = CountingProvider(clock)
    refreshing = RefreshingCredentials(provider, clock=clock)
    first = await refreshing.get()
    clock.advance(minutes=47)
    provider.fail = CredentialsError("the source is down")
    assert first is await refreshing.get()
    assert 2 == provider.loads
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [
        "Refreshing AWS credentials failed; the current ones stay in use until "
        "2025-06-01T12:50:00+00:00: CredentialsError: the source is down"
    ] == warnings
    provider.fail = None
    assert "AKIA0003" == (await refreshing.get()).access_key_id


async def test_mandatory_failure_raises() -> None:
    """A failed refresh in the mandatory window raises, once for all waiting callers."""
    clock = Clock()
    provider = CountingProvider(clock)
    refreshing = RefreshingCredentials(provider, clock=clock)
    await refreshing.get()
    clock.advance(minutes=52)
    provider.fail = CredentialsError("the source is down")
    results = await asyncio.gather(*(refreshing.get() for _ in range(50)), return_exceptions=True)
    assert 2 == provider.loads
    assert {"the source is down"} == {str(r) for r in results}
    assert all(isinstance(r, CredentialsError) for r in results)
    assert_no_secrets(*results)
    provider.fail = None
    assert "AKIA0003" == (await refreshing.get()).access_key_id


async def test_static_credentials_load_once() -> None:
    """Credentials without an expiry time are loaded once, however much time passes."""
    clock = Clock()
    provider = CountingProvider(clock, lifetime=None)
    refreshing = RefreshingCredentials(provider, clock=clock)
    first = await refreshing.get()
    clock.advance(days=400)
    assert first is await refreshing.get()
    assert first is await refreshing.load()
    assert 1 == provider.loads


async def test_already_expired_credentials_are_error() -> None:
    """A provider that hands out credentials past their expiry is a CredentialsError."""
    clock = Clock()
    provider = CountingProvider(clock, lifetime=timedelta(minutes=-1))
    with pytest.raises(CredentialsError, match="expired at 2025-06-01T11:59:00"):
        await RefreshingCredentials(provider, clock=clock).get()


async def test_cancelled_refresh_lets_the_next_caller_refresh() -> None:
    """Cancelling the caller that is loading does not wedge the cache."""
    clock = Clock()
    provider = CountingProvider(clock)
    refreshing = RefreshingCredentials(provider, clock=clock)
    task = asyncio.create_task(refreshing.get())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert "AKIA0001" == (await refreshing.get()).access_key_id


def test_windows_must_be_ordered() -> None:
    """A mandatory window longer than the advisory one is a ConfigurationError."""
    with pytest.raises(ConfigurationError):
        RefreshingCredentials(StaticProvider(expected()), mandatory_refresh=timedelta(hours=1))


async def test_refreshing_repr_hides_secrets() -> None:
    """The cache's repr names the provider and masks the cached credentials."""
    refreshing = RefreshingCredentials(StaticProvider(expected()))
    await refreshing.get()
    assert_no_secrets(refreshing)
    assert f"RefreshingCredentials(StaticProvider, cached={expected()!r})" == repr(refreshing)
