"""Region and endpoint resolution, as pure functions of arguments and environment."""

from __future__ import annotations

import pytest

from aioec2._resolve import default_endpoint, resolve_endpoint, resolve_region
from aioec2.errors import ConfigurationError


@pytest.mark.parametrize(
    ("arg", "env", "profile", "expected"),
    [
        ("eu-west-1", {"AWS_REGION": "us-east-1"}, {"region": "ap-south-1"}, "eu-west-1"),
        (None, {"AWS_REGION": "us-east-2", "AWS_DEFAULT_REGION": "us-west-1"}, {}, "us-east-2"),
        (None, {"AWS_DEFAULT_REGION": "us-west-1"}, {"region": "ap-south-1"}, "us-west-1"),
        (None, {"AWS_REGION": ""}, {"region": "ap-south-1"}, "ap-south-1"),
    ],
)
def test_region_precedence(
    arg: str | None, env: dict[str, str], profile: dict[str, str], expected: str
) -> None:
    """Argument, AWS_REGION, AWS_DEFAULT_REGION, then the profile, in that order."""
    assert expected == resolve_region(arg, env, profile)


@pytest.mark.parametrize("bad", ["", "US EAST", "us_east_1", "-us"])
def test_malformed_region_names_its_source(bad: str) -> None:
    """A malformed region is refused with the value and where it came from."""
    with pytest.raises(ConfigurationError, match="region argument"):
        resolve_region(bad, {}, {})


def test_no_region_anywhere() -> None:
    """No source at all is a ConfigurationError that lists the places to set one."""
    with pytest.raises(ConfigurationError, match="AWS_DEFAULT_REGION"):
        resolve_region(None, {}, {})


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("us-east-1", "https://ec2.us-east-1.amazonaws.com/"),
        ("cn-northwest-1", "https://ec2.cn-northwest-1.amazonaws.com.cn/"),
    ],
)
def test_default_endpoints(region: str, expected: str) -> None:
    """Public endpoints follow the region, with .com.cn for China."""
    assert expected == default_endpoint(region)
    assert expected == resolve_endpoint(None, region, {})


def test_endpoint_precedence_and_path() -> None:
    """The argument beats AWS_ENDPOINT_URL_EC2, which beats AWS_ENDPOINT_URL; paths are kept."""
    env = {"AWS_ENDPOINT_URL_EC2": "http://a:1", "AWS_ENDPOINT_URL": "http://b:2"}
    assert "https://x/services/Cloud" == resolve_endpoint("https://x/services/Cloud", "r", env)
    assert "http://a:1/" == resolve_endpoint(None, "r", env)
    assert "http://b:2/" == resolve_endpoint(None, "r", {"AWS_ENDPOINT_URL": "http://b:2"})


def test_malformed_endpoint_from_environment_names_the_variable() -> None:
    """A bad AWS_ENDPOINT_URL_EC2 is reported with the variable's name."""
    with pytest.raises(ConfigurationError, match="AWS_ENDPOINT_URL_EC2"):
        resolve_endpoint(None, "us-east-1", {"AWS_ENDPOINT_URL_EC2": "localhost:4566"})
