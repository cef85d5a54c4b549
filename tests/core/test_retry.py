"""Retry decisions: classification, backoff, quota, and adaptive mode checked against botocore."""

from __future__ import annotations

import math

import pytest
from botocore.retries import adaptive, bucket, throttling
from hypothesis import given, settings
from hypothesis import strategies as st

from aioec2._core.retry import (
    ClientRateLimiter,
    CubicCalculator,
    RetryDecision,
    RetryQuota,
    RetryStrategy,
    RetryToken,
    is_retryable,
    is_throttle,
)
from aioec2.config import Config
from aioec2.errors import (
    ConfigurationError,
    ConnectError,
    RequestTimeoutError,
    ResponseParseError,
    error_from_code,
)

# ---------------------------------------------------------------- classification

CLASSIFICATION = [
    # (error, retryable, throttle)
    pytest.param(error_from_code("RequestLimitExceeded", status=503), True, True, id="RLE"),
    pytest.param(error_from_code("EC2ThrottledException", status=400), True, True, id="EC2Thr"),
    pytest.param(error_from_code("Throttling", status=400), True, True, id="Throttling"),
    pytest.param(error_from_code("InternalError", status=500), True, False, id="Internal500"),
    pytest.param(error_from_code("Unavailable", status=503), True, False, id="Unavailable503"),
    pytest.param(error_from_code("OddGateway", status=502), True, False, id="unknown502"),
    pytest.param(error_from_code("OddTimeout", status=504), True, False, id="unknown504"),
    pytest.param(error_from_code("RequestTimeout", status=400), True, False, id="RequestTimeout"),
    pytest.param(error_from_code("InvalidParameterValue", status=400), False, False, id="IPV400"),
    pytest.param(error_from_code("AuthFailure", status=403), False, False, id="Auth403"),
    pytest.param(error_from_code("DryRunOperation", status=412), False, False, id="DryRun412"),
    pytest.param(error_from_code("InvalidInstanceID.NotFound"), False, False, id="NotFound"),
    pytest.param(ConnectError("connection refused"), True, False, id="ConnectError"),
    pytest.param(RequestTimeoutError("read timed out"), True, False, id="RequestTimeoutError"),
    pytest.param(ResponseParseError("truncated XML in 200"), False, False, id="ResponseParse"),
    pytest.param(ValueError("a bug"), False, False, id="ValueError"),
]


@pytest.mark.parametrize(("error", "retryable", "throttle"), CLASSIFICATION)
def test_classification(error: BaseException, retryable: bool, throttle: bool) -> None:
    """is_retryable and is_throttle follow the AWS standard-mode table for each error."""
    assert (retryable, throttle) == (is_retryable(error), is_throttle(error))


@pytest.mark.parametrize(("error", "retryable", "throttle"), CLASSIFICATION)
def test_decide_follows_classification(
    error: BaseException, retryable: bool, throttle: bool
) -> None:
    """A first failure is retried exactly when the error is retryable."""
    strategy = RetryStrategy(random=lambda: 0.5)
    assert retryable == strategy.decide(strategy.new_attempt_state(), error).retry


# ---------------------------------------------------------------- standard mode


def test_backoff_doubles_and_caps_at_20_seconds() -> None:
    """With random() == 1.0 the delays are 1, 2, 4, 8, 16 and then 20 seconds."""
    strategy = RetryStrategy(max_attempts=9, random=lambda: 1.0)
    token = strategy.new_attempt_state()
    delays = [strategy.decide(token, ConnectError("x")).delay for _ in range(8)]
    assert [1, 2, 4, 8, 16, 20, 20, 20] == delays


def test_backoff_is_full_jitter() -> None:
    """The delay is random() times the exponential cap, so jitter spans the whole interval."""
    strategy = RetryStrategy(max_attempts=4, random=lambda: 0.25)
    token = strategy.new_attempt_state()
    delays = [strategy.decide(token, ConnectError("x")).delay for _ in range(3)]
    assert [0.25, 0.5, 1.0] == delays


def test_max_attempts_stops_retries() -> None:
    """With the default 3 attempts the third failure is final and token.attempt counts attempts."""
    strategy = RetryStrategy(random=lambda: 0.0)
    token = strategy.new_attempt_state()
    decisions = [strategy.decide(token, ConnectError("x")) for _ in range(3)]
    assert [True, True, False] == [d.retry for d in decisions]
    assert RetryDecision(retry=False, delay=0.0, reason="max attempts (3) reached") == decisions[2]
    assert 3 == token.attempt
    assert 490 == strategy.quota.available_capacity


def test_single_attempt_never_retries_nor_charges() -> None:
    """max_attempts=1 refuses the first retry without touching the quota."""
    strategy = RetryStrategy(max_attempts=1)
    decision = strategy.decide(strategy.new_attempt_state(), ConnectError("x"))
    assert (False, 500) == (decision.retry, strategy.quota.available_capacity)


def test_non_retryable_error_is_final_and_free() -> None:
    """A 4xx error is not retried, keeps the attempt number and charges nothing."""
    strategy = RetryStrategy()
    token = strategy.new_attempt_state()
    decision = strategy.decide(token, error_from_code("AuthFailure", status=403))
    assert "AuthError AuthFailure is not retryable" == decision.reason
    assert (1, 0, 500) == (token.attempt, token.retry_cost, strategy.quota.available_capacity)


def test_quota_charges_5_per_retry_and_10_per_timeout() -> None:
    """A retry costs 5 tokens, a retry after a timeout 10, and the token remembers the latest."""
    strategy = RetryStrategy(max_attempts=5)
    token = strategy.new_attempt_state()
    strategy.decide(token, ConnectError("x"))
    assert (495, 5) == (strategy.quota.available_capacity, token.retry_cost)
    strategy.decide(token, RequestTimeoutError("x"))
    assert (485, 10) == (strategy.quota.available_capacity, token.retry_cost)


def test_quota_drains_and_refuses() -> None:
    """A shared quota pays 100 retries of 5 tokens, then refuses retries until refilled."""
    strategy = RetryStrategy(random=lambda: 0.0)
    for _ in range(50):
        token = strategy.new_attempt_state()
        assert [True, True] == [strategy.decide(token, ConnectError("x")).retry for _ in range(2)]
    assert 0 == strategy.quota.available_capacity
    token = strategy.new_attempt_state()
    decision = strategy.decide(token, error_from_code("RequestLimitExceeded", status=503))
    assert RetryDecision(retry=False, delay=0.0, reason="retry quota exhausted") == decision
    assert (1, 0) == (token.attempt, token.retry_cost)


def test_quota_refuses_a_timeout_retry_it_cannot_pay() -> None:
    """With 7 tokens left a 5-token retry is paid but a 10-token timeout retry is not."""
    quota = RetryQuota(max_capacity=7)
    strategy = RetryStrategy(quota=quota)
    assert not strategy.decide(strategy.new_attempt_state(), RequestTimeoutError("x")).retry
    assert 7 == quota.available_capacity
    assert strategy.decide(strategy.new_attempt_state(), ConnectError("x")).retry
    assert 2 == quota.available_capacity


def test_success_refunds_latest_retry_cost() -> None:
    """A success after retries gives back the latest retry cost only, as botocore does."""
    strategy = RetryStrategy(max_attempts=5)
    token = strategy.new_attempt_state()
    strategy.decide(token, RequestTimeoutError("x"))
    strategy.decide(token, ConnectError("x"))
    strategy.record_success(token)
    assert 490 == strategy.quota.available_capacity


def test_first_try_success_refunds_one_capped_at_max() -> None:
    """A success without retry gives back 1 token, never beyond the 500-token capacity."""
    strategy = RetryStrategy()
    strategy.record_success(strategy.new_attempt_state())
    assert 500 == strategy.quota.available_capacity
    strategy.decide(strategy.new_attempt_state(), ConnectError("x"))
    strategy.record_success(strategy.new_attempt_state())
    assert 496 == strategy.quota.available_capacity
    assert 500 == strategy.quota.max_capacity


def test_from_config_and_standard_mode_never_delays_sends() -> None:
    """from_config copies mode and max_attempts; standard mode has no limiter and no send delay."""
    strategy = RetryStrategy.from_config(Config(max_attempts=7))
    strategy.record_response(1.0, throttled=True)
    assert ("standard", 7, 0.0) == (
        strategy.mode,
        strategy.max_attempts,
        strategy.acquire_send_delay(1.0),
    )
    assert strategy.rate_limiter is None
    assert "adaptive" == RetryStrategy.from_config(Config(retry_mode="adaptive")).mode


@pytest.mark.parametrize("kwargs", [{"mode": "legacy"}, {"max_attempts": 0}])
def test_bad_arguments_are_refused(kwargs: dict[str, object]) -> None:
    """An unknown mode or fewer than one attempt is a ConfigurationError."""
    with pytest.raises(ConfigurationError):
        RetryStrategy(**kwargs)  # type: ignore[arg-type]


def test_new_attempt_state_is_fresh() -> None:
    """Every logical call starts at attempt 1 with nothing charged."""
    assert RetryToken(attempt=1, retry_cost=0) == RetryStrategy().new_attempt_state()


# ---------------------------------------------------------------- adaptive mode: the oracle


class FakeClock:
    """A botocore ``bucket.Clock`` whose time the test sets."""

    def __init__(self, now: float) -> None:
        self.now = now

    def current_time(self) -> float:
        return self.now

    def sleep(self, amount: float) -> None:
        self.now += amount


class ClockCondition:
    """Stands in for TokenBucket's threading.Condition: waiting advances the fake clock."""

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock

    def __enter__(self) -> ClockCondition:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def wait(self, timeout: float) -> None:
        # At least one ulp, so botocore's "wait, refill, still short by 1e-17" loop terminates.
        self._clock.now = max(self._clock.now + timeout, math.nextafter(self._clock.now, math.inf))

    def notify(self) -> None:
        return None


class FlagDetector:
    """botocore's throttling detector, reduced to the ``throttled`` flag the test passes."""

    def is_throttling_error(self, **kwargs: object) -> bool:
        return bool(kwargs["throttled"])


class BotocoreLimiter:
    """botocore's adaptive limiter, assembled as ``adaptive.register_retry_handler`` does."""

    def __init__(self, now: float) -> None:
        self.clock = FakeClock(now)
        self.bucket = bucket.TokenBucket(max_rate=1, clock=self.clock)
        # Private attribute: make the blocking acquire advance fake time instead of sleeping.
        self.bucket._new_fill_rate_condition = ClockCondition(self.clock)
        self.clocker = adaptive.RateClocker(self.clock)
        self.limiter = adaptive.ClientRateLimiter(
            rate_adjustor=throttling.CubicCalculator(starting_max_rate=0, start_time=now),
            rate_clocker=self.clocker,
            token_bucket=self.bucket,
            throttling_detector=FlagDetector(),
            clock=self.clock,
        )

    def send(self, now: float) -> float:
        """Run botocore's before-send hook at ``now``; return how long it blocked."""
        self.clock.now = now
        self.limiter.on_sending_request(request=None)
        return self.clock.now - now

    def respond(self, now: float, *, throttled: bool) -> None:
        """Run botocore's needs-retry hook at ``now``."""
        self.clock.now = now
        self.limiter.on_receiving_response(throttled=throttled)


def close(expected: float) -> object:
    """Equality within 1e-9, relative or absolute."""
    return pytest.approx(expected, rel=1e-9, abs=1e-9)


def assert_same_state(theirs: BotocoreLimiter, ours: ClientRateLimiter) -> None:
    """Our limiter's rate, measured rate and capacity equal botocore's."""
    assert close(theirs.bucket.max_rate) == ours.send_rate
    assert close(theirs.clocker.measured_rate) == ours.clocker.measured_rate
    assert close(theirs.bucket.available_capacity) == ours.bucket.available_capacity


def steady(
    ours: ClientRateLimiter, theirs: BotocoreLimiter, start: float, stop: float, gap: float
) -> tuple[float, list[float]]:
    """Send and succeed every ``gap`` seconds (after any limiter delay) on both limiters."""
    now, delays = start, []
    while now < stop:
        delay = ours.acquire(now)
        assert close(theirs.send(now)) == delay
        delays.append(delay)
        now += delay
        ours.record_response(now, throttled=False)
        theirs.respond(now, throttled=False)
        assert_same_state(theirs, ours)
        now += gap
    return now, delays


# ---------------------------------------------------------------- adaptive mode


def test_adaptive_is_unlimited_before_first_throttle() -> None:
    """Before any throttle, a thousand simultaneous sends are never delayed."""
    strategy = RetryStrategy(mode="adaptive")
    delays = {strategy.acquire_send_delay(5.0) for _ in range(1000)}
    for _ in range(1000):
        strategy.record_response(5.0, throttled=False)
    assert {0.0} == delays
    assert strategy.rate_limiter is not None
    assert not strategy.rate_limiter.enabled


def test_throttle_lowers_the_rate_like_botocore() -> None:
    """After 3 s at 10 req/s a throttle enables the limiter at 0.7 x the measured rate."""
    ours, theirs = ClientRateLimiter(now=100.0), BotocoreLimiter(100.0)
    now, delays = steady(ours, theirs, 100.0, 103.0, 0.1)
    assert {0.0} == set(delays)
    ours.record_response(now, throttled=True)
    theirs.respond(now, throttled=True)
    assert_same_state(theirs, ours)
    assert ours.enabled
    assert close(0.7 * ours.clocker.measured_rate) == ours.send_rate
    assert ours.send_rate < ours.clocker.measured_rate


def test_low_rate_delays_queue_up_and_sum() -> None:
    """At the 0.5 req/s floor, concurrent sends wait 2, 4, 6 s and sequential ones 2 s each."""
    limiter = ClientRateLimiter(now=0.0)
    limiter.record_response(0.0, throttled=True)
    assert (True, 0.5) == (limiter.enabled, limiter.send_rate)
    assert [2.0, 4.0, 6.0] == [limiter.acquire(0.0) for _ in range(3)]

    ours, theirs = ClientRateLimiter(now=0.0), BotocoreLimiter(0.0)
    ours.record_response(0.0, throttled=True)
    theirs.respond(0.0, throttled=True)
    now, total = 0.0, 0.0
    for _ in range(5):
        delay = ours.acquire(now)
        assert close(theirs.send(now)) == delay
        now += delay
        total += delay
    assert close(10.0) == total


def test_strategy_delays_sends_after_a_throttle() -> None:
    """In adaptive mode a throttle makes acquire_send_delay return the limiter's wait."""
    strategy = RetryStrategy(mode="adaptive")
    strategy.record_response(0.0, throttled=True)
    assert [2.0, 4.0] == [strategy.acquire_send_delay(0.0), strategy.acquire_send_delay(0.0)]


def test_rate_recovers_after_a_quiet_period() -> None:
    """After a throttle and 10 quiet seconds, a 20 req/s stream soon flows undelayed at 40 req/s."""
    ours, theirs = ClientRateLimiter(now=100.0), BotocoreLimiter(100.0)
    now, _ = steady(ours, theirs, 100.0, 103.0, 0.1)
    ours.record_response(now, throttled=True)
    theirs.respond(now, throttled=True)
    assert close(7.0002688) == ours.send_rate
    _, delays = steady(ours, theirs, now + 10.0, now + 15.0, 0.05)
    # The idle gap drags the measured rate down, so the first half-second bucket still waits
    # a little (send rate <= 2 x measured rate); after that nothing waits.
    assert sum(delays) < 0.25
    assert {0.0} == set(delays[20:])
    assert pytest.approx(40.0, abs=1e-3) == ours.send_rate


def test_cubic_climbs_past_the_old_maximum_under_demand() -> None:
    """A greedy client throttled at ~10 req/s is limited at first, then allowed above 10 req/s."""
    ours, theirs = ClientRateLimiter(now=100.0), BotocoreLimiter(100.0)
    now, _ = steady(ours, theirs, 100.0, 103.0, 0.1)
    ours.record_response(now, throttled=True)
    theirs.respond(now, throttled=True)
    w_max = ours.clocker.measured_rate
    _, delays = steady(ours, theirs, now, now + 6.0, 0.001)
    assert {0.0} == set(delays[:7])  # the 7 tokens of the bucket, then 1 / rate each
    assert all(delay > 0.0 for delay in delays[7:20])
    assert ours.send_rate > w_max


# ---------------------------------------------------------------- hypothesis vs botocore

times = st.floats(min_value=0.0, max_value=1e4, allow_nan=False)
gaps = st.floats(min_value=0.0, max_value=3.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    start=times,
    events=st.lists(
        st.tuples(gaps, st.none() | st.floats(min_value=0.0, max_value=1e3, allow_nan=False)),
        max_size=30,
    ),
)
def test_cubic_matches_botocore(start: float, events: list[tuple[float, float | None]]) -> None:
    """CubicCalculator returns botocore's rates for any sequence of successes and throttles."""
    ours = CubicCalculator(starting_max_rate=0, start_time=start)
    theirs = throttling.CubicCalculator(starting_max_rate=0, start_time=start)
    now = start
    for gap, throttled_at in events:
        now += gap
        if throttled_at is None:
            assert close(theirs.success_received(now)) == ours.success_received(now)
        else:
            assert close(theirs.error_received(throttled_at, now)) == ours.error_received(
                throttled_at, now
            )
        snapshot = theirs.get_params_snapshot()
        assert (close(snapshot.w_max), close(snapshot.k), snapshot.last_fail) == (
            ours.w_max,
            ours.k,
            ours.last_fail,
        )


@settings(max_examples=200, deadline=None)
@given(
    start=times,
    events=st.lists(st.tuples(gaps, st.sampled_from(["send", "ok", "throttle"])), max_size=60),
)
def test_limiter_matches_botocore(start: float, events: list[tuple[float, str]]) -> None:
    """For any timeline of sends, successes and throttles, delays and rates equal botocore's."""
    ours, theirs = ClientRateLimiter(now=start), BotocoreLimiter(start)
    now = start
    for gap, kind in events:
        now += gap
        if kind == "send":
            delay = ours.acquire(now)
            assert close(theirs.send(now)) == delay
            now += delay  # the caller sleeps; botocore blocked for as long
        else:
            ours.record_response(now, throttled=kind == "throttle")
            theirs.respond(now, throttled=kind == "throttle")
            assert_same_state(theirs, ours)
