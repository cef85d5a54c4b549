"""
AWS credentials and where they come from.

:class:`Credentials` is the value; a *provider* is anything with ``async def load()``
returning Credentials (or None when its source has nothing). The sources
(:class:`EnvironmentProvider`, :class:`SharedFilesProvider`, :class:`ProcessProvider`,
:class:`ContainerProvider`, :class:`IMDSProvider`) live in ``_credential_providers`` and are
re-exported here; :func:`default_provider_chain` strings them together in the usual AWS
order and :class:`RefreshingCredentials` caches the result and refreshes it before it
expires, once for all concurrent callers.

Network sources take a :class:`Fetch` callable instead of an HTTP client, so only
``session.py`` knows about aiohttp. No secret appears in a repr, a log line or an exception.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from aioec2.errors import ConfigurationError, CredentialsError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from aioec2._credential_providers import (
        ContainerProvider,
        IMDSProvider,
        ProcessProvider,
        SharedFilesProvider,
    )

__all__ = [
    "ChainProvider",
    "ContainerProvider",
    "Credentials",
    "CredentialsProvider",
    "EnvironmentProvider",
    "Fetch",
    "FetchResponse",
    "IMDSProvider",
    "ProcessProvider",
    "RefreshingCredentials",
    "SharedFilesProvider",
    "StaticProvider",
    "default_provider_chain",
]

logger = logging.getLogger("aioec2.credentials")


def _mask(value: str) -> str:
    return value[:4] + "…" if len(value) > 4 else "…"


@attrs.frozen(repr=False)
class Credentials:
    """
    An AWS access key pair, optionally with a session token and an expiry time.

    The secret key and session token never appear in ``repr`` or ``str``.

    .. versionadded:: 0.1
    """

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    expiration: datetime | None = attrs.field(default=None, kw_only=True)

    def __repr__(self) -> str:
        token = ", session_token=***" if self.session_token else ""
        exp = f", expiration={self.expiration.isoformat()}" if self.expiration else ""
        key_id = _mask(self.access_key_id)
        return f"Credentials(access_key_id={key_id!r}, secret_access_key=***{token}{exp})"

    __str__ = __repr__


@runtime_checkable
class CredentialsProvider(Protocol):
    """A source of credentials; ``load`` returns None when the source has none to give."""

    async def load(self) -> Credentials | None:
        """Fetch credentials from the source."""
        ...


@attrs.frozen
class FetchResponse:
    """
    What a :class:`Fetch` returns: the HTTP status and the whole body.

    The body stays out of ``repr``: it may be a credentials document.

    .. versionadded:: 0.1
    """

    status: int
    body: bytes = attrs.field(repr=False)


class Fetch(Protocol):
    """
    An HTTP request function for the network credential sources.

    ``aioec2.session.aiohttp_fetch`` builds one on the Session's ``aiohttp.ClientSession``.
    It raises :class:`~aioec2.errors.TransportError` (``ConnectError``,
    ``RequestTimeoutError``) when no response arrives within ``timeout`` seconds, and
    returns every response, whatever its status.

    .. versionadded:: 0.1
    """

    async def __call__(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        timeout: float,
    ) -> FetchResponse:
        """Send one request and read the whole response."""
        ...


def _describe(provider: CredentialsProvider) -> str:
    # Providers may say where they look; a foreign one is named by its class, never its
    # repr, which could hold a secret.
    source = getattr(provider, "source", None)
    return source if isinstance(source, str) else type(provider).__name__


def _parse_expiration(value: object, source: str) -> datetime | None:
    """Parse an ISO 8601 expiry time into an aware UTC datetime (None when absent)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise CredentialsError(f"{source}: Expiration must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CredentialsError(f"{source}: cannot parse Expiration {value!r}") from None
    # A naive time from a metadata service is UTC by convention.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class EnvironmentProvider:
    """
    Credentials from ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN``.

    ``AWS_SECURITY_TOKEN`` (boto's old name) is read when ``AWS_SESSION_TOKEN`` is unset, and
    ``AWS_CREDENTIAL_EXPIRATION`` sets an expiry time, as in botocore.

    Args:
        environ: the environment variables.

    .. versionadded:: 0.1
    """

    source = "environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    async def load(self) -> Credentials | None:
        """
        Read the variables.

        Returns:
            The credentials, or None when neither key variable is set.

        Raises:
            CredentialsError: only one of the key id and the secret is set.
        """
        key_id = self._environ.get("AWS_ACCESS_KEY_ID", "")
        secret = self._environ.get("AWS_SECRET_ACCESS_KEY", "")
        if not key_id and not secret:
            return None
        if not key_id or not secret:
            have, lack = (
                ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
                if key_id
                else ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID")
            )
            raise CredentialsError(f"{have} is set in the environment but {lack} is not")
        token = self._environ.get("AWS_SESSION_TOKEN") or self._environ.get("AWS_SECURITY_TOKEN")
        expiration = _parse_expiration(
            self._environ.get("AWS_CREDENTIAL_EXPIRATION"), "AWS_CREDENTIAL_EXPIRATION"
        )
        logger.debug("Found credentials in environment variables")
        return Credentials(key_id, secret, token or None, expiration=expiration)


class StaticProvider:
    """
    A provider that always gives the same credentials.

    Args:
        credentials: the credentials to give.

    .. versionadded:: 0.1
    """

    source = "explicit credentials"

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials

    def __repr__(self) -> str:
        return f"StaticProvider({self.credentials!r})"

    async def load(self) -> Credentials:
        """Return the credentials."""
        return self.credentials


class ChainProvider:
    """
    Ask providers in order; the first that returns credentials wins.

    A provider that raises stops the chain: a broken source the user configured is an
    error to report, not a reason to quietly pick up another identity.

    Args:
        providers: the providers, in order.

    .. versionadded:: 0.1
    """

    def __init__(self, providers: Iterable[CredentialsProvider]) -> None:
        self.providers = tuple(providers)

    def __repr__(self) -> str:
        return f"ChainProvider([{', '.join(type(p).__name__ for p in self.providers)}])"

    @property
    def source(self) -> str:
        """Every place the chain looks, in order."""
        return "; ".join(_describe(provider) for provider in self.providers)

    async def load(self) -> Credentials | None:
        """
        Return the first provider's credentials.

        Returns:
            The credentials, or None when no provider had any.

        Raises:
            CredentialsError: a provider's source is present but broken.
            ConfigurationError: a provider's settings are wrong (e.g. a missing profile).
        """
        for provider in self.providers:
            credentials = await provider.load()
            if credentials is not None:
                logger.debug("Using credentials from %s", _describe(provider))
                return credentials
        return None


def default_provider_chain(
    *, profile: str | None, environ: Mapping[str, str], fetch: Fetch
) -> ChainProvider:
    """
    Build the standard AWS chain: environment, shared files, container, IMDSv2.

    Args:
        profile: the profile given explicitly, or None. As in botocore, an explicit profile
            drops the environment source: asking for a profile means wanting its keys, not
            whatever ``AWS_ACCESS_KEY_ID`` holds.
        environ: the environment variables.
        fetch: how the container and IMDS sources make HTTP requests.

    Returns:
        A :class:`ChainProvider` of :class:`EnvironmentProvider`,
        :class:`SharedFilesProvider` (static keys and ``credential_process``),
        :class:`ContainerProvider` and :class:`IMDSProvider`.

    Raises:
        ConfigurationError: an IMDS setting in ``environ`` is malformed.

    .. versionadded:: 0.1
    """
    from aioec2._credential_providers import (  # noqa: PLC0415 - imported on first use
        ContainerProvider,
        IMDSProvider,
        SharedFilesProvider,
    )

    providers: list[CredentialsProvider] = []
    if not profile:
        providers.append(EnvironmentProvider(environ))
    providers += [
        SharedFilesProvider(profile, environ),
        ContainerProvider(fetch, environ),
        IMDSProvider(fetch, environ),
    ]
    return ChainProvider(providers)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class RefreshingCredentials:
    """
    Cache a provider's credentials and refresh them before they expire.

    Credentials without an expiry time are loaded once. Expiring ones are refreshed when
    less than ``advisory_refresh`` is left: one caller refreshes while the others keep
    using the current credentials, and if that refresh fails the current ones stay in use
    (with a warning). Once less than ``mandatory_refresh`` is left every caller waits for
    the refresh and a failure is raised. However many callers arrive at once, the provider
    is asked once; callers that waited for a refresh share its outcome instead of asking
    again. This is botocore's ``RefreshableCredentials`` policy, on an :class:`asyncio.Lock`.

    Args:
        provider: where credentials come from, e.g. :func:`default_provider_chain`.
        clock: returns the current time (aware, UTC); tests inject a fake one.
        advisory_refresh: how long before expiry to start refreshing.
        mandatory_refresh: how long before expiry the old credentials stop being used.

    Raises:
        ConfigurationError: ``mandatory_refresh`` is longer than ``advisory_refresh``.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        provider: CredentialsProvider,
        *,
        clock: Callable[[], datetime] = _utcnow,
        advisory_refresh: timedelta = timedelta(minutes=15),
        mandatory_refresh: timedelta = timedelta(minutes=10),
    ) -> None:
        if mandatory_refresh > advisory_refresh:
            raise ConfigurationError("mandatory_refresh must not be longer than advisory_refresh")
        self.provider = provider
        self._clock = clock
        self._advisory = advisory_refresh
        self._mandatory = mandatory_refresh
        self._credentials: Credentials | None = None
        self._error: Exception | None = None
        self._attempts = 0  # finished refreshes; lets lock waiters see one happened
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        # The provider is named by its class: a foreign provider's repr might show a secret.
        provider = type(self.provider).__name__
        return f"RefreshingCredentials({provider}, cached={self._credentials!r})"

    def _due(self, credentials: Credentials, window: timedelta) -> bool:
        if credentials.expiration is None:
            return False
        return _as_utc(credentials.expiration) - _as_utc(self._clock()) < window

    async def get(self) -> Credentials:
        """
        Return current credentials, loading or refreshing them when needed.

        Returns:
            Credentials that are valid for at least ``mandatory_refresh`` (or have no
            expiry time).

        Raises:
            CredentialsError: there are no credentials anywhere the provider looks, or a
                refresh failed when the current credentials were about to expire.
            ConfigurationError: the provider's settings are wrong.
        """
        current = self._credentials
        if current is not None and not self._due(current, self._advisory):
            return current
        if current is not None and self._lock.locked() and not self._due(current, self._mandatory):
            return current  # someone is already refreshing, and these still have time left
        seen = self._attempts
        async with self._lock:
            if self._attempts == seen:
                await self._refresh()
            return self._outcome()

    async def load(self) -> Credentials:
        """Same as :meth:`get`, so a RefreshingCredentials is also a provider."""
        return await self.get()

    async def _load_checked(self) -> Credentials:
        source = _describe(self.provider)
        new = await self.provider.load()
        if new is None:
            raise CredentialsError(
                f"No AWS credentials found. Looked in: {source}. Pass credentials"
                " explicitly, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure"
                " a profile in ~/.aws/credentials"
            )
        if new.expiration is not None and self._due(new, timedelta(0)):
            raise CredentialsError(
                f"the credentials from {source} expired at {new.expiration.isoformat()}"
            )
        return new

    async def _refresh(self) -> None:
        old = self._credentials
        try:
            new = await self._load_checked()
        except Exception as exc:  # noqa: BLE001 - any failure is kept for _outcome to judge
            self._error = exc
            if old is not None and not self._due(old, self._mandatory):
                assert old.expiration is not None
                logger.warning(
                    "Refreshing AWS credentials failed; the current ones stay in use until"
                    " %s: %s: %s",
                    (old.expiration - self._mandatory).isoformat(),
                    type(exc).__name__,
                    exc,
                )
        else:
            self._credentials, self._error = new, None
            logger.debug("Loaded %r", new)
        self._attempts += 1

    def _outcome(self) -> Credentials:
        credentials = self._credentials
        if credentials is not None and (
            self._error is None or not self._due(credentials, self._mandatory)
        ):
            return credentials
        assert self._error is not None
        raise self._error


# The I/O sources live in _credential_providers (they need Credentials from this module) and
# are re-exported here. They are imported on first use (PEP 562): a Session given explicit
# credentials never needs them.
_PROVIDERS = frozenset(
    {"ContainerProvider", "IMDSProvider", "ProcessProvider", "SharedFilesProvider"}
)


# Defined for the interpreter only: type checkers see the imports above, and a typo in a
# name stays an error for them instead of falling back to __getattr__'s Any.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        if name not in _PROVIDERS:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from aioec2 import _credential_providers  # noqa: PLC0415 - imported on first use

        value = getattr(_credential_providers, name)
        globals()[name] = value  # later lookups find it directly
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *_PROVIDERS})
