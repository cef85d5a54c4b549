"""
The credential sources that do I/O: shared files, credential_process, container, IMDSv2.

Each provider's ``load()`` returns :class:`~aioec2.credentials.Credentials`, or None when its
source has nothing to give (so the chain tries the next one), or raises
:class:`~aioec2.errors.CredentialsError` when the source is there but broken. Messages name
the source and the problem and never a secret. Behaviour follows botocore's
``credentials.py`` and ``utils.py`` (``IMDSFetcher``, ``ContainerMetadataFetcher``).

The network providers never import aiohttp: they are given a
:class:`~aioec2.credentials.Fetch` callable (``session.py`` owns the real one).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import shlex
from ipaddress import ip_address
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard
from urllib.parse import urlsplit

from aioec2._aws_config import (
    config_file_path,
    credentials_file_path,
    load_shared_profile,
    resolve_profile,
)
from aioec2.credentials import Credentials, _parse_expiration
from aioec2.errors import ConfigurationError, CredentialsError, RequestTimeoutError, TransportError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from aioec2.credentials import Fetch, FetchResponse

__all__ = [
    "ContainerProvider",
    "IMDSProvider",
    "ProcessProvider",
    "SharedFilesProvider",
]

logger = logging.getLogger("aioec2.credentials")


def _parse_json_object(body: bytes, source: str) -> dict[str, Any]:
    # Never quote the body: a half-valid credentials document still holds the secret.
    try:
        parsed = json.loads(body)
    except ValueError:
        raise CredentialsError(f"{source}: the response is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise CredentialsError(f"{source}: the response is not a JSON object")
    return parsed


#: Text that names a secret: a credentials document's members, or a shared-file setting.
_LOOKS_SECRET = re.compile(r"(?i)secret_?access_?key|session_?token|security_?token")


def _credentials_from_document(
    document: Mapping[str, Any], source: str, *, session_field: str
) -> Credentials:
    """Build Credentials from AccessKeyId/SecretAccessKey/<session_field>/Expiration."""
    values: dict[str, str | None] = {}
    for key in ("AccessKeyId", "SecretAccessKey", session_field):
        value = document.get(key)
        if value is not None and not isinstance(value, str):
            raise CredentialsError(f"{source}: {key} is not a string")
        values[key] = value or None
    access_key_id, secret = values["AccessKeyId"], values["SecretAccessKey"]
    if not access_key_id or not secret:
        missing = "AccessKeyId" if not access_key_id else "SecretAccessKey"
        raise CredentialsError(f"{source}: the response has no {missing}")
    return Credentials(
        access_key_id,
        secret,
        values[session_field],
        expiration=_parse_expiration(document.get("Expiration"), source),
    )


class ProcessProvider:
    """
    Credentials printed by an external program (the profile's ``credential_process``).

    The command is split with :func:`shlex.split` and run without a shell. It must exit 0
    and print ``{"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ...,
    "SessionToken": ..., "Expiration": ...}`` (the last two optional). Its stdout is never
    quoted in an error; its stderr is, trimmed, when it fails, unless it names a secret
    (``SecretAccessKey``, ``SessionToken``, an ``aws_secret_access_key`` setting).

    Args:
        command: the command line.
        environ: the environment for the program; None inherits this process's.

    .. versionadded:: 0.1
    """

    #: Characters of the program's stderr kept in an error message.
    STDERR_LIMIT = 1000

    def __init__(self, command: str, *, environ: Mapping[str, str] | None = None) -> None:
        self._command = command
        self._environ = environ
        # Name only the program in messages: its arguments may carry a password.
        try:
            program = shlex.split(command)[0]
        except (ValueError, IndexError):
            program = "?"
        self.source = f"credential_process ({Path(program).name})"

    async def load(self) -> Credentials:
        """
        Run the program and parse what it prints.

        Returns:
            The credentials (with ``expiration`` when the program gave one).

        Raises:
            CredentialsError: the command cannot be parsed or started, exits non-zero, or
                prints something other than a version 1 credentials document.
        """
        try:
            argv = shlex.split(self._command)
        except ValueError as exc:
            raise CredentialsError(f"{self.source}: cannot split the command: {exc}") from None
        if not argv:
            raise CredentialsError("credential_process is empty")
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=dict(self._environ) if self._environ is not None else None,
            )
        except OSError as exc:
            raise CredentialsError(
                f"{self.source}: cannot start the program: {exc.strerror or type(exc).__name__}"
            ) from None
        try:
            stdout, stderr = await process.communicate()
        except BaseException:
            # Cancelled (say, by a timeout around the refresh): do not leave it running.
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            raise
        if process.returncode != 0:
            text = stderr.decode("utf-8", "replace").strip()
            if _LOOKS_SECRET.search(text):
                # A helper that wrote its credentials document (or a key) to stderr must not
                # have it quoted into an exception, a log or a traceback.
                text = "(its stderr is not quoted: it looks like it holds credentials)"
            elif len(text) > self.STDERR_LIMIT:
                text = "…" + text[-self.STDERR_LIMIT :]
            raise CredentialsError(
                f"{self.source} exited with status {process.returncode}"
                + (f": {text}" if text else "")
            )
        document = _parse_json_object(stdout, self.source)
        if document.get("Version") != 1:
            raise CredentialsError(
                f"{self.source}: unsupported Version {document.get('Version')!r}"
                " (only 1 is supported)"
            )
        logger.debug("Got credentials from %s", self.source)
        return _credentials_from_document(document, self.source, session_field="SessionToken")


#: Profile keys for sources this SDK does not implement; botocore would prefer them over
#: static keys, so silently falling through would pick a different identity.
_UNSUPPORTED_PROFILE_KEYS = {
    "role_arn": "assume-role (role_arn)",
    "sso_session": "IAM Identity Center (sso_session)",
    "sso_start_url": "IAM Identity Center (sso_start_url)",
    "web_identity_token_file": "web identity (web_identity_token_file)",
}


class SharedFilesProvider:
    """
    Credentials from the shared files: static keys, then ``credential_process``.

    Order, as in botocore: ``aws_access_key_id``/``aws_secret_access_key``/
    ``aws_session_token`` from the credentials file's profile section; the profile's
    ``credential_process``; the same keys from the config file's ``[profile NAME]``.

    Args:
        profile: the profile name; None resolves it from ``AWS_PROFILE``,
            ``AWS_DEFAULT_PROFILE`` or ``"default"``.
        environ: the environment variables (file locations, ``~``, the profile).

    .. versionadded:: 0.1
    """

    def __init__(self, profile: str | None, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self.profile = resolve_profile(profile, environ)
        # A profile asked for by name must exist, even "default"; one from AWS_PROFILE too
        # (see load_shared_profile), as botocore does, rather than quietly falling through
        # to the container or instance role.
        self._required = True if profile else None

    @property
    def source(self) -> str:
        """Where this provider looks, for the "no credentials found" message."""
        files = f"{credentials_file_path(self._environ)} and {config_file_path(self._environ)}"
        return f"profile {self.profile!r} in {files}"

    async def load(self) -> Credentials | None:
        """
        Read the profile from the files (and run its ``credential_process``).

        Returns:
            The credentials, or None when the profile has none.

        Raises:
            ConfigurationError: a file cannot be parsed or the named profile does not exist.
            CredentialsError: the profile has half a key pair, uses a credential source this
                SDK does not support, or its ``credential_process`` fails.
        """
        # The files are a few hundred bytes; reading them inline is cheaper than a thread.
        profile = load_shared_profile(self.profile, self._environ, required=self._required)
        merged = profile.merged()
        for key, what in _UNSUPPORTED_PROFILE_KEYS.items():
            if key in merged:
                raise CredentialsError(
                    f"profile {self.profile!r} uses {what}, which aioec2 does not support;"
                    " use static keys or credential_process, or pass credentials explicitly"
                )
        found = self._static(profile.credentials, profile.credentials_path)
        if found is not None:
            return found
        command = merged.get("credential_process")
        if command:
            return await ProcessProvider(command, environ=self._environ).load()
        return self._static(profile.config, profile.config_path)

    def _static(self, section: Mapping[str, str] | None, path: Path) -> Credentials | None:
        if not section:
            return None
        key_id = section.get("aws_access_key_id", "")
        secret = section.get("aws_secret_access_key", "")
        if not key_id and not secret:
            return None
        if not key_id or not secret:
            lack = "aws_secret_access_key" if key_id else "aws_access_key_id"
            raise CredentialsError(f"profile {self.profile!r} in {path} has no {lack}")
        token = section.get("aws_session_token") or section.get("aws_security_token")
        logger.debug("Found credentials for profile %r in %s", self.profile, path)
        return Credentials(key_id, secret, token or None)


class ContainerProvider:
    """
    Credentials from the ECS/EKS container credentials endpoint.

    ``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`` is a path on ``http://169.254.170.2``;
    ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` a whole URL, which over plain http must point at
    a loopback address or one of the ECS/EKS link-local hosts (botocore's rule, so a
    hijacked variable cannot send the token elsewhere). ``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE``
    (re-read for every request, as EKS rotates it) or ``AWS_CONTAINER_AUTHORIZATION_TOKEN``
    becomes the ``Authorization`` header.

    Args:
        fetch: how to make HTTP requests.
        environ: the environment variables.
        relative_uri_base: where relative URIs point (tests use a local server).
        timeout: seconds per request.
        attempts: tries in all, on connection errors, timeouts, 429 and 5xx.
        retry_delay: seconds between tries.
        sleep: the sleep coroutine function (tests pass a no-op).

    .. versionadded:: 0.1
    """

    DEFAULT_BASE = "http://169.254.170.2"
    ALLOWED_HTTP_HOSTS = frozenset({"169.254.170.2", "169.254.170.23", "fd00:ec2::23", "localhost"})

    def __init__(
        self,
        fetch: Fetch,
        environ: Mapping[str, str],
        *,
        relative_uri_base: str = DEFAULT_BASE,
        timeout: float = 2.0,
        attempts: int = 3,
        retry_delay: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._fetch = fetch
        self._environ = environ
        self._base = relative_uri_base.rstrip("/")
        self._timeout = timeout
        self._attempts = max(1, attempts)
        self._retry_delay = retry_delay
        self._sleep = sleep

    def _url(self) -> str | None:
        relative = self._environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        if relative:
            return self._base + relative
        return self._environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") or None

    @property
    def source(self) -> str:
        """Where this provider looks, for the "no credentials found" message."""
        url = self._url()
        if url is None:
            return "container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/_FULL_URI unset)"
        return f"container credentials at {url}"

    def _check_full_uri(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname:
            return
        if parts.scheme != "http" or not parts.hostname:
            raise CredentialsError(
                f"AWS_CONTAINER_CREDENTIALS_FULL_URI {url!r} is not an http(s) URL"
            )
        try:
            loopback = ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = False
        if not loopback and parts.hostname not in self.ALLOWED_HTTP_HOSTS:
            raise CredentialsError(
                f"AWS_CONTAINER_CREDENTIALS_FULL_URI host {parts.hostname!r} is not allowed over"
                " http: use a loopback address or one of "
                + ", ".join(sorted(self.ALLOWED_HTTP_HOSTS))
            )

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        token_file = self._environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        if token_file:
            try:
                token = Path(token_file).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise CredentialsError(
                    f"cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {token_file}:"
                    f" {type(exc).__name__}"
                ) from None
        else:
            token = self._environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN", "")
        if token:
            # A newline would let the value inject headers; botocore refuses it too.
            if "\r" in token or "\n" in token:
                raise CredentialsError("the container authorization token contains a line break")
            headers["Authorization"] = token
        return headers

    async def load(self) -> Credentials | None:
        """
        Ask the container credentials endpoint.

        Returns:
            The credentials, or None when neither URI variable is set.

        Raises:
            CredentialsError: the URI is not allowed, the token file cannot be read, or the
                endpoint fails (after retrying transient failures) or answers nonsense.
        """
        url = self._url()
        if url is None:
            return None
        if not self._environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
            self._check_full_uri(url)
        source = f"container credentials endpoint {url}"
        problem = ""
        for attempt in range(1, self._attempts + 1):
            if attempt > 1:
                await self._sleep(self._retry_delay)
            try:
                response = await self._fetch(
                    "GET", url, headers=self._headers(), timeout=self._timeout
                )
            except TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status == 200:
                    document = _parse_json_object(response.body, source)
                    logger.debug("Got credentials from %s", source)
                    return _credentials_from_document(document, source, session_field="Token")
                problem = f"HTTP {response.status}"
                if response.status != 429 and response.status < 500:
                    # 4xx (a bad or expired token, a wrong path) will not fix itself.
                    break
            logger.debug("Attempt %d of %d at %s failed: %s", attempt, self._attempts, url, problem)
        raise CredentialsError(f"{source} failed: {problem}")


class IMDSProvider:
    """
    Credentials of the EC2 instance's IAM role, from the instance metadata service (IMDSv2).

    PUT ``/latest/api/token`` for a session token, GET
    ``/latest/meta-data/iam/security-credentials/`` for the role name, then GET that role's
    credentials, both with the token header. Timeouts are short and attempts few so that a
    machine without IMDS (a laptop) moves on quickly: anything short of an answer from IMDS
    means "no credentials here".

    Args:
        fetch: how to make HTTP requests.
        environ: the environment variables: ``AWS_EC2_METADATA_DISABLED=true`` turns this
            source off; ``AWS_EC2_METADATA_SERVICE_ENDPOINT``, ``AWS_METADATA_SERVICE_TIMEOUT``
            and ``AWS_METADATA_SERVICE_NUM_ATTEMPTS`` (botocore's names) set the defaults of
            the next three arguments.
        endpoint: the metadata service base URL (default ``http://169.254.169.254``).
        timeout: seconds per request (default 1).
        attempts: tries per request (default 1, as in botocore).

    Raises:
        ConfigurationError: the endpoint is not an http(s) URL, or the timeout or attempts
            setting is not a positive number.

    .. versionadded:: 0.1
    """

    DEFAULT_ENDPOINT = "http://169.254.169.254"
    TOKEN_TTL_SECONDS = "21600"  # noqa: S105 - a lifetime (6 h), not a secret
    _CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/"

    def __init__(
        self,
        fetch: Fetch,
        environ: Mapping[str, str],
        *,
        endpoint: str | None = None,
        timeout: float | None = None,
        attempts: int | None = None,
    ) -> None:
        self._fetch = fetch
        self.disabled = environ.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true"
        base = endpoint or environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT") or self.DEFAULT_ENDPOINT
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(f"the EC2 metadata endpoint {base!r} is not an http(s) URL")
        self.endpoint = base.rstrip("/")
        self._timeout = timeout or _positive_setting(environ, "AWS_METADATA_SERVICE_TIMEOUT", 1.0)
        self._attempts = attempts or max(
            1, int(_positive_setting(environ, "AWS_METADATA_SERVICE_NUM_ATTEMPTS", 1))
        )

    @property
    def source(self) -> str:
        """Where this provider looks, for the "no credentials found" message."""
        if self.disabled:
            return "EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)"
        return f"EC2 instance metadata (IMDSv2) at {self.endpoint}"

    async def _request(
        self, method: str, path: str, headers: Mapping[str, str]
    ) -> FetchResponse | None:
        """Send with retries; return the first definite answer, None when IMDS is not there."""
        url = self.endpoint + path
        for attempt in range(1, self._attempts + 1):
            try:
                response = await self._fetch(method, url, headers=headers, timeout=self._timeout)
            except RequestTimeoutError:
                # A timeout is what "no IMDS here" looks like; retrying only stalls startup.
                logger.debug("%s %s timed out; no instance metadata service", method, url)
                return None
            except TransportError as exc:
                logger.debug("%s %s attempt %d failed: %s", method, url, attempt, exc)
                continue
            if response.status < 500:
                return response
            logger.debug("%s %s attempt %d: HTTP %d", method, url, attempt, response.status)
        return None

    async def load(self) -> Credentials | None:
        """
        Ask the instance metadata service for the role's credentials.

        Returns:
            The credentials, or None when IMDS is disabled, unreachable, refuses a token,
            or the instance has no role.

        Raises:
            CredentialsError: IMDS answered for the role but with an error code or a
                document without keys.
        """
        if self.disabled:
            logger.debug("EC2 instance metadata is disabled by AWS_EC2_METADATA_DISABLED")
            return None
        response = await self._request(
            "PUT",
            "/latest/api/token",
            {"X-aws-ec2-metadata-token-ttl-seconds": self.TOKEN_TTL_SECONDS},
        )
        # 403/404/405 to the PUT: IMDSv2 is off or this is not IMDS; no fallback to IMDSv1.
        if not _answered(response, "session token"):
            return None
        headers = {"X-aws-ec2-metadata-token": response.body.decode("ascii", "replace").strip()}
        response = await self._request("GET", self._CREDENTIALS_PATH, headers)
        if not _answered(response, "IAM role name"):
            return None
        role = response.body.decode("utf-8", "replace").split()[0]
        response = await self._request("GET", self._CREDENTIALS_PATH + role, headers)
        if not _answered(response, f"credentials for role {role!r}"):
            return None
        source = f"EC2 instance metadata, role {role!r}"
        document = _parse_json_object(response.body, source)
        code = document.get("Code", "Success")
        if code != "Success":
            # IMDS answers 200 with a Code/Message when, e.g., EC2 may not assume the role.
            raise CredentialsError(f"{source}: {code}: {document.get('Message', '')}")
        logger.debug("Got credentials from %s", source)
        return _credentials_from_document(document, source, session_field="Token")


def _answered(response: FetchResponse | None, what: str) -> TypeGuard[FetchResponse]:
    if response is not None and response.status == 200 and response.body.strip():
        return True
    status = f"HTTP {response.status}" if response is not None else "no answer"
    logger.debug("No %s from EC2 instance metadata (%s)", what, status)
    return False


def _positive_setting(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name) or str(default)
    with contextlib.suppress(ValueError):
        if (value := float(raw)) > 0:
            return value
    raise ConfigurationError(f"{name} must be a positive number, got {raw!r}")
