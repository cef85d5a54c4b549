"""FakeEC2's settings: clocks, timings and constructor checks."""

from __future__ import annotations

import pytest

from aioec2.testing import EC2State, FakeEC2, MonotonicClock, VirtualClock


def test_virtual_clock_moves_only_forward() -> None:
    """advance() adds seconds and returns the new time; going backwards is refused."""
    clock = VirtualClock(5)
    assert 7.5 == clock.advance(2.5)
    assert 7.5 == clock.now()
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)


def test_real_clock_is_the_default() -> None:
    """Without a clock the fake reads monotonic time."""
    assert isinstance(FakeEC2().clock, MonotonicClock)


@pytest.mark.parametrize(
    "settings",
    [
        {"boot_time": -1},
        {"consistency_lag": -0.1},
        {"capacity": -1},
        {"region": "mars-1"},
        {"rsa_key_bits": 512},
    ],
)
def test_bad_settings_are_refused(settings: dict[str, object]) -> None:
    """Negative times or capacity, unknown regions and weak keys are refused at construction."""
    with pytest.raises(ValueError):
        FakeEC2(**settings)  # type: ignore[arg-type]


def test_wall_clock_follows_the_virtual_clock(clock: VirtualClock, state: EC2State) -> None:
    """Launch times advance with the fake's clock, not the machine's."""
    before = state.wall()
    clock.advance(90)
    assert 90 == (state.wall() - before).total_seconds()


def test_generated_credentials_look_like_aws_keys() -> None:
    """credentials=True makes an AKIA… key id and a 40-character secret."""
    credentials = FakeEC2(credentials=True).credentials
    assert credentials is not None
    assert (True, 20, 40) == (
        credentials.access_key_id.startswith("AKIA"),
        len(credentials.access_key_id),
        len(credentials.secret_access_key),
    )
