"""
The shared AWS files: ``~/.aws/credentials`` and ``~/.aws/config``.

Everything here returns plain dicts of strings and takes the environment as an explicit
mapping, so tests never see the real home directory. The rules follow botocore's
``configloader`` and the AWS SDKs' shared-config reference:

- the credentials file has one section per profile, named plainly (``[dev]``);
- the config file names them ``[profile dev]``, except ``[default]``;
- a profile's values in the credentials file win over the same keys in the config file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from aioec2.errors import ConfigurationError

if TYPE_CHECKING:
    import configparser
    from collections.abc import Mapping

__all__ = [
    "DEFAULT_PROFILE",
    "SECRET_KEYS",
    "SharedProfile",
    "config_file_path",
    "credentials_file_path",
    "load_profile_config",
    "load_shared_profile",
    "read_ini",
    "resolve_profile",
]

DEFAULT_PROFILE = "default"

#: Keys whose values are secrets; :func:`load_profile_config` leaves them out.
SECRET_KEYS = frozenset({"aws_secret_access_key", "aws_session_token", "aws_security_token"})


def resolve_profile(profile: str | None, environ: Mapping[str, str]) -> str:
    """
    Choose the profile name.

    Args:
        profile: the name given explicitly (e.g. ``Session(profile=...)``), or None.
        environ: the environment variables.

    Returns:
        ``profile``, else ``AWS_PROFILE``, else ``AWS_DEFAULT_PROFILE``, else ``"default"``.
        Empty values count as unset.
    """
    return (
        profile
        or environ.get("AWS_PROFILE")
        or environ.get("AWS_DEFAULT_PROFILE")
        or DEFAULT_PROFILE
    )


def _home(environ: Mapping[str, str]) -> str:
    # Read HOME from the mapping we were given rather than os.environ, so a test (or a
    # caller with its own environment) decides where "~" is. USERPROFILE is Windows' HOME.
    return environ.get("HOME") or environ.get("USERPROFILE") or os.path.expanduser("~")


def _expand_user(path: str, environ: Mapping[str, str]) -> Path:
    if path == "~" or path.startswith(("~/", "~" + os.sep)):
        return Path(_home(environ) + path[1:])
    # "~other_user/..." has no answer in a mapping; let the OS resolve it.
    return Path(os.path.expanduser(path))


def credentials_file_path(environ: Mapping[str, str]) -> Path:
    """
    Locate the shared credentials file.

    Args:
        environ: the environment variables.

    Returns:
        ``AWS_SHARED_CREDENTIALS_FILE`` or ``~/.aws/credentials``, with ``~`` expanded.
    """
    return _expand_user(environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials", environ)


def config_file_path(environ: Mapping[str, str]) -> Path:
    """
    Locate the shared config file.

    Args:
        environ: the environment variables.

    Returns:
        ``AWS_CONFIG_FILE`` or ``~/.aws/config``, with ``~`` expanded.
    """
    return _expand_user(environ.get("AWS_CONFIG_FILE") or "~/.aws/config", environ)


def _parse_error_lines(exc: configparser.Error) -> str:
    # configparser quotes the offending line in its messages, and that line may hold a
    # secret key; report line numbers only.
    import configparser  # noqa: PLC0415 - imported on first use

    if isinstance(exc, configparser.ParsingError):
        return ", ".join(str(lineno) for lineno, _line in exc.errors)
    lineno = getattr(exc, "lineno", None)
    return str(lineno) if lineno is not None else "?"


def read_ini(path: Path) -> dict[str, dict[str, str]]:
    """
    Parse an INI file into ``{section: {key: value}}``.

    Keys are lower-cased and values kept verbatim (no interpolation), as botocore does.

    Args:
        path: the file to read.

    Returns:
        The sections; an empty dict when the file does not exist.

    Raises:
        ConfigurationError: the file exists but cannot be read or parsed. The message names
            the file and line, never a value.
    """
    if not path.exists():
        return {}
    # Imported only when there is a file to parse (often there is none, e.g. on EC2).
    import configparser  # noqa: PLC0415 - imported on first use

    parser = configparser.RawConfigParser()
    try:
        with path.open(encoding="utf-8") as file:
            parser.read_file(file, source=str(path))
    except configparser.Error as exc:
        raise ConfigurationError(
            f"cannot parse {path} ({type(exc).__name__} at line {_parse_error_lines(exc)})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read {path}: {type(exc).__name__}") from None
    return {section: dict(parser.items(section)) for section in parser.sections()}


def _config_profiles(sections: Mapping[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    profiles: dict[str, dict[str, str]] = {}
    if DEFAULT_PROFILE in sections:
        profiles[DEFAULT_PROFILE] = sections[DEFAULT_PROFILE]
    for name, values in sections.items():
        # "[profile dev]" names profile "dev"; "[profile default]" overrides "[default]".
        # Other sections ("[sso-session x]", "[services x]", stray "[dev]") are not profiles.
        prefix, _, rest = name.partition(" ")
        if prefix == "profile" and rest.strip():
            profiles[rest.strip()] = values
    return profiles


@attrs.frozen
class SharedProfile:
    """
    One profile as found in the two shared files.

    ``credentials`` and ``config`` are the profile's sections (None when the file has no
    such section); they stay out of ``repr`` because they may hold secret keys.
    """

    name: str
    credentials_path: Path
    config_path: Path
    credentials: dict[str, str] | None = attrs.field(repr=False)
    config: dict[str, str] | None = attrs.field(repr=False)

    @property
    def exists(self) -> bool:
        """Whether either file has a section for this profile."""
        return self.credentials is not None or self.config is not None

    def merged(self) -> dict[str, str]:
        """Return the config section overlaid with the credentials section, as botocore does."""
        return {**(self.config or {}), **(self.credentials or {})}


def load_shared_profile(
    profile: str, environ: Mapping[str, str], *, required: bool | None = None
) -> SharedProfile:
    """
    Read one profile's sections from the credentials and config files.

    Args:
        profile: the profile name (see :func:`resolve_profile`).
        environ: the environment variables, for the file locations and ``~``.
        required: whether a profile in neither file is an error. True for a profile the
            caller asked for by name; False never complains; None (the default) complains
            about any profile but ``"default"``, whose absence is normal (no files at all,
            e.g. on an EC2 instance).

    Returns:
        The profile's sections and the paths they were looked up in.

    Raises:
        ConfigurationError: a file cannot be parsed, or a required profile is missing.
    """
    credentials_path = credentials_file_path(environ)
    config_path = config_file_path(environ)
    found = SharedProfile(
        name=profile,
        credentials_path=credentials_path,
        config_path=config_path,
        credentials=read_ini(credentials_path).get(profile),
        config=_config_profiles(read_ini(config_path)).get(profile),
    )
    if required is None:
        required = profile != DEFAULT_PROFILE
    if required and not found.exists:
        raise ConfigurationError(
            f"The AWS profile {profile!r} was not found in {credentials_path} or {config_path}"
        )
    return found


def load_profile_config(
    profile: str, environ: Mapping[str, str], *, required: bool | None = None
) -> dict[str, str]:
    """
    Return a profile's settings (``region``, ``endpoint_url``, ``max_attempts``, ...).

    The config-file section is overlaid with the credentials-file section, as botocore's
    ``full_config`` does. Secret values (:data:`SECRET_KEYS`) are left out: credentials come
    from the providers in :mod:`aioec2.credentials`, and a dict without secrets cannot leak
    one into a log line.

    Args:
        profile: the profile name (see :func:`resolve_profile`).
        environ: the environment variables, for the file locations and ``~``.
        required: whether a missing profile is an error (see :func:`load_shared_profile`);
            by default any missing profile but ``"default"`` is.

    Returns:
        A new dict of the profile's keys and values; empty for a missing profile that was
        not required.

    Raises:
        ConfigurationError: a file cannot be parsed, or a required profile does not exist.
    """
    merged = load_shared_profile(profile, environ, required=required).merged()
    return {key: value for key, value in merged.items() if key not in SECRET_KEYS}
