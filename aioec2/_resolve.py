"""Where a Session's region and endpoint come from: arguments, environment, profile, defaults."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from aioec2.errors import ConfigurationError

__all__ = ["default_endpoint", "resolve_endpoint", "resolve_region"]

# AWS region names: lowercase letters, digits and dashes (us-east-1, cn-north-1, us-gov-west-1).
# EC2-compatible clouds use other names, so only the character set is enforced.
_REGION_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def resolve_region(
    region: str | None, environ: Mapping[str, str], profile_config: Mapping[str, str]
) -> str:
    """
    Pick the region: the argument, else ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile.

    Raises:
        ConfigurationError: no source names a region, or the name is malformed.
    """
    candidates = (
        ("the region argument", region),
        ("AWS_REGION", environ.get("AWS_REGION")),
        ("AWS_DEFAULT_REGION", environ.get("AWS_DEFAULT_REGION")),
        ("the profile's region setting", profile_config.get("region")),
    )
    for source, value in candidates:
        if value is None or (source != "the region argument" and not value.strip()):
            continue
        if not isinstance(value, str) or not _REGION_RE.match(value.strip()):
            raise ConfigurationError(
                f"invalid region {value!r} from {source}: expected a name like 'us-east-1'"
            )
        return value.strip()
    raise ConfigurationError(
        "no region configured: pass Session(region='us-east-1'), set AWS_REGION or "
        "AWS_DEFAULT_REGION, or add 'region = ...' to your profile in ~/.aws/config"
    )


def default_endpoint(region: str) -> str:
    """Return EC2's public endpoint for ``region`` (``.amazonaws.com.cn`` in China)."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://ec2.{region}.{suffix}/"


def resolve_endpoint(endpoint_url: str | None, region: str, environ: Mapping[str, str]) -> str:
    """
    Pick and validate the endpoint URL.

    The argument wins, then ``AWS_ENDPOINT_URL_EC2``, then ``AWS_ENDPOINT_URL``, then the
    public endpoint of the region. The result always has a path (``/`` at least).

    Raises:
        ConfigurationError: the URL is not an absolute http(s) URL with a host.
    """
    for source, value in (
        ("endpoint_url", endpoint_url),
        ("AWS_ENDPOINT_URL_EC2", environ.get("AWS_ENDPOINT_URL_EC2")),
        ("AWS_ENDPOINT_URL", environ.get("AWS_ENDPOINT_URL")),
    ):
        if value is not None and (source == "endpoint_url" or value.strip()):
            return _validate_endpoint(value, source)
    return default_endpoint(region)


def _validate_endpoint(url: object, source: str) -> str:
    if not isinstance(url, str):
        raise ConfigurationError(f"{source} must be a string URL, got {type(url).__name__}")
    problem = None
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError as exc:
        raise ConfigurationError(f"malformed endpoint URL {url!r} from {source}: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        problem = "the scheme must be http or https"
    elif not parts.hostname:
        problem = "it has no host"
    elif parts.query or parts.fragment:
        problem = "it must not have a query string or fragment"
    elif any(ch.isspace() for ch in url.strip()):
        problem = "it contains whitespace"
    if problem:
        raise ConfigurationError(f"malformed endpoint URL {url!r} from {source}: {problem}")
    del port
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
