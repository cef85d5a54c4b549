"""Config validates its values up front."""

from __future__ import annotations

import attrs
import pytest

from aioec2 import Config
from aioec2.errors import ConfigurationError


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_connections", 0),
        ("max_connections", 1.5),
        ("max_connections", True),
        ("connect_timeout", -1),
        ("read_timeout", "10"),
        ("retry_mode", "legacy"),
        ("max_attempts", 0),
        ("api_version", ""),
        ("max_response_bytes", -5),
    ],
)
def test_bad_values_name_the_field(field: str, value: object) -> None:
    """Each out-of-range or wrongly typed value raises ConfigurationError naming the field."""
    with pytest.raises(ConfigurationError, match=f"Config.{field}"):
        Config(**{field: value})  # type: ignore[arg-type]


def test_defaults_follow_the_aws_sdks() -> None:
    """Defaults: standard retries, 3 attempts, API version 2016-11-15."""
    config = Config()
    assert ("standard", 3, "2016-11-15") == (
        config.retry_mode,
        config.max_attempts,
        config.api_version,
    )


def test_config_is_frozen() -> None:
    """A Config cannot be changed after creation; evolve makes a new one."""
    config = Config()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        config.max_attempts = 5  # type: ignore[misc]
    assert 5 == attrs.evolve(config, max_attempts=5).max_attempts
