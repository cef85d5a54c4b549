"""Tests for aioec2._aws_config: locating, parsing and merging the shared AWS files."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from aioec2._aws_config import (
    config_file_path,
    credentials_file_path,
    load_profile_config,
    load_shared_profile,
    read_ini,
    resolve_profile,
)
from aioec2.errors import ConfigurationError

if TYPE_CHECKING:
    from pathlib import Path

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLESECRET"

CREDENTIALS = f"""\
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = {SECRET}

[dev]
aws_access_key_id = AKIADEV
aws_secret_access_key = {SECRET}
region = eu-north-1
"""

CONFIG = """\
[default]
region = us-east-1
output = json

[profile dev]
region = eu-west-1
max_attempts = 5

[profile only-config]
region = ap-south-1

[dev]
region = not-a-profile

[sso-session corp]
sso_region = us-east-1
"""


def write_files(home: Path) -> dict[str, str]:
    """Write both files under ``home/.aws`` and return an environ pointing HOME there."""
    aws = home / ".aws"
    aws.mkdir(parents=True, exist_ok=True)
    (aws / "credentials").write_text(CREDENTIALS)
    (aws / "config").write_text(CONFIG)
    return {"HOME": str(home)}


def test_resolve_profile_order() -> None:
    """The argument beats AWS_PROFILE, which beats AWS_DEFAULT_PROFILE, which beats "default"."""
    environ = {"AWS_PROFILE": "env", "AWS_DEFAULT_PROFILE": "old"}
    assert "arg" == resolve_profile("arg", environ)
    assert "env" == resolve_profile(None, environ)
    assert "old" == resolve_profile(None, {"AWS_DEFAULT_PROFILE": "old"})
    assert "default" == resolve_profile(None, {})
    assert "default" == resolve_profile(None, {"AWS_PROFILE": ""})


def test_default_paths_expand_home_from_environ(tmp_path: Path) -> None:
    """By default the files are ~/.aws/credentials and ~/.aws/config, ~ taken from environ."""
    environ = {"HOME": str(tmp_path)}
    assert tmp_path / ".aws" / "credentials" == credentials_file_path(environ)
    assert tmp_path / ".aws" / "config" == config_file_path(environ)


def test_override_paths_expand_tilde(tmp_path: Path) -> None:
    """AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE win, and a leading ~ uses environ's HOME."""
    environ = {
        "HOME": str(tmp_path),
        "AWS_SHARED_CREDENTIALS_FILE": "~/elsewhere/creds",
        "AWS_CONFIG_FILE": str(tmp_path / "cfg"),
    }
    assert tmp_path / "elsewhere" / "creds" == credentials_file_path(environ)
    assert tmp_path / "cfg" == config_file_path(environ)


def test_read_ini_missing_file_is_empty(tmp_path: Path) -> None:
    """A file that does not exist reads as no sections."""
    assert {} == read_ini(tmp_path / "nope")


def test_read_ini_lowercases_keys_and_keeps_values(tmp_path: Path) -> None:
    """Keys are lower-cased and values are kept verbatim, with no % interpolation."""
    path = tmp_path / "f"
    path.write_text("[a]\nRegion = us-east-1\nodd = 100%done\n")
    assert {"a": {"region": "us-east-1", "odd": "100%done"}} == read_ini(path)


def test_read_ini_parse_error_names_file_not_secret(tmp_path: Path) -> None:
    """A malformed file is a ConfigurationError naming the file and line but not the line's text."""
    path = tmp_path / "credentials"
    path.write_text(f"[default]\naws_access_key_id = AKIA\n{SECRET}\n")
    with pytest.raises(ConfigurationError) as info:
        read_ini(path)
    assert str(path) in str(info.value)
    assert "line 3" in str(info.value)
    assert SECRET not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_read_ini_duplicate_section_is_error(tmp_path: Path) -> None:
    """A repeated section is reported as a ConfigurationError, as botocore's strict parser does."""
    path = tmp_path / "config"
    path.write_text("[default]\na = 1\n[default]\nb = 2\n")
    with pytest.raises(ConfigurationError, match="DuplicateSectionError"):
        read_ini(path)


def test_load_shared_profile_default(tmp_path: Path) -> None:
    """The default profile is "[default]" in both files."""
    profile = load_shared_profile("default", write_files(tmp_path))
    assert {"aws_access_key_id": "AKIADEFAULT", "aws_secret_access_key": SECRET} == (
        profile.credentials
    )
    assert {"region": "us-east-1", "output": "json"} == profile.config


def test_load_shared_profile_named(tmp_path: Path) -> None:
    """A named profile is "[dev]" in the credentials file and "[profile dev]" in the config file."""
    profile = load_shared_profile("dev", write_files(tmp_path))
    assert "AKIADEV" == (profile.credentials or {})["aws_access_key_id"]
    assert {"region": "eu-west-1", "max_attempts": "5"} == profile.config


def test_plain_section_in_config_file_is_not_a_profile(tmp_path: Path) -> None:
    """In the config file "[dev]" and "[sso-session corp]" are not profiles."""
    environ = write_files(tmp_path)
    (tmp_path / ".aws" / "credentials").unlink()
    with pytest.raises(ConfigurationError):
        load_shared_profile("corp", environ)
    assert {"region": "eu-west-1", "max_attempts": "5"} == load_shared_profile(
        "dev", environ
    ).config


def test_profile_default_section_overrides_default(tmp_path: Path) -> None:
    """In the config file "[profile default]" wins over "[default]"."""
    (tmp_path / "config").write_text(
        "[profile default]\nregion = eu-west-3\n[default]\nregion = us-east-1\n"
    )
    environ = {"HOME": str(tmp_path), "AWS_CONFIG_FILE": str(tmp_path / "config")}
    assert {"region": "eu-west-3"} == load_profile_config("default", environ)


def test_missing_named_profile_is_configuration_error(tmp_path: Path) -> None:
    """A named profile in neither file is a ConfigurationError that names it and both files."""
    environ = write_files(tmp_path)
    with pytest.raises(ConfigurationError) as info:
        load_profile_config("nosuch", environ)
    assert "'nosuch'" in str(info.value)
    assert str(tmp_path / ".aws" / "credentials") in str(info.value)
    assert str(tmp_path / ".aws" / "config") in str(info.value)


def test_missing_default_profile_is_empty(tmp_path: Path) -> None:
    """Without any files the default profile is simply empty (the normal case on EC2)."""
    assert {} == load_profile_config("default", {"HOME": str(tmp_path)})


def test_region_from_config_file(tmp_path: Path) -> None:
    """The profile's region comes from its config-file section."""
    environ = write_files(tmp_path)
    assert "us-east-1" == load_profile_config("default", environ)["region"]
    assert "ap-south-1" == load_profile_config("only-config", environ)["region"]


def test_profile_config_merges_credentials_file_over_config(tmp_path: Path) -> None:
    """Keys in the credentials file override the config file; secrets are left out."""
    environ = write_files(tmp_path)
    assert {"region": "eu-north-1", "max_attempts": "5", "aws_access_key_id": "AKIADEV"} == (
        load_profile_config("dev", environ)
    )


def test_profile_config_uses_custom_paths(tmp_path: Path) -> None:
    """AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE point at other files, ~ included."""
    (tmp_path / "c").write_text("[profile x]\nregion = sa-east-1\n")
    (tmp_path / "k").write_text("[y]\nregion = ca-central-1\n")
    environ = {
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": "~/c",
        "AWS_SHARED_CREDENTIALS_FILE": "~/k",
    }
    assert {"region": "sa-east-1"} == load_profile_config("x", environ)
    assert {"region": "ca-central-1"} == load_profile_config("y", environ)


def test_shared_profile_repr_hides_sections(tmp_path: Path) -> None:
    """The repr of a loaded profile shows names and paths, never the secret."""
    profile = load_shared_profile("dev", write_files(tmp_path))
    assert SECRET not in repr(profile)
    assert "'dev'" in repr(profile)
