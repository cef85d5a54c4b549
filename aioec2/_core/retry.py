"""
Retry decisions of the AWS SDK *standard* and *adaptive* retry modes, without any I/O.

The maths follows botocore (``botocore/retries/{standard,quota,adaptive,bucket,throttling}.py``),
which implements the cross-SDK specification
(https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html):

* **standard**: at most ``max_attempts`` attempts (first included), full-jitter exponential
  backoff ``random() * min(2 ** (attempt - 1), 20)`` seconds, and a retry quota shared by the
  Session that every retry draws from and every success refills.
* **adaptive**: standard plus a client-side rate limiter: a token bucket whose fill rate is
  steered by CUBIC congestion control on throttling responses. It is off until the first
  throttle, so it costs nothing while EC2 is not pushing back.

These are the SDKs' current defaults, not the opt-in ``AWS_NEW_RETRIES_2026`` behaviour.
Nothing here sleeps, reads a clock or uses the global random generator: time is a ``now``
argument (monotonic seconds, non-decreasing, e.g. ``loop.time()``) and randomness an
injected callable. Only ``session.py`` sleeps.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, Literal

import attrs

from aioec2.errors import (
    ConfigurationError,
    DryRunOperation,
    EC2APIError,
    RequestTimeoutError,
    TransportError,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from aioec2.config import Config

__all__ = [
    "ClientRateLimiter",
    "CubicCalculator",
    "RateClocker",
    "RetryDecision",
    "RetryQuota",
    "RetryStrategy",
    "RetryToken",
    "TokenBucket",
    "is_retryable",
    "is_throttle",
]

DEFAULT_MAX_ATTEMPTS = 3
MAX_BACKOFF = 20  # seconds, botocore ExponentialBackoff._MAX_BACKOFF
# Quota costs and refill, botocore RetryQuotaChecker and quota.RetryQuota.
RETRY_COST = 5
TIMEOUT_RETRY_COST = 10
NO_RETRY_INCREMENT = 1
INITIAL_RETRY_TOKENS = 500

# botocore's TransientRetryableChecker: these statuses and codes are retried whatever the class.
_TRANSIENT_STATUS_CODES = frozenset({500, 502, 503, 504})
_TRANSIENT_ERROR_CODES = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}
)


def is_throttle(error: BaseException) -> bool:
    """Return True when ``error`` is EC2 saying "slow down" (RequestLimitExceeded, ...)."""
    return isinstance(error, EC2APIError) and error.is_throttling


def is_retryable(error: BaseException) -> bool:
    """
    Return True when sending the same request again may succeed.

    Retried: throttling and retry-safe API errors, any API error with HTTP 500/502/503/504 or
    a transient code, and transport failures (connection errors, timeouts). Never: other
    4xx, ``DryRunOperation``, ``ResponseParseError`` (a 2xx body that does not parse will not
    parse better next time), or any other exception (programming errors must surface).
    """
    if isinstance(error, DryRunOperation):
        return False
    if isinstance(error, EC2APIError):
        return (
            error.is_throttling
            or error.is_retry_safe
            or error.status in _TRANSIENT_STATUS_CODES
            or error.code in _TRANSIENT_ERROR_CODES
        )
    return isinstance(error, TransportError) and error.is_retry_safe


class RetryQuota:
    """
    The retry tokens of one Session: retries draw from it, successes refill it.

    During an outage the quota runs dry and calls fail fast instead of multiplying the load.

    Args:
        max_capacity: initial and maximum number of tokens.
    """

    def __init__(self, max_capacity: int = INITIAL_RETRY_TOKENS) -> None:
        self._max_capacity = max_capacity
        self._available = max_capacity

    @property
    def max_capacity(self) -> int:
        """The initial capacity, which refills never exceed."""
        return self._max_capacity

    @property
    def available_capacity(self) -> int:
        """Tokens left."""
        return self._available

    def acquire(self, amount: int) -> bool:
        """Take ``amount`` tokens and return True, or take none and return False if too few."""
        if amount > self._available:
            return False
        self._available -= amount
        return True

    def release(self, amount: int) -> None:
        """Give back ``amount`` tokens, truncated at :attr:`max_capacity`."""
        self._available = min(self._max_capacity, self._available + amount)


@attrs.define(kw_only=True)
class RetryToken:
    """
    The retry state of one logical call, across its attempts.

    Attributes:
        attempt: 1-based number of the attempt in flight; :meth:`RetryStrategy.decide`
            increments it when it grants a retry, so after the final failure it is the
            number of attempts made.
        retry_cost: quota tokens charged by the latest retry, which a success refunds
            (0 while the call has not been retried).
    """

    attempt: int = 1
    retry_cost: int = 0


@attrs.frozen(kw_only=True)
class RetryDecision:
    """
    What to do after a failed attempt.

    Attributes:
        retry: whether to send the request again.
        delay: seconds to sleep before the next attempt (0.0 when not retrying).
        reason: a short human-readable explanation, for logs.
    """

    retry: bool
    delay: float
    reason: str


class CubicCalculator:
    """
    CUBIC rate curve (RFC 8312), as botocore's ``throttling.CubicCalculator``.

    A throttle at rate ``w_max`` cuts the rate to ``0.7 * w_max``; then it follows
    ``0.4 * (t - last_fail - K) ** 3 + w_max``: back to ``w_max`` after K s, then above.
    """

    SCALE_CONSTANT = 0.4
    BETA = 0.7

    def __init__(self, *, starting_max_rate: float, start_time: float) -> None:
        self.w_max = starting_max_rate
        self.k = self._zero_point()
        self.last_fail = start_time

    def _zero_point(self) -> float:
        # K = cbrt(w_max * (1 - beta) / C): the time the curve takes to climb back to w_max.
        return float(((self.w_max * (1 - self.BETA)) / self.SCALE_CONSTANT) ** (1 / 3.0))

    def success_received(self, now: float) -> float:
        """Return the rate the curve allows at ``now``."""
        return self.SCALE_CONSTANT * (now - self.last_fail - self.k) ** 3 + self.w_max

    def error_received(self, current_rate: float, now: float) -> float:
        """Remember ``current_rate`` as the new ``w_max`` and return the reduced rate."""
        self.w_max = current_rate
        self.k = self._zero_point()
        self.last_fail = now
        return current_rate * self.BETA


class RateClocker:
    """Measured response rate: counts per 0.5 s bucket, smoothed by 0.8 (botocore's, exactly)."""

    SMOOTHING = 0.8
    TIME_BUCKET_RANGE = 0.5

    def __init__(self, *, now: float) -> None:
        self.measured_rate = 0.0
        self._last_bucket: float = math.floor(now)
        self._scale = 1 / self.TIME_BUCKET_RANGE
        self._count = 0

    def record(self, now: float) -> float:
        """Count one response at ``now`` and return the measured rate (requests/s)."""
        bucket = math.floor(now * self._scale) / self._scale
        self._count += 1
        if bucket > self._last_bucket:
            current_rate = self._count / float(bucket - self._last_bucket)
            self.measured_rate = (current_rate * self.SMOOTHING) + (
                self.measured_rate * (1 - self.SMOOTHING)
            )
            self._count = 0
            self._last_bucket = bucket
        return self.measured_rate


class TokenBucket:
    """
    Send tokens refilled at ``max_rate`` per second (at least 0.5), as botocore's bucket.

    Unlike botocore's blocking ``acquire``, :meth:`acquire` *reserves* the token and returns
    the wait: the capacity goes negative, so concurrent callers queue 1/rate apart.
    """

    MIN_RATE = 0.5

    def __init__(self, *, max_rate: float, now: float) -> None:
        self.available_capacity = 0.0
        self._last_timestamp = now
        #: Tokens added per second; ``max_capacity`` is the most the bucket holds.
        self.max_rate = self.max_capacity = 0.0
        self.set_max_rate(max_rate, now)

    def set_max_rate(self, value: float, now: float) -> None:
        """Change the fill rate at ``now``; the bucket then holds at most ``max(1, value)``."""
        # Time since the last refill earns tokens at the old rate (botocore refills first).
        self._refill(now)
        self.max_rate = max(value, self.MIN_RATE)
        self.max_capacity = value if value >= 1 else 1
        self.available_capacity = min(self.available_capacity, self.max_capacity)

    def acquire(self, now: float) -> float:
        """Take one token; return the seconds until it is really there (0.0 if it is now)."""
        self._refill(now)
        delay = 0.0
        if self.available_capacity < 1:
            delay = (1 - self.available_capacity) / self.max_rate
        self.available_capacity -= 1
        return delay

    def _refill(self, now: float) -> None:
        fill_amount = (now - self._last_timestamp) * self.max_rate
        self.available_capacity = min(self.max_capacity, self.available_capacity + fill_amount)
        self._last_timestamp = now


class ClientRateLimiter:
    """
    The adaptive-mode limiter of one Session, as botocore's ``adaptive.ClientRateLimiter``.

    Args:
        now: creation time; starts the CUBIC clock, the rate clock and the bucket.

    Attributes:
        enabled: False (no limit) until the first throttle, as in botocore.
        cubic, clocker, bucket: the rate curve, the measured rate and the send-token bucket.
    """

    #: The send rate never exceeds twice the measured rate.
    MAX_RATE_ADJUST_SCALE = 2.0

    def __init__(self, *, now: float) -> None:
        self.cubic = CubicCalculator(starting_max_rate=0, start_time=now)
        self.bucket = TokenBucket(max_rate=1, now=now)
        self.clocker = RateClocker(now=now)
        self.enabled = False

    @property
    def send_rate(self) -> float:
        """The token bucket's fill rate (requests/s); only enforced once :attr:`enabled`."""
        return self.bucket.max_rate

    def acquire(self, now: float) -> float:
        """
        Reserve a send token and return the seconds to sleep before sending.

        Returns:
            0.0 while the limiter is disabled or a token is available; otherwise the wait,
            after which the caller sends without calling again (the token is already taken).
        """
        return self.bucket.acquire(now) if self.enabled else 0.0

    def record_response(self, now: float, *, throttled: bool) -> None:
        """Feed one response (or transport failure) at ``now`` into the rate clock and CUBIC."""
        measured_rate = self.clocker.record(now)
        if not throttled:
            new_rate = self.cubic.success_received(now)
        else:
            # The rate that got throttled becomes w_max; before enabling, all we know is the
            # measured rate.
            rate = measured_rate if not self.enabled else min(measured_rate, self.bucket.max_rate)
            new_rate = self.cubic.error_received(rate, now)
            self.enabled = True
        self.bucket.set_max_rate(min(new_rate, self.MAX_RATE_ADJUST_SCALE * measured_rate), now)


class RetryStrategy:
    """
    Retry decisions for one Session: classification, backoff, quota and (adaptive) rate limit.

    Args:
        mode: ``"standard"`` or ``"adaptive"`` (standard plus client-side rate limiting).
        max_attempts: total attempts per call, the first one included.
        random: returns a float in [0, 1); the backoff jitter.
        quota: the retry quota; a new one of 500 tokens by default.

    Raises:
        ConfigurationError: for an unknown mode or ``max_attempts < 1``.
    """

    def __init__(
        self,
        *,
        mode: Literal["standard", "adaptive"] = "standard",
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        random: Callable[[], float] = random.random,
        quota: RetryQuota | None = None,
    ) -> None:
        if mode not in ("standard", "adaptive"):
            raise ConfigurationError(f"retry mode must be 'standard' or 'adaptive', got {mode!r}")
        if max_attempts < 1:
            raise ConfigurationError(f"max_attempts must be >= 1, got {max_attempts!r}")
        self.mode = mode
        self.max_attempts = max_attempts
        self.quota = quota if quota is not None else RetryQuota()
        self._random = random
        # Created at the first timed call, since the constructor cannot read the clock.
        self._limiter: ClientRateLimiter | None = None

    @classmethod
    def from_config(
        cls, config: Config, *, random: Callable[[], float] = random.random
    ) -> RetryStrategy:
        """Build the strategy that ``config.retry_mode`` and ``config.max_attempts`` describe."""
        return cls(mode=config.retry_mode, max_attempts=config.max_attempts, random=random)

    @property
    def rate_limiter(self) -> ClientRateLimiter | None:
        """The adaptive limiter, once the first timed call created it; None in standard mode."""
        return self._limiter

    def _limiter_at(self, now: float) -> ClientRateLimiter:
        if self._limiter is None:
            self._limiter = ClientRateLimiter(now=now)
        return self._limiter

    def acquire_send_delay(self, now: float) -> float:
        """
        Return the seconds to wait before sending an attempt (always 0.0 in standard mode).

        The send token is taken by this call: sleep the returned delay, then send.
        """
        return self._limiter_at(now).acquire(now) if self.mode == "adaptive" else 0.0

    def record_response(self, now: float, *, throttled: bool) -> None:
        """Feed the outcome of an attempt into the adaptive limiter (no-op in standard mode)."""
        if self.mode == "adaptive":
            self._limiter_at(now).record_response(now, throttled=throttled)

    def new_attempt_state(self) -> RetryToken:
        """Return the token of a new logical call."""
        return RetryToken()

    def decide(self, token: RetryToken, error: BaseException) -> RetryDecision:
        """
        Decide whether the attempt that failed with ``error`` is retried, and after how long.

        A granted retry charges the quota (10 tokens after a timeout, else 5) and increments
        ``token.attempt``.

        Returns:
            The decision; ``delay`` is ``random() * min(2 ** (attempt - 1), 20)`` seconds.
        """
        if not is_retryable(error):
            return _final(f"{_name(error)} is not retryable")
        if token.attempt >= self.max_attempts:
            return _final(f"max attempts ({self.max_attempts}) reached")
        # botocore RetryQuotaChecker and the SDK spec: 10 tokens after a timeout, else 5.
        cost = TIMEOUT_RETRY_COST if isinstance(error, RequestTimeoutError) else RETRY_COST
        if not self.quota.acquire(cost):
            return _final("retry quota exhausted")
        # Like botocore, a success refunds only the latest charge, not the sum of all.
        token.retry_cost = cost
        delay = self._random() * min(2 ** (token.attempt - 1), MAX_BACKOFF)
        token.attempt += 1
        return RetryDecision(retry=True, delay=delay, reason=f"{_name(error)} is retryable")

    def record_success(self, token: RetryToken) -> None:
        """Refill the quota after a success: by the latest retry cost, or by 1 if never retried."""
        self.quota.release(token.retry_cost or NO_RETRY_INCREMENT)


def _final(reason: str) -> RetryDecision:
    return RetryDecision(retry=False, delay=0.0, reason=reason)


def _name(error: BaseException) -> str:
    code = error.code if isinstance(error, EC2APIError) else ""
    return f"{type(error).__name__} {code}".rstrip()
